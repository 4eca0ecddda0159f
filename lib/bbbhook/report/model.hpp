#pragma once
// What a report is made of, independent of its format: typed columns, rows of cells, and for the
// PDF a header, a summary and one timeline per meeting. The query layer (query.hpp) fills it;
// the writers (writers.hpp, pdf.hpp) render it.
#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace bbbhook::report {

enum class View { person_meeting, session, person, meeting };

// How a column's cells are typed and shown.
enum class Kind {
    text,     // std::string, or null
    integer,  // int64_t
    percent,  // double 0..100 (may exceed 100 only through rounding), or null if unknown
    instant,  // int64_t UTC milliseconds, or null (a person still present has no last leave)
    duration, // int64_t milliseconds; CSV/JSON show it as <key>_seconds and <key>_hms
};

struct Column {
    std::string key;   // snake_case: the CSV header and the JSON member name
    std::string title; // for people: the PDF and terminal table header
    Kind kind = Kind::text;
    bool wide = false;   // a name or a title: gets the spare width in tables, wrapped if long
    bool detail = false; // for scripts only: in CSV and JSON, not in the PDF or terminal table
    bool group = false;  // PDF: rows come grouped by it; shown when it changes and atop each page
};

using Cell = std::variant<std::monostate, int64_t, double, std::string>;
using Row = std::vector<Cell>;

// A connection interval of one person, for the timeline chart. `open` means still present at
// to_ms (the meeting's last event).
struct Presence {
    int64_t from_ms = 0;
    int64_t to_ms = 0;
    bool open = false;
};

struct TimelinePerson {
    std::string name;
    std::string role;               // "MODERATOR", "VIEWER" or ""
    std::vector<Presence> presence; // sorted by from_ms; overlapping tabs already merged
};

// One meeting's clock and who was present when; rejoins are gaps between presences.
struct Timeline {
    std::string meeting; // the meeting's name (or external id)
    std::string detail;  // "course 42 · bbb1.example.org"
    int64_t start_ms = 0;
    int64_t end_ms = 0;
    bool running = false;               // not ended yet: end_ms is its last event
    std::vector<TimelinePerson> people; // by first join
};

struct Document {
    std::string title;                                        // "Attendance by person and meeting"
    std::vector<std::pair<std::string, std::string>> filters; // ("from", "2026-10-01 (Europe/Athens)") …
    int64_t generated_ms = 0;                                 // UTC
    std::string time_zone;                                    // as LocalClock::zone_name()
    std::vector<std::pair<std::string, std::string>> summary; // ("Meetings", "12") …
    std::vector<Column> columns;
    std::vector<Row> rows;
    std::vector<Timeline> timelines; // person-meeting and session views, when asked for
};

} // namespace bbbhook::report
