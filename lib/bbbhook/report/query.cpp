#include "bbbhook/report/query.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>
#include <unordered_set>
#include <variant>

#include "bbbhook/report/csv.hpp"
#include "bbbhook/util/fold.hpp"
#include "bbbhook/util/sqlite.hpp"

namespace bbbhook::report {

namespace {

// The SQL of the columns people see; every view's columns are listed next to their expressions.
#define START "COALESCE(m.created_ms, m.first_event_ms)"
#define END "COALESCE(m.ended_ms, m.last_event_ms)"
#define PERCENT "MIN(100.0, 100.0 * a.online_ms / NULLIF(" END " - " START ", 0))"
#define MEETING_NAME "COALESCE(m.name, m.external_id, m.internal_id)"
#define STATUS "CASE WHEN m.finalized THEN COALESCE(m.end_reason, 'ended') ELSE 'running' END"
#define USER_ID "COALESCE(p.external_user_id, p.user_key)"
// Meetings first (CROSS JOIN fixes the order): the meeting filters then pick meetings and their
// attendance by primary key, instead of a scan of all attendance through attendance_by_person.
#define PERSON_FROM                                                                                                    \
    " FROM meetings m CROSS JOIN attendance a ON a.meeting_id = m.id JOIN servers s ON s.id = m.server_id"             \
    " JOIN people p ON p.id = a.person_id"

struct ColumnSql {
    Column column;
    const char* sql;
};

Column col(const char* key, const char* title, Kind kind, bool wide = false, bool detail = false) {
    return Column{key, title, kind, wide, detail, false};
}

// The meeting a person-meeting or session row belongs to.
std::vector<ColumnSql> with_meeting(std::initializer_list<ColumnSql> columns) {
    std::vector<ColumnSql> c = {
        {Column{"meeting", "Meeting", Kind::text, true, false, true}, MEETING_NAME},
        {col("meeting_id", "Meeting ID", Kind::text, false, true), "m.external_id"},
        {col("course", "Course", Kind::text, false, true), "m.moodle_course_id"},
        {col("server", "Server", Kind::text, false, true), "s.domain"},
        {col("meeting_start", "Meeting start", Kind::instant, false, true), START},
    };
    c.insert(c.end(), columns);
    return c;
}

const std::vector<ColumnSql>& person_meeting_columns() {
    static const std::vector<ColumnSql> c = with_meeting({
        {col("name", "Name", Kind::text, true), "COALESCE(a.name, p.name)"},
        {col("user_id", "User ID", Kind::text, false, true), USER_ID},
        {col("role", "Role", Kind::text), "a.role"},
        {col("guest", "Guest", Kind::integer, false, true), "p.is_guest"},
        {col("first_join", "First join", Kind::instant), "a.first_join_ms"},
        {col("last_leave", "Last leave", Kind::instant), "a.last_leave_ms"},
        {col("online", "Online", Kind::duration), "a.online_ms"},
        {col("percent", "% of meeting", Kind::percent), PERCENT},
        {col("joins", "Joins", Kind::integer), "a.joins"},
        // Filled from BreakoutTimes: a subquery per row would double the query's time.
        {col("breakout", "In breakouts", Kind::duration, false, true), "0"},
        {col("talk", "Talk", Kind::duration), "a.talk_ms"},
        {col("webcam", "Webcam", Kind::duration), "a.webcam_ms"},
        {col("presenter", "Presenter", Kind::duration, false, true), "a.presenter_ms"},
        {col("chat_messages", "Chat", Kind::integer), "a.chat_messages"},
        {col("raise_hands", "Hands", Kind::integer), "a.raise_hands"},
        {col("reactions", "Reactions", Kind::integer, false, true), "a.reactions"},
        {col("poll_votes", "Polls", Kind::integer), "a.poll_votes"},
        {col("status", "Meeting status", Kind::text, false, true), STATUS},
    });
    return c;
}

const std::vector<ColumnSql>& session_columns() {
    static const std::vector<ColumnSql> c = with_meeting({
        {col("name", "Name", Kind::text, true), "COALESCE(i.name, a.name, p.name)"},
        {col("user_id", "User ID", Kind::text, false, true), USER_ID},
        {col("role", "Role", Kind::text), "i.role"},
        {col("connection_id", "Connection", Kind::text, false, true), "i.connection_id"},
        {col("joined", "Joined", Kind::instant), "i.joined_ms"},
        {col("left", "Left", Kind::instant), "i.left_ms"},
        {col("duration", "Duration", Kind::duration), "MAX(0, COALESCE(i.left_ms, m.last_event_ms) - i.joined_ms)"},
        {col("closed_by", "Closed by", Kind::text), "i.closed_by"},
    });
    return c;
}

const std::vector<ColumnSql>& person_columns() {
    static const std::vector<ColumnSql> c = {
        {col("name", "Name", Kind::text, true), "p.name"},
        {col("user_id", "User ID", Kind::text), USER_ID},
        {col("server", "Server", Kind::text, false, true), "s.domain"},
        {col("guest", "Guest", Kind::integer, false, true), "p.is_guest"},
        {col("meetings", "Meetings", Kind::integer), "COUNT(*)"},
        {col("online", "Total online", Kind::duration), "SUM(a.online_ms)"},
        {col("average_percent", "Average %", Kind::percent), "AVG(" PERCENT ")"},
        {col("first_join", "First join", Kind::instant), "MIN(a.first_join_ms)"},
        {col("last_leave", "Last leave", Kind::instant), "MAX(a.last_leave_ms)"},
        {col("joins", "Joins", Kind::integer, false, true), "SUM(a.joins)"},
        {col("talk", "Talk", Kind::duration), "SUM(a.talk_ms)"},
        {col("webcam", "Webcam", Kind::duration), "SUM(a.webcam_ms)"},
        {col("presenter", "Presenter", Kind::duration, false, true), "SUM(a.presenter_ms)"},
        {col("chat_messages", "Chat", Kind::integer), "SUM(a.chat_messages)"},
        {col("raise_hands", "Hands", Kind::integer, false, true), "SUM(a.raise_hands)"},
        {col("reactions", "Reactions", Kind::integer, false, true), "SUM(a.reactions)"},
        {col("poll_votes", "Polls", Kind::integer, false, true), "SUM(a.poll_votes)"},
    };
    return c;
}

// `participants` is filled by the query (selected rows); `peak_concurrent` is computed here.
const std::vector<ColumnSql>& meeting_columns() {
    static const std::vector<ColumnSql> c = {
        {col("meeting", "Meeting", Kind::text, true), MEETING_NAME},
        {col("meeting_id", "Meeting ID", Kind::text, false, true), "m.external_id"},
        {col("internal_id", "Internal ID", Kind::text, false, true), "m.internal_id"},
        {col("course", "Course", Kind::text), "m.moodle_course_id"},
        {col("moodle_site", "Moodle site", Kind::text, false, true), "m.moodle_site"},
        {col("server", "Server", Kind::text), "s.domain"},
        {col("start", "Start", Kind::instant), START},
        {col("end", "End", Kind::instant), END},
        {col("duration", "Duration", Kind::duration), "MAX(0, " END " - " START ")"},
        {col("participants", "Participants", Kind::integer), "participants"},
        {col("peak_concurrent", "Peak", Kind::integer), "NULL"},
        {col("status", "Status", Kind::text), STATUS},
        {col("breakout", "Breakout room", Kind::integer, false, true), "m.is_breakout"},
        {col("parent_id", "Parent (internal ID)", Kind::text, false, true), "m.parent_internal_id"},
    };
    return c;
}

const std::vector<ColumnSql>& columns_sql(View view) {
    switch (view) {
    case View::person_meeting: return person_meeting_columns();
    case View::session: return session_columns();
    case View::person: return person_columns();
    case View::meeting: return meeting_columns();
    }
    return person_meeting_columns();
}

// SQL text from constant fragments only; every value is a bound parameter.
class Sql {
public:
    using Param = std::variant<int64_t, double, std::string>;
    std::string text;
    std::vector<Param> params;

