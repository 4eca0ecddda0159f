#include "bbbhook/report/csv.hpp"

#include <fmt/format.h>

namespace bbbhook::report {

std::string csv_field(std::string_view cell, bool neutralize) {
    std::string text;
    // What Excel, LibreOffice and Google Sheets start a formula (or DDE) with.
    if (neutralize && !cell.empty() &&
        (cell[0] == '=' || cell[0] == '+' || cell[0] == '-' || cell[0] == '@' || cell[0] == '\t' || cell[0] == '\r'))
        text = "'";
    text.append(cell);
    if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
    std::string quoted = "\"";
    for (char c : text) {
        if (c == '"') quoted += '"';
        quoted += c;
    }
    quoted += '"';
    return quoted;
}

void append_csv_record(std::string& out, std::span<const std::string> fields, std::span<const bool> numeric) {
    for (size_t i = 0; i < fields.size(); ++i) {
        if (i) out += ',';
        bool is_number = i < numeric.size() && numeric[i];
        out += csv_field(fields[i], !is_number);
    }
    out += "\r\n";
}

std::string_view csv_preamble(const CsvOptions& options) {
    return options.bom ? "\xEF\xBB\xBF" : "";
}

std::string format_hms(long long ms) {
    if (ms < 0) ms = 0;
    long long s = ms / 1000;
    return fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
}

} // namespace bbbhook::report
