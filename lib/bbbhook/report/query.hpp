#pragma once
// The report's rows, straight from the attendance database: one SQL query per view with every
// filter value bound as a parameter, rows streamed to the caller (a million rows never sit in
// memory), and for the PDF the timelines of the meetings in the result.
//
// Which rows a filter selects (docs: bbbhook-report(1)):
//  - meetings: --from/--to on the meeting's start (created, else its first event), [from, to);
//    --meeting (external id, internal id, or a part of the name), --course, --server; meetings
//    still running only with --include-open; breakout rooms only with --include-breakouts (their
//    time is shown at the parent meeting anyway);
//  - person-meeting rows: --name (a part of the name, case- and accent-insensitive), --user-id
//    (external user id, or a guest's internal id), --role, --min-minutes, --min-percent;
//  - --by session shows the intervals of the selected person-meeting rows, --by person sums them,
//    --by meeting shows the selected meetings (with person filters: those where a selected row
//    is, and `participants` counts the selected rows).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bbbhook/report/model.hpp"

namespace bbbhook::util {
class Db;
}

namespace bbbhook::report {

struct Filters {
    std::optional<int64_t> from_ms; // UTC, inclusive
    std::optional<int64_t> to_ms;   // UTC, exclusive
    std::string name;
    std::string user_id;
    std::string meeting;
    std::string course;
    std::string server;
    std::string role; // moderator or viewer, any case
    std::optional<double> min_minutes;
    std::optional<double> min_percent;
    bool include_open = false;
    bool include_breakouts = false;
};

// Counts over the rows of a run, for the summary block.
struct Totals {
    size_t rows = 0;
    size_t meetings = 0;
    size_t people = 0;
    int64_t online_ms = 0;  // person-meeting, session, person views
    double percent_sum = 0; // of rows with a known percent
    size_t percent_rows = 0;
};

// The summary block of a report ("Meetings", "12") for the view's totals.
using Summary = std::vector<std::pair<std::string, std::string>>;
Summary summary_of(View view, const Totals& totals);

// The columns of a view, in order.
const std::vector<Column>& columns_of(View view);

// Runs the view's query on `db` (which must have bbbhook_fold registered: util::register_sqlite_fold)
// and calls `row` for each row in order; the Row is reused between calls. With `timelines`, also
// collects the timeline of every meeting in the result (person-meeting and session views only).
// Throws Failure(io) if the database is unreadable.
Totals run_query(util::Db& db, View view, const Filters& filters, const std::function<void(const Row&)>& row,
                 std::vector<Timeline>* timelines = nullptr);

} // namespace bbbhook::report