    void where(std::string_view fragment, std::initializer_list<Param> values) {
        text += m_conditions++ ? " AND " : " WHERE ";
        text += fragment;
        params.insert(params.end(), values);
    }
    void bind(util::Stmt& st) const {
        int i = 1;
        for (const auto& p : params)
            std::visit([&](const auto& v) { st.bind(i++, v); }, p);
    }

private:
    int m_conditions = 0;
};

void meeting_filters(Sql& sql, const Filters& f) {
    if (f.from_ms) sql.where(START " >= ?", {*f.from_ms});
    if (f.to_ms) sql.where(START " < ?", {*f.to_ms});
    if (!f.meeting.empty())
        sql.where("(m.external_id = ? OR m.internal_id = ? OR instr(bbbhook_fold(m.name), ?) > 0)",
                  {f.meeting, f.meeting, util::fold_for_search(f.meeting)});
    if (!f.course.empty()) sql.where("m.moodle_course_id = ?", {f.course});
    if (!f.server.empty()) sql.where("s.domain = lower(?)", {f.server});
    if (!f.include_open) sql.where("m.finalized = 1", {});
    if (!f.include_breakouts) sql.where("m.is_breakout = 0", {});
}

bool has_person_filters(const Filters& f) {
    return !f.name.empty() || !f.user_id.empty() || !f.role.empty() || f.min_minutes || f.min_percent;
}

void person_filters(Sql& sql, const Filters& f) {
    if (!f.name.empty()) {
        auto key = util::fold_for_search(f.name);
        sql.where("(instr(bbbhook_fold(a.name), ?) > 0 OR instr(bbbhook_fold(p.name), ?) > 0)", {key, key});
    }
    if (!f.user_id.empty()) sql.where("(p.external_user_id = ? OR p.user_key = ?)", {f.user_id, f.user_id});
    if (!f.role.empty()) sql.where("a.role = upper(?)", {f.role});
    if (f.min_minutes) sql.where("a.online_ms >= ?", {static_cast<int64_t>(std::ceil(*f.min_minutes * 60000.0))});
    if (f.min_percent) sql.where(PERCENT " >= ?", {*f.min_percent});
}

std::string select_list(const std::vector<ColumnSql>& columns) {
    std::string s = "SELECT ";
    for (size_t i = 0; i < columns.size(); ++i) {
        if (i) s += ", ";
        s += columns[i].sql;
    }
    return s;
}

// The query of a view; its result has the view's columns, then the meeting's row id and the
// person's row id (0 for --by meeting), then what the timeline needs.
Sql build(View view, const Filters& f) {
    Sql sql;
    const auto& columns = columns_sql(view);
    switch (view) {
    case View::person_meeting:
        sql.text = select_list(columns) + ", m.id, p.id, " START ", " END ", m.finalized" PERSON_FROM;
        meeting_filters(sql, f);
        person_filters(sql, f);
        sql.text += " ORDER BY " START ", m.id, a.first_join_ms, a.person_id";
        break;
    case View::session:
        sql.text = select_list(columns) +
                   ", m.id, p.id, " START ", " END ", m.finalized" PERSON_FROM
                   " JOIN intervals i ON i.meeting_id = a.meeting_id AND i.person_id = a.person_id";
        meeting_filters(sql, f);
        person_filters(sql, f);
        sql.text += " ORDER BY " START ", m.id, i.joined_ms, i.connection_id";
        break;
    case View::person:
        sql.text = select_list(columns) + ", 0, p.id" PERSON_FROM;
        meeting_filters(sql, f);
        person_filters(sql, f);
        sql.text += " GROUP BY p.id ORDER BY bbbhook_fold(p.name), p.id";
        break;
    case View::meeting: {
        // participants: the person-meeting rows the person filters select, counted per meeting.
        Sql count;
        count.text = "SELECT COUNT(*) FROM attendance a JOIN people p ON p.id = a.person_id";
        count.where("a.meeting_id = m.id", {});
        person_filters(count, f);
        sql.text = "SELECT * FROM (" + select_list(columns) + ", m.id, 0, " START " AS start_ms FROM (SELECT m.*, (" +
                   count.text + ") AS participants FROM meetings m) m JOIN servers s ON s.id = m.server_id";
        sql.params = count.params;
        meeting_filters(sql, f);
        sql.text += ")";
        if (has_person_filters(f)) sql.text += " WHERE participants > 0";
        sql.text += " ORDER BY start_ms, 1";
        break;
    }
    }
    return sql;
}

void read_cell(util::Stmt& st, int i, Kind kind, Cell& cell) {
    if (st.is_null(i)) {
        cell = std::monostate{};
        return;
    }
    switch (kind) {
    case Kind::text:
        if (auto* s = std::get_if<std::string>(&cell))
            s->assign(st.text_view(i));
        else
            cell = std::string(st.text_view(i));
        break;
    case Kind::percent: cell = st.real(i); break;
    case Kind::integer:
    case Kind::instant:
    case Kind::duration: cell = st.int64(i); break;
    }
}

struct Connection {
    int64_t person;
    int64_t from, to;
    bool open;
};

// Connections of one meeting; open ones run to the meeting's last event.
std::vector<Connection> connections_of(util::Stmt& st, int64_t meeting_id, int64_t last_event_ms) {
    std::vector<Connection> out;
    st.reset();
    st.bind(1, meeting_id);
    while (st.step()) {
        bool open = st.is_null(2);
        int64_t to = open ? std::max(last_event_ms, st.int64(1)) : st.int64(2);
        out.push_back({st.int64(0), st.int64(1), to, open});
    }
    return out;
}

// The most people present at once (a person with two tabs counts once; someone leaving at the
// instant another joins is not counted twice).
int64_t peak_concurrent(const std::vector<Connection>& connections) {
    struct Edge {
        int64_t t;
        int delta;
        int64_t person;
    };
    std::vector<Edge> edges;
    edges.reserve(connections.size() * 2);
    for (const auto& c : connections) {
        edges.push_back({c.from, +1, c.person});
        edges.push_back({c.to, -1, c.person});
    }
    std::sort(edges.begin(), edges.end(),
              [](const Edge& x, const Edge& y) { return x.t != y.t ? x.t < y.t : x.delta < y.delta; });
    std::unordered_map<int64_t, int> open;
    int64_t present = 0, peak = 0;
    for (const auto& e : edges) {
        int& n = open[e.person];
        if (e.delta > 0 && n++ == 0) peak = std::max(peak, ++present);
        if (e.delta < 0 && --n == 0) --present;
    }
    return peak;
}

// Each person's time in breakout rooms, at the parent meeting (the breakout_attendance view),
// asked meeting by meeting as rows come (they come grouped by meeting), and only for meetings
// that had breakout rooms (schema 2's meetings_by_parent finds them): a report of a few meetings
// does not compute the view for all of them (60 ms for a million rows).
class BreakoutTimes {
public:
    explicit BreakoutTimes(util::Db& db)
        : m_of_meeting(db, "SELECT person_id, breakout_ms FROM breakout_attendance WHERE meeting_id = ?") {
        auto st = db.prepare("SELECT DISTINCT parent.id FROM meetings AS child JOIN meetings AS parent ON "
                             "parent.server_id = child.server_id AND parent.internal_id = child.parent_internal_id "
                             "WHERE child.is_breakout = 1");
        while (st.step())
            m_parents.insert(st.int64(0));
    }

