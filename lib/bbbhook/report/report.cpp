#include "bbbhook/report/report.hpp"

#include <chrono>
#include <cstdio>
#include <unistd.h>

#include "bbbhook/report/time_range.hpp"
#include "bbbhook/store/schema.hpp"
#include "bbbhook/util/fold.hpp"
#include "bbbhook/util/sqlite.hpp"
#include "bbbhook/util/text.hpp"

namespace bbbhook::report {

namespace {

std::string_view title_of(View view) {
    switch (view) {
    case View::person_meeting: return "Attendance by person and meeting";
    case View::session: return "Attendance sessions (every connection)";
    case View::person: return "Attendance by person";
    case View::meeting: return "Meetings";
    }
    return "Attendance";
}

// The filters as people read them, for the PDF's header.
std::vector<std::pair<std::string, std::string>> describe(const ReportOptions& o) {
    const Filters& f = o.filters;
    std::vector<std::pair<std::string, std::string>> out;
    if (!o.from.empty()) out.emplace_back("From", fmt::format("{} (meetings starting at or after)", o.from));
    if (!o.to.empty())
        out.emplace_back("To", o.to.size() == 10 ? fmt::format("{} (to the end of that day)", o.to)
                                                 : fmt::format("{} (meetings starting before)", o.to));
    if (!f.name.empty()) out.emplace_back("Name contains", f.name);
    if (!f.user_id.empty()) out.emplace_back("User ID", f.user_id);
    if (!f.meeting.empty()) out.emplace_back("Meeting", f.meeting);
    if (!f.course.empty()) out.emplace_back("Moodle course", f.course);
    if (!f.server.empty()) out.emplace_back("Server", f.server);
    if (!f.role.empty()) out.emplace_back("Role", f.role);
    if (f.min_minutes) out.emplace_back("Online at least", fmt::format("{} minutes", *f.min_minutes));
    if (f.min_percent) out.emplace_back("Online at least", fmt::format("{}% of the meeting", *f.min_percent));
    out.emplace_back("Meetings still running", f.include_open ? "included (times up to their last event)" : "left out");
    if (f.include_breakouts) out.emplace_back("Breakout rooms", "included as meetings of their own");
    return out;
}

// A row count on stderr, at most every 200 ms.
class Progress {
public:
    explicit Progress(bool on) : m_on(on) {}
    ~Progress() {
        if (m_shown) std::fputs("\r\033[K", stderr);
    }
    void tick(size_t rows, std::string_view what) {
        if (!m_on || rows % 4096) return;
        auto now = std::chrono::steady_clock::now();
        if (now - m_last < std::chrono::milliseconds(200)) return;
        m_last = now;
        m_shown = true;
        std::fprintf(stderr, "\rreport: %zu %.*s…\033[K", rows, static_cast<int>(what.size()), what.data());
    }

private:
    bool m_on;
    bool m_shown = false;
    std::chrono::steady_clock::time_point m_last{};
};

Result<Output> open_output(const ReportOptions& o) {
    if (o.output) return Output::file(*o.output);
    return Output::standard_output();
}

} // namespace

std::optional<Format> format_of(const std::filesystem::path& file) {
    const auto ext = file.extension().string();
    const auto is = [&](std::string_view e) { return util::iequals(ext, e); };
    if (is(".csv")) return Format::csv;
    if (is(".json")) return Format::json;
    if (is(".ndjson") || is(".jsonl")) return Format::ndjson;
    if (is(".pdf")) return Format::pdf;
    if (is(".txt")) return Format::table;
    return std::nullopt;
}

Result<size_t> run(ReportOptions o) {
    // 1. The format: asked for, else what the file name says, else a table for people and CSV for pipes.
    if (!o.format && o.output) {
        o.format = format_of(*o.output);
        if (!o.format)
            return make_error(ExitCode::usage, fmt::format("-o {}: cannot tell the format from the file name; add "
                                                           "--format csv|json|ndjson|pdf|table",
                                                           util::printable(o.output->string())));
    }
    const Format format = o.format.value_or(o.stdout_tty ? Format::table : Format::csv);
    if (format == Format::pdf && !o.output && o.stdout_tty)
        return make_error(ExitCode::usage, "--format pdf: a PDF is not for the terminal; write it with -o FILE.pdf "
                                           "(or pipe it)");

    // 2. The time range, in the report's zone.
    if (auto ok = check_time_zone(o.tz); !ok) return std::unexpected(ok.error());
    if (!o.from.empty()) {
        auto from = parse_bound(o.from, o.tz, Bound::from);
        if (!from) return std::unexpected(from.error());
        o.filters.from_ms = *from;
    }
    if (!o.to.empty()) {
        auto to = parse_bound(o.to, o.tz, Bound::to);
        if (!to) return std::unexpected(to.error());
        o.filters.to_ms = *to;
    }
    if (o.filters.from_ms && o.filters.to_ms && *o.filters.to_ms <= *o.filters.from_ms)
        return make_error(ExitCode::usage,
                          fmt::format("--from {} --to {}: the range is empty (--to is exclusive for a date-time and "
                                      "means the whole day for a date)",
                                      util::printable(o.from), util::printable(o.to)));
    const std::string& role = o.filters.role;
    if (!role.empty() && !util::iequals(role, "moderator") && !util::iequals(role, "viewer"))
        return make_error(ExitCode::usage,
                          fmt::format("--role '{}': expected moderator or viewer", util::printable(role)));

    // 3. The database, read-only (ingest may be writing it: WAL lets both go on).
    std::error_code ec;
    if (!std::filesystem::exists(o.database, ec))
        return make_error(ExitCode::no_input, fmt::format("{}: no attendance database here (run `bbbhook ingest` "
                                                          "first, or give --database FILE)",
                                                          o.database.string()));
    auto db = store::open_database(o.database, util::Db::Mode::read_only);
    if (!db) return std::unexpected(db.error());
    if (auto ok = util::register_sqlite_fold(*db); !ok) return std::unexpected(ok.error());

    LocalClock clock(o.tz);
    auto out = open_output(o);
    if (!out) return std::unexpected(out.error());
    Progress progress(o.progress);
    const auto& columns = columns_of(o.view);
    const std::string_view unit = o.view == View::session ? "sessions" : "rows";

    // 4a. The PDF: the whole document first (page X of Y), then rendered.
    if (format == Format::pdf) {
        Document doc;
        doc.title = o.title.empty() ? std::string(title_of(o.view)) : o.title;
        doc.filters = describe(o);
        doc.generated_ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                .count();
        doc.time_zone = clock.zone_name();
        std::vector<size_t> shown;
        for (size_t i = 0; i < columns.size(); ++i)
            if (!columns[i].detail) {
                shown.push_back(i);
                doc.columns.push_back(columns[i]);
            }
        auto totals = run_query(
            *db, o.view, o.filters,
            [&](const Row& row) {
                Row brief;
                brief.reserve(shown.size());
                for (size_t i : shown)
                    brief.push_back(row[i]);
                doc.rows.push_back(std::move(brief));
                progress.tick(doc.rows.size(), unit);
            },
            o.timelines ? &doc.timelines : nullptr);
        doc.summary = summary_of(o.view, totals);
        PdfOptions pdf = o.pdf;
        if (o.progress && !pdf.progress)
            pdf.progress = [](size_t done, size_t total) {
                std::fprintf(stderr, "\rreport: PDF %zu/%zu…\033[K", done, total);
                if (done == total) std::fputs("\r\033[K", stderr);
            };
        auto bytes = render_pdf(doc, clock, pdf);
        if (!bytes) return std::unexpected(bytes.error());
        out->write(*bytes);
        out->finish();
        return totals.rows;
    }

    // 4b. The streaming formats.
    auto writer = make_writer(format, *out, columns, clock, WriterOptions{o.bom, true});
    size_t rows = 0;
    auto totals = run_query(*db, o.view, o.filters, [&](const Row& row) {
        writer->row(row);
        progress.tick(++rows, unit);
    });
    writer->finish(summary_of(o.view, totals));
    out->finish();
    return totals.rows;
}

} // namespace bbbhook::report
