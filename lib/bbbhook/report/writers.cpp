#include "bbbhook/report/writers.hpp"

#include <cerrno>
#include <cmath>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "bbbhook/report/csv.hpp"
#include "bbbhook/util/table.hpp"

namespace bbbhook::report {

Result<Output> Output::file(const std::filesystem::path& path) {
    auto file = util::AtomicFile::create(path);
    if (!file) return std::unexpected(file.error());
    Output out;
    out.m_file.emplace(std::move(*file));
    return out;
}

Output Output::standard_output() {
    return Output();
}

void Output::write(std::string_view bytes) {
    m_buffer.append(bytes);
    maybe_flush();
}

void Output::flush() {
    if (m_file) {
        value_or_throw(m_file->write(m_buffer));
    } else if (int err = util::write_all(STDOUT_FILENO, m_buffer)) {
        throw Failure(ExitCode::io, fmt::format("writing to standard output: {}", errno_message(err)));
    }
    m_buffer.clear();
}

void Output::finish() {
    flush();
    if (m_file) value_or_throw(m_file->commit());
}

namespace {

int64_t whole_seconds(int64_t ms) {
    return ms < 0 ? 0 : ms / 1000;
}

// One decimal, as "{:.1f}" would write it, for the values a percentage takes.
void append_percent(std::string& out, double v) {
    const auto tenths = static_cast<long long>(std::llround(v * 10.0));
    if (tenths < 0) out += '-';
    const long long abs = tenths < 0 ? -tenths : tenths;
    append_integer(out, abs / 10);
    out += '.';
    out += static_cast<char>('0' + abs % 10);
}

double one_decimal(double v) {
    return std::round(v * 10.0) / 10.0;
}

class CsvWriter final : public RowWriter {
public:
    CsvWriter(Output& out, const std::vector<Column>& columns, LocalClock& clock, const WriterOptions& options)
        : m_out(out), m_columns(columns), m_clock(clock) {
        auto& b = m_out.buffer();
        b += csv_preamble(CsvOptions{options.bom});
        bool first = true;
        for (const auto& name : field_names(columns)) {
            if (!std::exchange(first, false)) b += ',';
            append_csv_field(b, name, false);
        }
        b += "\r\n";
    }

    void row(const Row& row) override {
        auto& b = m_out.buffer();
        for (size_t i = 0; i < m_columns.size(); ++i) {
            if (i) b += ',';
            const Cell& cell = row[i];
            const Kind kind = m_columns[i].kind;
            if (std::holds_alternative<std::monostate>(cell)) {
                if (kind == Kind::duration) b += ',';
                continue;
            }
            switch (kind) {
            case Kind::text: append_csv_field(b, std::get<std::string>(cell)); break;
            case Kind::integer: append_integer(b, std::get<int64_t>(cell)); break;
            case Kind::percent: append_percent(b, std::get<double>(cell)); break;
            case Kind::instant: m_clock.append_iso(b, std::get<int64_t>(cell)); break;
            case Kind::duration: {
                int64_t ms = std::get<int64_t>(cell);
                append_integer(b, whole_seconds(ms));
                b += ',';
                append_hms(b, ms);
                break;
            }
            }
        }
        b += "\r\n";
        m_out.maybe_flush();
    }

    void finish(const Summary&) override {}

private:
    Output& m_out;
    const std::vector<Column>& m_columns;
    LocalClock& m_clock;
};

nlohmann::ordered_json json_object(const Row& row, const std::vector<Column>& columns, LocalClock& clock) {
    nlohmann::ordered_json o = nlohmann::ordered_json::object();
    for (size_t i = 0; i < columns.size(); ++i) {
        const Cell& cell = row[i];
        const Column& c = columns[i];
        const bool null = std::holds_alternative<std::monostate>(cell);
        switch (c.kind) {
        case Kind::text:
            o[c.key] = null ? nlohmann::ordered_json() : nlohmann::ordered_json(std::get<std::string>(cell));
            break;
        case Kind::integer:
            o[c.key] = null ? nlohmann::ordered_json() : nlohmann::ordered_json(std::get<int64_t>(cell));
            break;
        case Kind::percent:
            o[c.key] = null ? nlohmann::ordered_json() : nlohmann::ordered_json(one_decimal(std::get<double>(cell)));
            break;
        case Kind::instant:
            o[c.key] = null ? nlohmann::ordered_json() : nlohmann::ordered_json(clock.iso(std::get<int64_t>(cell)));
            break;
        case Kind::duration: {
            if (null) {
                o[c.key + "_seconds"] = nullptr;
                o[c.key + "_hms"] = nullptr;
            } else {
                int64_t ms = std::get<int64_t>(cell);
                o[c.key + "_seconds"] = whole_seconds(ms);
                o[c.key + "_hms"] = format_hms(ms);
            }
            break;
        }
        }
    }
    return o;
}

class JsonWriter final : public RowWriter {
public:
    enum class Style { array, lines };
    JsonWriter(Output& out, const std::vector<Column>& columns, LocalClock& clock, Style style)
        : m_out(out), m_columns(columns), m_clock(clock), m_style(style) {}