    int64_t of(int64_t meeting, int64_t person) {
        if (!m_parents.contains(meeting)) return 0;
        if (meeting != m_meeting) {
            m_meeting = meeting;
            m_times.clear();
            m_of_meeting.reset();
            m_of_meeting.bind(1, meeting);
            while (m_of_meeting.step())
                m_times[m_of_meeting.int64(0)] = m_of_meeting.int64(1);
        }
        auto it = m_times.find(person);
        return it == m_times.end() ? 0 : it->second;
    }

private:
    util::Stmt m_of_meeting;
    std::unordered_set<int64_t> m_parents;
    int64_t m_meeting = 0;
    std::unordered_map<int64_t, int64_t> m_times; // person -> ms, of m_meeting
};

// Merges a person's connections into presences (two tabs are one presence).
std::vector<Presence> presences(std::vector<Connection> cs) {
    std::sort(cs.begin(), cs.end(), [](const Connection& x, const Connection& y) { return x.from < y.from; });
    std::vector<Presence> out;
    for (const auto& c : cs) {
        if (!out.empty() && c.from <= out.back().to_ms) {
            out.back().to_ms = std::max(out.back().to_ms, c.to);
            out.back().open = out.back().open || c.open;
        } else {
            out.push_back({c.from, c.to, c.open});
        }
    }
    return out;
}

// What the timelines need, gathered while rows stream by.
struct TimelineBuilder {
    struct Meeting {
        int64_t id;
        Timeline timeline;
        int64_t last_event_ms;
        std::vector<std::pair<int64_t, TimelinePerson>> people; // person id, in first-join order
        std::unordered_set<int64_t> seen;
    };
    std::vector<Meeting> meetings;

