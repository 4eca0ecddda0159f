#pragma once
// The streaming formats of a report: CSV, JSON, NDJSON, and the table shown on a terminal. Each
// takes rows one by one (a million rows never sit in memory, except for the terminal table) and
// writes them to an Output: a file put in place atomically, or stdout.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bbbhook/report/clock.hpp"
#include "bbbhook/report/model.hpp"
#include "bbbhook/report/query.hpp"
#include "bbbhook/util/fd.hpp"

namespace bbbhook::report {

enum class Format { csv, json, ndjson, table, pdf };

// Where the bytes go. Buffered: writes reach the file or stdout in pieces of about 1 MiB.
class Output {
public:
    // A file at `path`, in place only after finish() (util::AtomicFile). Fails with cant_create.
    static Result<Output> file(const std::filesystem::path& path);
    static Output standard_output();
    // Appends to the buffer and writes it out when it is large. Throws Failure(io) if stdout
    // cannot be written (a closed pipe), Failure(cant_create) if the file cannot.
    void write(std::string_view bytes);
    std::string& buffer() { return m_buffer; } // append directly, then call maybe_flush()
    void maybe_flush() {
        if (m_buffer.size() >= k_flush_at) flush();
    }
    // Writes the rest and, for a file, puts it in place. Throws as write() does.
    void finish();

private:
    static constexpr size_t k_flush_at = 1 << 20;
    Output() = default;
    void flush();
    std::optional<util::AtomicFile> m_file;
    std::string m_buffer;
};

struct WriterOptions {
    bool bom = false;         // CSV: a UTF-8 byte order mark first, for Excel
    bool no_rows_note = true; // table: say so when nothing matched
};

class RowWriter {
public:
    virtual ~RowWriter() = default;
    virtual void row(const Row& row) = 0;
    // Writes what comes after the last row (JSON's "]", the whole terminal table and its summary).
    virtual void finish(const Summary& summary) = 0;
};

// CSV columns: a duration becomes two, <key>_seconds and <key>_hms; an instant is ISO 8601 with
// its offset in the report's zone; a percent has one decimal; null is an empty field.
// JSON and NDJSON: one object per row with the same members, numbers as numbers, null as null.
// The table: the columns that are not `detail`, local times without the zone, h:mm:ss.
std::unique_ptr<RowWriter> make_writer(Format format, Output& out, const std::vector<Column>& columns,
                                       LocalClock& clock, const WriterOptions& options);

// The CSV/JSON header names of the columns, in order (durations give two).
std::vector<std::string> field_names(const std::vector<Column>& columns);

// A cell as people read it (PDF, terminal): "1:02:03", "87.5%", "2026-10-01 08:00", "" for null.
std::string display_cell(const Cell& cell, Kind kind, LocalClock& clock);

} // namespace bbbhook::report
