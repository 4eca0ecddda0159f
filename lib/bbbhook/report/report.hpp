#pragma once
// `bbbhook report`: the attendance database filtered and written as CSV, JSON, NDJSON, PDF or a
// terminal table (bbbhook-report(1)).
#include <filesystem>
#include <optional>
#include <string>

#include "bbbhook/report/pdf.hpp"
#include "bbbhook/report/query.hpp"
#include "bbbhook/report/writers.hpp"
#include "bbbhook/util/exit_code.hpp"

namespace bbbhook::report {

struct ReportOptions {
    std::filesystem::path database;
    View view = View::person_meeting;
    std::optional<Format> format; // unset: from the -o file's extension, else a table on a terminal, else CSV
    std::optional<std::filesystem::path> output; // unset: stdout
    std::string from, to, tz;                    // as given (tz "" = the system's zone)
    Filters filters;                             // from_ms/to_ms are computed from `from`/`to`
    bool bom = false;
    bool timelines = true; // PDF: a timeline chart per meeting
    std::string title;     // PDF: instead of the view's title
    PdfOptions pdf;
    bool progress = false;   // a row count on stderr (when stderr is a terminal)
    bool stdout_tty = false; // stdout is a terminal: the default format is the table
};

// The format a file name asks for (".csv", ".json", ".ndjson"/".jsonl", ".pdf", ".txt"), if any.
std::optional<Format> format_of(const std::filesystem::path& file);

// Runs the report. Expected failures are returned (usage 64, no_input 66 for a missing database,
// data 65 for a database newer than this bbbhook, cant_create 73 for the output); nothing is
// left at -o FILE unless the whole report was written. Returns the rows written.
Result<size_t> run(ReportOptions options);

} // namespace bbbhook::report