    void add(const Row& row, const std::vector<ColumnSql>& columns, util::Stmt& st, int base) {
        int64_t mid = st.int64(base), pid = st.int64(base + 1);
        if (meetings.empty() || meetings.back().id != mid) {
            Meeting m{mid, {}, st.int64(base + 3), {}, {}};
            m.timeline.meeting = text_of(row, columns, "meeting");
            std::string course = text_of(row, columns, "course"), server = text_of(row, columns, "server");
            m.timeline.detail = course.empty() ? server : "course " + course + " · " + server;
            m.timeline.start_ms = st.int64(base + 2);
            m.timeline.end_ms = std::max(m.timeline.start_ms, st.int64(base + 3));
            m.timeline.running = st.int64(base + 4) == 0;
            meetings.push_back(std::move(m));
        }
        auto& m = meetings.back();
        if (m.seen.insert(pid).second)
            m.people.push_back({pid, TimelinePerson{text_of(row, columns, "name"), text_of(row, columns, "role"), {}}});
    }

    static std::string text_of(const Row& row, const std::vector<ColumnSql>& columns, std::string_view key) {
        for (size_t i = 0; i < columns.size(); ++i)
            if (columns[i].column.key == key)
                if (auto* s = std::get_if<std::string>(&row[i])) return *s;
        return {};
    }