    void row(const Row& row) override {
        auto& b = m_out.buffer();
        if (m_style == Style::array) b += m_rows ? ",\n" : "[\n";
        // Invalid UTF-8 (never expected from BBB) becomes U+FFFD instead of an exception.
        b +=
            json_object(row, m_columns, m_clock).dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
        if (m_style == Style::lines) b += '\n';
        ++m_rows;
        m_out.maybe_flush();
    }

    void finish(const Summary&) override {
        if (m_style == Style::array) m_out.write(m_rows ? "\n]\n" : "[]\n");
    }

private:
    Output& m_out;
    const std::vector<Column>& m_columns;
    LocalClock& m_clock;
    Style m_style;
    size_t m_rows = 0;
};

class TableWriter final : public RowWriter {
public:
    TableWriter(Output& out, const std::vector<Column>& columns, LocalClock& clock, const WriterOptions& options)
        : m_out(out), m_columns(columns), m_clock(clock), m_options(options), m_table(header(columns)) {}

    void row(const Row& row) override {
        std::vector<std::string> cells;
        for (size_t i = 0; i < m_columns.size(); ++i)
            if (!m_columns[i].detail) cells.push_back(display_cell(row[i], m_columns[i].kind, m_clock));
        m_table.add(std::move(cells));
    }

    void finish(const Summary& summary) override {
        if (m_table.empty()) {
            if (m_options.no_rows_note) m_out.write("No rows match these filters.\n");
            return;
        }
        m_out.write(m_table.render());
        std::string line = "\n";
        for (const auto& [what, value] : summary)
            line += fmt::format("{}: {} · ", what, value);
        m_out.write(fmt::format("{}times in {}\n", line, m_clock.zone_name()));
    }

private:
    static std::vector<std::string> header(const std::vector<Column>& columns) {
        std::vector<std::string> h;
        for (const auto& c : columns)
            if (!c.detail) h.push_back(c.title);
        return h;
    }
    Output& m_out;
    const std::vector<Column>& m_columns;
    LocalClock& m_clock;
    WriterOptions m_options;
    util::TextTable m_table;
};

} // namespace

std::vector<std::string> field_names(const std::vector<Column>& columns) {
    std::vector<std::string> names;
    for (const auto& c : columns) {
        if (c.kind == Kind::duration) {
            names.push_back(c.key + "_seconds");
            names.push_back(c.key + "_hms");
        } else {
            names.push_back(c.key);
        }
    }
    return names;
}

std::string display_cell(const Cell& cell, Kind kind, LocalClock& clock) {
    if (std::holds_alternative<std::monostate>(cell)) return {};
    switch (kind) {
    case Kind::text: return std::get<std::string>(cell);
    case Kind::integer: return fmt::format("{}", std::get<int64_t>(cell));
    case Kind::percent: return fmt::format("{:.1f}%", std::get<double>(cell));
    case Kind::instant: return clock.local(std::get<int64_t>(cell)).substr(0, 16);
    case Kind::duration: return format_hms(std::get<int64_t>(cell));
    }
    return {};
}

std::unique_ptr<RowWriter> make_writer(Format format, Output& out, const std::vector<Column>& columns,
                                       LocalClock& clock, const WriterOptions& options) {
    switch (format) {
    case Format::csv: return std::make_unique<CsvWriter>(out, columns, clock, options);
    case Format::json: return std::make_unique<JsonWriter>(out, columns, clock, JsonWriter::Style::array);
    case Format::ndjson: return std::make_unique<JsonWriter>(out, columns, clock, JsonWriter::Style::lines);
    case Format::table: return std::make_unique<TableWriter>(out, columns, clock, options);
    case Format::pdf: break;
    }
    throw Failure(ExitCode::internal, "make_writer: PDF is not a streaming format");
}

} // namespace bbbhook::report
