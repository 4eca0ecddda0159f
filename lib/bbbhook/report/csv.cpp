#include "bbbhook/report/csv.hpp"

#include <charconv>

namespace bbbhook::report {

std::string csv_field(std::string_view cell, bool neutralize) {
    std::string out;
    append_csv_field(out, cell, neutralize);
    return out;
}

void append_csv_field(std::string& out, std::string_view cell, bool neutralize) {
    // What Excel, LibreOffice and Google Sheets start a formula (or DDE) with.
    const bool formula =
        neutralize && !cell.empty() &&
        (cell[0] == '=' || cell[0] == '+' || cell[0] == '-' || cell[0] == '@' || cell[0] == '\t' || cell[0] == '\r');
    const bool quote = cell.find_first_of(",\"\r\n") != std::string_view::npos;
    if (quote) out += '"';
    if (formula) out += '\'';
    if (!quote) {
        out.append(cell);
    } else {
        for (char c : cell) {
            if (c == '"') out += '"';
            out += c;
        }
        out += '"';
    }
}

void append_csv_record(std::string& out, std::span<const std::string> fields, std::span<const bool> numeric) {
    for (size_t i = 0; i < fields.size(); ++i) {
        if (i) out += ',';
        bool is_number = i < numeric.size() && numeric[i];
        append_csv_field(out, fields[i], !is_number);
    }
    out += "\r\n";
}

std::string_view csv_preamble(const CsvOptions& options) {
    return options.bom ? "\xEF\xBB\xBF" : "";
}

std::string format_hms(long long ms) {
    std::string out;
    append_hms(out, ms);
    return out;
}

void append_integer(std::string& out, long long v) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, end);
}

void append_hms(std::string& out, long long ms) {
    if (ms < 0) ms = 0;
    const long long s = ms / 1000;
    append_integer(out, s / 3600);
    const auto two = [&](long long v) {
        out += ':';
        out += static_cast<char>('0' + v / 10);
        out += static_cast<char>('0' + v % 10);
    };
    two(s / 60 % 60);
    two(s % 60);
}

} // namespace bbbhook::report