    std::vector<Timeline> finish(util::Db& db) {
        auto st = db.prepare("SELECT person_id, joined_ms, left_ms FROM intervals WHERE meeting_id = ?");
        std::vector<Timeline> out;
        for (auto& m : meetings) {
            std::map<int64_t, std::vector<Connection>> by_person;
            for (auto& c : connections_of(st, m.id, m.last_event_ms))
                if (m.seen.contains(c.person)) by_person[c.person].push_back(c);
            for (auto& [pid, person] : m.people) {
                person.presence = presences(std::move(by_person[pid]));
                m.timeline.people.push_back(std::move(person));
            }
            out.push_back(std::move(m.timeline));
        }
        return out;
    }
};

} // namespace

const std::vector<Column>& columns_of(View view) {
    static const auto make = [](View v) {
        std::vector<Column> out;
        for (const auto& c : columns_sql(v))
            out.push_back(c.column);
        return out;
    };
    static const std::vector<Column> views[] = {make(View::person_meeting), make(View::session), make(View::person),
                                                make(View::meeting)};
    return views[static_cast<int>(view)];
}

Summary summary_of(View view, const Totals& t) {
    Summary s;
    const auto average = [&] {
        return t.percent_rows ? fmt::format("{:.1f}%", t.percent_sum / static_cast<double>(t.percent_rows)) : "–";
    };
    switch (view) {
    case View::person_meeting:
        s = {{"Meetings", fmt::format("{}", t.meetings)},
             {"People", fmt::format("{}", t.people)},
             {"Attendances (rows)", fmt::format("{}", t.rows)},
             {"Total time online", format_hms(t.online_ms)},
             {"Average % of meeting", average()}};
        break;
    case View::session:
        s = {{"Meetings", fmt::format("{}", t.meetings)},
             {"People", fmt::format("{}", t.people)},
             {"Sessions (rows)", fmt::format("{}", t.rows)},
             {"Total time connected", format_hms(t.online_ms)}};
        break;
    case View::person:
        s = {{"People", fmt::format("{}", t.rows)},
             {"Total time online", format_hms(t.online_ms)},
             {"Average % of meeting", average()}};
        break;
    case View::meeting:
        s = {{"Meetings", fmt::format("{}", t.rows)}, {"Participants (sum)", fmt::format("{}", t.people)}};
        break;
    }
    return s;
}

Totals run_query(util::Db& db, View view, const Filters& filters, const std::function<void(const Row&)>& row_fn,
                 std::vector<Timeline>* timelines) {
    const auto& columns = columns_sql(view);
    const Sql sql = build(view, filters);
    auto st = db.prepare(sql.text);
    sql.bind(st);

    std::optional<BreakoutTimes> breakouts;
    if (view == View::person_meeting) breakouts.emplace(db);
    std::optional<util::Stmt> connections;
    if (view == View::meeting)
        connections.emplace(db, "SELECT person_id, joined_ms, left_ms FROM intervals WHERE meeting_id = ?");
    int online = -1, percent = -1, peak = -1, participants = -1, end = -1, breakout = -1;
    for (size_t i = 0; i < columns.size(); ++i) {
        const auto& key = columns[i].column.key;
        if (key == "online" || (key == "duration" && view == View::session)) online = static_cast<int>(i);
        if (key == "percent" || key == "average_percent") percent = static_cast<int>(i);
        if (key == "peak_concurrent") peak = static_cast<int>(i);
        if (key == "participants") participants = static_cast<int>(i);
        if (key == "end") end = static_cast<int>(i);
        if (key == "breakout" && view == View::person_meeting) breakout = static_cast<int>(i);
    }

    const int base = static_cast<int>(columns.size());
    TimelineBuilder builder;
    const bool want_timelines = timelines && (view == View::person_meeting || view == View::session);
    Totals totals;
    std::unordered_set<int64_t> meetings, people;
    Row row(columns.size());
    while (st.step()) {
        for (size_t i = 0; i < columns.size(); ++i)
            read_cell(st, static_cast<int>(i), columns[i].column.kind, row[i]);
        const int64_t mid = st.int64(base), pid = st.int64(base + 1);
        if (breakout >= 0) row[static_cast<size_t>(breakout)] = breakouts->of(mid, pid);
        if (peak >= 0) {
            const auto* last = std::get_if<int64_t>(&row[static_cast<size_t>(end)]);
            row[static_cast<size_t>(peak)] = peak_concurrent(connections_of(*connections, mid, last ? *last : 0));
        }
        ++totals.rows;
        if (mid) meetings.insert(mid);
        if (pid) people.insert(pid);
        if (participants >= 0) totals.people += static_cast<size_t>(std::get<int64_t>(row[size_t(participants)]));
        if (online >= 0)
            if (auto* v = std::get_if<int64_t>(&row[static_cast<size_t>(online)])) totals.online_ms += *v;
        if (percent >= 0)
            if (auto* v = std::get_if<double>(&row[static_cast<size_t>(percent)])) {
                totals.percent_sum += *v;
                ++totals.percent_rows;
            }
        if (want_timelines) builder.add(row, columns, st, base);
        row_fn(row);
    }
    totals.meetings = meetings.size();
    if (view != View::meeting) totals.people = people.size();
    if (want_timelines) *timelines = builder.finish(db);
    return totals;
}

} // namespace bbbhook::report

#undef START
#undef END
#undef PERCENT
#undef MEETING_NAME
#undef STATUS
#undef USER_ID
#undef PERSON_FROM
