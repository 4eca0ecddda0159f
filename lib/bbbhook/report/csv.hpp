#pragma once
// CSV as RFC 4180 says (CRLF line ends, fields quoted when they hold a comma, quote, CR or LF,
// quotes doubled), UTF-8 with an optional byte order mark for Excel, and cells that a spreadsheet
// would run as a formula neutralized (OWASP "CSV injection": a leading =, +, -, @, tab or CR gets
// a leading apostrophe). Numbers are written by the caller as text and are never neutralized.
#include <span>
#include <string>
#include <string_view>

namespace bbbhook::report {

struct CsvOptions {
    bool bom = false; // start with U+FEFF so that Excel reads UTF-8
};

// One field, quoted if needed. `neutralize` prefixes "'" to text a spreadsheet would evaluate.
std::string csv_field(std::string_view cell, bool neutralize = true);
// The same, appended to `out` (no allocation of its own: for a million rows).
void append_csv_field(std::string& out, std::string_view cell, bool neutralize = true);

// Appends one record (fields joined by ',', ended by CRLF) to `out`. `numeric[i]` marks fields
// written by the program as numbers (not neutralized: "-5" stays a number); may be empty.
void append_csv_record(std::string& out, std::span<const std::string> fields, std::span<const bool> numeric = {});

// The byte order mark, when asked for; "" otherwise.
std::string_view csv_preamble(const CsvOptions& options);

// A duration in milliseconds as h:mm:ss (hours not wrapped at 24: "27:03:09"); negative as 0:00:00.
std::string format_hms(long long ms);
// The same, appended to `out`.
void append_hms(std::string& out, long long ms);
// A decimal integer appended to `out` (std::to_chars: no locale, no allocation).
void append_integer(std::string& out, long long v);

} // namespace bbbhook::report
