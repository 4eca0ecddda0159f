// End-to-end tests of `bbbhook report`: the real binary on real SQLite files (ingested from the
// captured fixtures, or written here with known times around a DST change), CSV/JSON compared
// with golden files, PDFs read back with pdftotext and pdfinfo.
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bbbhook/store/schema.hpp"
#include "bbbhook/util/sqlite.hpp"
#include "support/database.hpp"

using namespace bbbhook;

namespace {

constexpr int64_t k_min = 60'000;
// 2026-10-25 00:00 in Europe/Athens (still EEST, UTC+3): 2026-10-24T21:00:00Z. Clocks go back
// from 04:00 to 03:00 that night, so that day has 25 hours: it ends at 2026-10-25T22:00:00Z.
constexpr int64_t k_oct25_athens = 1792875600000;

struct Person {
    const char* key;
    const char* external;
    const char* name;
    int guest;
};

// People of the synthetic database: names in several scripts, one that a spreadsheet would run.
const Person k_people[] = {
    {"w_p1", "101", "ΓΙΩΡΓΟΣ Παπαδόπουλος", 0},
    {"w_p2", "102", "Γιώργος Νικολάου", 0},
    {"w_p3", "103", "=HYPERLINK(\"http://evil.example/\",\"click\")", 0},
    {"w_guest1", nullptr, "José Ñúñez", 1},
    {"w_p5", "105", "王小明", 0},
    {"w_p6", "106", "Ёлка Иванова", 0},
};

// A database with meetings at known instants (see each comment) and the people above.
void write_synthetic_database(const std::filesystem::path& path) {
    auto db = store::open_database(path);
    REQUIRE(db);
    db->exec("INSERT INTO servers (id, domain) VALUES (1, 'a.example.org'), (2, 'b.example.org')");
    auto meeting = db->prepare(
        "INSERT INTO meetings (id, server_id, internal_id, external_id, name, created_ms, ended_ms, end_reason, "
        "is_breakout, parent_internal_id, moodle_course_id, moodle_site, first_event_ms, last_event_ms, finalized) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'moodle.example.org', ?, ?, ?)");
    auto add_meeting = [&](int id, int server, const char* ext, const char* name, int64_t start, int64_t minutes,
                           bool finalized, const char* course, bool breakout = false) {
        meeting.reset();
        meeting.bind(1, id).bind(2, server).bind(3, fmt::format("internal-{}", id)).bind(4, std::string_view(ext));
        meeting.bind(5, std::string_view(name)).bind(6, start);
        if (finalized)
            meeting.bind(7, start + minutes * k_min).bind(8, std::string_view("ended"));
        else
            meeting.bind(7, nullptr).bind(8, nullptr);
        meeting.bind(9, breakout ? 1 : 0);
        if (breakout)
            meeting.bind(10, std::string_view("internal-2"));
        else
            meeting.bind(10, nullptr);
        meeting.bind(11, std::string_view(course)).bind(12, start).bind(13, start + minutes * k_min);
        meeting.bind(14, finalized ? 1 : 0).run();
    };
    const int64_t s = k_oct25_athens;
    add_meeting(1, 1, "phys-1", "Physics 101 - Lecture 1", s - 30 * k_min, 60, true, "42"); // 24 Oct 23:30
    add_meeting(2, 1, "phys-2", "Physics 101 - Lecture 2", s, 60, true, "42");              // 25 Oct 00:00
    add_meeting(3, 2, "chem-1", "Chemistry 1", s + 25 * 60 * k_min - 1000, 30, true, "7");  // 25 Oct 23:59:59
    add_meeting(4, 2, "chem-2", "Chemistry 2", s + 25 * 60 * k_min, 30, true, "7");         // 26 Oct 00:00
    add_meeting(5, 1, "phys-open", "Physics 101 - Open lab", s + 2 * 60 * k_min, 20, false, "42");
    add_meeting(6, 1, "phys-2-room", "Physics 101 - Lecture 2 (Room 1)", s + 15 * k_min, 10, true, "42", true);

    auto person = db->prepare("INSERT INTO people (id, server_id, user_key, external_user_id, name, is_guest) "
                              "VALUES (?, ?, ?, ?, ?, ?)");
    for (int server : {1, 2})
        for (int i = 0; i < 6; ++i) {
            const Person& p = k_people[i];
            person.reset();
            person.bind(1, server * 10 + i + 1).bind(2, server).bind(3, std::string_view(p.key));
            if (p.external)
                person.bind(4, std::string_view(p.external));
            else
                person.bind(4, nullptr);
            person.bind(5, std::string_view(p.name)).bind(6, p.guest).run();
        }

    // Intervals as (meeting, person 1-6, connection, joined min, left min or -1 for open, closed_by);
    // attendance is what ingest would derive from them (the union of a person's intervals).
    struct Iv {
        int meeting, person;
        const char* connection;
        int64_t from, to;
        const char* closed_by;
    };
    const Iv intervals[] = {
        {1, 1, "c11", 0, 60, "meeting-ended"},
        {1, 2, "c12", 10, 50, "left"},
        // Meeting 2: P1 all along; P2 10-40; P3 40-50; P4 in two tabs 20-23 and 22-25, back 52-54; P5 5-50.
        {2, 1, "c21", 0, 60, "meeting-ended"},
        {2, 2, "c22", 10, 40, "left"},
        {2, 3, "c23", 40, 50, "left"},
        {2, 4, "c24a", 20, 23, "left"},
        {2, 4, "c24b", 22, 25, "left"},
        {2, 4, "c24c", 52, 54, "left"},
        {2, 5, "c25", 5, 50, "left"},
        {3, 2, "c32", 0, 30, "meeting-ended"},
        {3, 3, "c33", 0, 15, "left"},
        {3, 6, "c36", 5, 30, "meeting-ended"},
        {4, 1, "c41", 0, 30, "meeting-ended"},
        {5, 1, "c51", 0, -1, "open"},
        {6, 2, "c62", 0, 10, "meeting-ended"},
    };
    const int64_t starts[] = {
        0, s - 30 * k_min, s, s + 25 * 60 * k_min - 1000, s + 25 * 60 * k_min, s + 2 * 60 * k_min, s + 15 * k_min};
    auto interval = db->prepare("INSERT INTO intervals (meeting_id, connection_id, joined_ms, person_id, name, role, "
                                "left_ms, closed_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    for (const auto& iv : intervals) {
        const int server = iv.meeting >= 3 && iv.meeting <= 4 ? 2 : 1;
        interval.reset();
        interval.bind(1, iv.meeting)
            .bind(2, std::string_view(iv.connection))
            .bind(3, starts[iv.meeting] + iv.from * k_min);
        interval.bind(4, server * 10 + iv.person).bind(5, std::string_view(k_people[iv.person - 1].name));
        interval.bind(6, std::string_view(iv.person == 1 ? "MODERATOR" : "VIEWER"));
        if (iv.to < 0)
            interval.bind(7, nullptr);
        else
            interval.bind(7, starts[iv.meeting] + iv.to * k_min);
        interval.bind(8, std::string_view(iv.closed_by)).run();
    }
    // Attendance from the intervals: online = union, first join, last leave (NULL when open), joins.
    db->exec(R"sql(
INSERT INTO attendance (meeting_id, person_id, name, role, first_join_ms, last_leave_ms, online_ms, joins, talk_ms,
                        webcam_ms, presenter_ms, chat_messages, raise_hands, reactions, poll_votes)
SELECT meeting_id, person_id, MAX(name), MAX(role), MIN(joined_ms),
       CASE WHEN COUNT(left_ms) < COUNT(*) THEN NULL ELSE MAX(left_ms) END,
       0, COUNT(*), 60000, 120000, 0, 3, 1, 2, 1
FROM intervals GROUP BY meeting_id, person_id;
)sql");
    // The unions, by hand: P4's two tabs 20-25 count once (5 min) plus 52-54 (2 min).
    db->exec("UPDATE attendance SET online_ms = (SELECT SUM(COALESCE(left_ms, joined_ms + 20 * 60000) - joined_ms) "
             "FROM intervals i WHERE i.meeting_id = attendance.meeting_id AND i.person_id = attendance.person_id)");
    db->exec("UPDATE attendance SET online_ms = 7 * 60000 WHERE meeting_id = 2 AND person_id = 14");
}

struct Report {
    int code;
    std::string out, err;
};

Report report(const std::filesystem::path& database, std::vector<std::string> args) {
    const auto config = database.parent_path() / "empty.conf";
    test::write_text(config, "");
    std::vector<std::string> argv = {
        test::bbbhook_binary().string(), "--config", config.string(), "report", "--database", database.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = test::run(argv);
    return {r.code, r.out, r.err};
}

// The records of an RFC 4180 CSV (quoted fields with commas, quotes and line breaks).
std::vector<std::vector<std::string>> csv_records(std::string_view csv) {
    std::vector<std::vector<std::string>> records(1);
    std::string field;
    bool quoted = false, in_record = false;
    for (size_t i = 0; i < csv.size(); ++i) {
        const char c = csv[i];
        if (quoted) {
            if (c == '"' && i + 1 < csv.size() && csv[i + 1] == '"') {
                field += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c == '"') {
            quoted = in_record = true;
        } else if (c == ',') {
            records.back().push_back(std::exchange(field, {}));
            in_record = true;
        } else if (c == '\r' && i + 1 < csv.size() && csv[i + 1] == '\n') {
            records.back().push_back(std::exchange(field, {}));
            records.emplace_back();
            in_record = false;
            ++i;
        } else {
            field += c;
            in_record = true;
        }
    }
    if (in_record) records.back().push_back(field);
    if (records.back().empty()) records.pop_back();
    return records;
}

// One column of a CSV report, header skipped.
std::vector<std::string> csv_column(const std::string& csv, const std::string& column) {
    auto records = csv_records(csv);
    REQUIRE(!records.empty());
    const auto& header = records.front();
    auto it = std::find(header.begin(), header.end(), column);
    REQUIRE(it != header.end());
    const auto index = static_cast<size_t>(it - header.begin());
    std::vector<std::string> values;
    for (size_t r = 1; r < records.size(); ++r) {
        REQUIRE(records[r].size() == header.size());
        values.push_back(records[r][index]);
    }
    return values;
}

std::string joined(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v)
        s += (s.empty() ? "" : "|") + x;
    return s;
}

// The `name` column of a person-meeting CSV report with these filters.
std::string names(const std::filesystem::path& db, std::vector<std::string> args) {
    args.insert(args.end(), {"--format", "csv", "--tz", "Europe/Athens"});
    auto r = report(db, args);
    INFO(r.err);
    REQUIRE(r.code == 0);
    return joined(csv_column(r.out, "name"));
}

std::string meetings(const std::filesystem::path& db, std::vector<std::string> args) {
    args.insert(args.end(), {"--by", "meeting", "--format", "csv", "--tz", "Europe/Athens"});
    auto r = report(db, args);
    INFO(r.err);
    REQUIRE(r.code == 0);
    return joined(csv_column(r.out, "meeting_id"));
}

std::filesystem::path golden(std::string_view name) {
    return test::source_dir() / "tests/golden/report" / name;
}

// Compares with a golden file; UPDATE_GOLDEN=1 rewrites it instead (review the diff).
void check_golden(std::string_view name, const std::string& actual) {
    if (std::getenv("UPDATE_GOLDEN")) test::write_text(golden(name), actual);
    CHECK(actual == test::read_text(golden(name)));
}

std::string pdftotext(const std::filesystem::path& pdf) {
    auto r = test::run({"/usr/bin/pdftotext", "-layout", pdf.string(), "-"});
    REQUIRE(r.code == 0);
    return r.out;
}

} // namespace

TEST_CASE("the fixture meetings as CSV, JSON and NDJSON match the golden files", "[report][fixtures]") {
    test::TempDir dir;
    test::write_journal(dir / "journal", test::captures_of("checksum-sha1", "/hooks/global-mapped?"));
    auto ingest = test::run_ingest(dir / "journal", dir / "db.sqlite");
    INFO(ingest.err);
    REQUIRE(ingest.code == 0);
    for (std::string view : {"person-meeting", "session", "person", "meeting"}) {
        auto csv = report(dir / "db.sqlite", {"--by", view, "--tz", "UTC", "--format", "csv"});
        INFO(view << ": " << csv.err);
        REQUIRE(csv.code == 0);
        check_golden("fixtures-" + view + ".csv", csv.out);
        auto json = report(dir / "db.sqlite", {"--by", view, "--tz", "UTC", "--format", "json"});
        REQUIRE(json.code == 0);
        check_golden("fixtures-" + view + ".json", json.out);
        // NDJSON: the same objects, one per line.
        auto nd = report(dir / "db.sqlite", {"--by", view, "--tz", "UTC", "--format", "ndjson"});
        REQUIRE(nd.code == 0);
        auto array = nlohmann::json::parse(json.out);
        std::istringstream lines(nd.out);
        size_t n = 0;
        for (std::string line; std::getline(lines, line); ++n)
            CHECK(nlohmann::json::parse(line) == array.at(n));
        CHECK(n == array.size());
    }
}

TEST_CASE("the time zone changes how instants are written, not which rows there are", "[report][fixtures]") {
    test::TempDir dir;
    test::write_journal(dir / "journal", test::captures_of("checksum-sha1", "/hooks/global-mapped?"));
    auto ingest = test::run_ingest(dir / "journal", dir / "db.sqlite");
    INFO(ingest.err);
    REQUIRE(ingest.code == 0);
    auto utc = report(dir / "db.sqlite", {"--tz", "UTC", "--format", "csv"});
    auto athens = report(dir / "db.sqlite", {"--tz", "Europe/Athens", "--format", "csv"});
    REQUIRE(utc.code == 0);
    REQUIRE(athens.code == 0);
    // Tina joined at 1795551040038 ms: 2026-11-24 20:10:40 UTC, 22:10:40 in Athens (EET, +02:00).
    CHECK_THAT(utc.out, Catch::Contains("2026-11-24T20:10:40Z"));
    CHECK_THAT(athens.out, Catch::Contains("2026-11-24T22:10:40+02:00"));
    CHECK(csv_column(utc.out, "name") == csv_column(athens.out, "name"));
}

TEST_CASE("report --from and --to select meetings by their start, in days of the zone across a DST change",
          "[report][filters]") {
    test::TempDir dir;
    write_synthetic_database(dir / "db.sqlite");
    const auto db = dir / "db.sqlite";
    // Everything finished, breakout rooms and running meetings left out by default.
    CHECK(meetings(db, {}) == "phys-1|phys-2|chem-1|chem-2");
    // 25 Oct starts at 00:00 EEST: Lecture 1 (24 Oct 23:30) is before it, Lecture 2 at it.
    CHECK(meetings(db, {"--from", "2026-10-25"}) == "phys-2|chem-1|chem-2");
    // --to a date is that whole day: 25 hours long here, so 23:59:59 EET is in, 26 Oct 00:00 is not.
    CHECK(meetings(db, {"--from", "2026-10-25", "--to", "2026-10-25"}) == "phys-2|chem-1");
    CHECK(meetings(db, {"--to", "2026-10-24"}) == "phys-1");
    // A date-time --to is exclusive; --from inclusive.
    CHECK(meetings(db, {"--to", "2026-10-25T00:00"}) == "phys-1");
    CHECK(meetings(db, {"--from", "2026-10-24T23:30:00", "--to", "2026-10-24T23:30:01"}) == "phys-1");
    // The same days in UTC are other days: Lecture 2 (21:00Z) is on 24 Oct there.
    auto utc = report(db, {"--by", "meeting", "--format", "csv", "--tz", "UTC", "--from", "2026-10-25"});
    REQUIRE(utc.code == 0);
    CHECK(joined(csv_column(utc.out, "meeting_id")) == "chem-1|chem-2");
    // The repeated hour 03:00-04:00 of 25 Oct is taken at its first occurrence (EEST).
    CHECK(meetings(db, {"--from", "2026-10-25T03:30"}) == "chem-1|chem-2");
}

TEST_CASE("the other filters select what they say, with their boundaries", "[report][filters]") {
    test::TempDir dir;
    write_synthetic_database(dir / "db.sqlite");
    const auto db = dir / "db.sqlite";
    const std::vector<std::string> lecture2 = {"--meeting", "phys-2"};
    auto in_lecture2 = [&](std::vector<std::string> extra) {
        extra.insert(extra.end(), lecture2.begin(), lecture2.end());
        return names(db, extra);
    };
    CHECK(in_lecture2({}) ==
          "ΓΙΩΡΓΟΣ Παπαδόπουλος|王小明|Γιώργος Νικολάου|José Ñúñez|'=HYPERLINK(\"http://evil.example/\",\"click\")");
    SECTION("--name ignores case and accents, in any script") {
        CHECK(names(db, {"--name", "γιώργος", "--meeting", "phys-2"}) == "ΓΙΩΡΓΟΣ Παπαδόπουλος|Γιώργος Νικολάου");
        CHECK(names(db, {"--name", "JOSE nunez"}) == "José Ñúñez");
        CHECK(names(db, {"--name", "елка"}) == "Ёлка Иванова");
        CHECK(names(db, {"--name", "小明", "--meeting", "phys-2"}) == "王小明");
        CHECK(names(db, {"--name", "nobody"}).empty());
    }
    SECTION("--user-id matches the external id, or a guest's internal id") {
        CHECK(in_lecture2({"--user-id", "102"}) == "Γιώργος Νικολάου");
        CHECK(in_lecture2({"--user-id", "w_guest1"}) == "José Ñúñez");
        CHECK(in_lecture2({"--user-id", "10"}).empty());
    }
    SECTION("--meeting takes the external id, the internal id or a part of the name") {
        CHECK(meetings(db, {"--meeting", "internal-3"}) == "chem-1");
        CHECK(meetings(db, {"--meeting", "LECTURE 2"}) == "phys-2");
        CHECK(meetings(db, {"--meeting", "physics"}) == "phys-1|phys-2");
    }
    SECTION("--course, --server and --role") {
        CHECK(meetings(db, {"--course", "7"}) == "chem-1|chem-2");
        CHECK(meetings(db, {"--course", "4"}).empty());
        CHECK(meetings(db, {"--server", "B.example.org"}) == "chem-1|chem-2");
        CHECK(in_lecture2({"--role", "Moderator"}) == "ΓΙΩΡΓΟΣ Παπαδόπουλος");
        CHECK(in_lecture2({"--role", "viewer"}).find("ΓΙΩΡΓΟΣ") == std::string::npos);
    }
    SECTION("--min-minutes and --min-percent include their boundary") {
        // Online in Lecture 2 (60 min): P1 60, P5 45, P2 30 (50%), P4 7, P3 10.
        CHECK(in_lecture2({"--min-minutes", "30"}) == "ΓΙΩΡΓΟΣ Παπαδόπουλος|王小明|Γιώργος Νικολάου");
        CHECK(in_lecture2({"--min-minutes", "30.01"}) == "ΓΙΩΡΓΟΣ Παπαδόπουλος|王小明");
        CHECK(in_lecture2({"--min-percent", "50"}) == "ΓΙΩΡΓΟΣ Παπαδόπουλος|王小明|Γιώργος Νικολάου");
        CHECK(in_lecture2({"--min-percent", "75.1"}) == "ΓΙΩΡΓΟΣ Παπαδόπουλος");
        // With person filters, --by meeting counts the selected people only: in Lecture 1 P1 (100%)
        // and P2 (40 of 60 min), in Chemistry 1 all three (P3: 15 of 30 min, the boundary).
        auto r = report(db, {"--by", "meeting", "--format", "csv", "--min-percent", "50"});
        REQUIRE(r.code == 0);
        CHECK(joined(csv_column(r.out, "participants")) == "2|3|3|1");
    }
    SECTION("--include-open and --include-breakouts") {
        CHECK(meetings(db, {"--include-open"}) == "phys-1|phys-2|phys-open|chem-1|chem-2");
        CHECK(meetings(db, {"--include-breakouts"}) == "phys-1|phys-2|phys-2-room|chem-1|chem-2");
        auto open = report(db, {"--include-open", "--meeting", "phys-open", "--format", "csv"});
        REQUIRE(open.code == 0);
        CHECK(joined(csv_column(open.out, "status")) == "running");
        CHECK(joined(csv_column(open.out, "last_leave")).empty()); // still there
    }
    SECTION("a value is data, never SQL") {
        CHECK(names(db, {"--name", "' OR 1=1 --"}).empty());
        CHECK(meetings(db, {"--course", "7' OR '1'='1"}).empty());
    }
}

TEST_CASE("the views compute percent, breakout time, sessions, totals and the peak", "[report][views]") {
    test::TempDir dir;
    write_synthetic_database(dir / "db.sqlite");
    const auto db = dir / "db.sqlite";
    auto pm = report(db, {"--meeting", "phys-2", "--format", "csv", "--tz", "UTC"});
    REQUIRE(pm.code == 0);
    CHECK(joined(csv_column(pm.out, "percent")) == "100.0|75.0|50.0|11.7|16.7");
    CHECK(joined(csv_column(pm.out, "online_hms")) == "1:00:00|0:45:00|0:30:00|0:07:00|0:10:00");
    CHECK(joined(csv_column(pm.out, "online_seconds")) == "3600|2700|1800|420|600");
    CHECK(joined(csv_column(pm.out, "joins")) == "1|1|1|3|1");
    // P2's 10 minutes in the breakout room show at the parent meeting.
    CHECK(joined(csv_column(pm.out, "breakout_seconds")) == "0|0|600|0|0");

    auto sessions = report(
        db, {"--by", "session", "--meeting", "phys-2", "--user-id", "w_guest1", "--format", "csv", "--tz", "UTC"});
    REQUIRE(sessions.code == 0);
    CHECK(joined(csv_column(sessions.out, "connection_id")) == "c24a|c24b|c24c");
    CHECK(joined(csv_column(sessions.out, "joined")) ==
          "2026-10-24T21:20:00Z|2026-10-24T21:22:00Z|2026-10-24T21:52:00Z");
    CHECK(joined(csv_column(sessions.out, "duration_seconds")) == "180|180|120");
    CHECK(joined(csv_column(sessions.out, "closed_by")) == "left|left|left");

    // People are per server: P1 and P2 of server b (Chemistry) are other rows.
    auto all = report(db, {"--by", "person", "--format", "json", "--name", "Γιώργος"});
    CHECK(nlohmann::json::parse(all.out).size() == 4);
    auto people = report(db, {"--by", "person", "--format", "json", "--name", "Γιώργος", "--server", "a.example.org"});
    REQUIRE(people.code == 0);
    auto rows = nlohmann::json::parse(people.out);
    REQUIRE(rows.size() == 2);
    // P2: Lecture 1 (40 of 60 min) and Lecture 2 (30 of 60).
    auto p2 = rows[0]["name"] == "Γιώργος Νικολάου" ? rows[0] : rows[1];
    CHECK(p2["meetings"] == 2);
    CHECK(p2["online_seconds"] == 4200);
    CHECK(p2["online_hms"] == "1:10:00");
    CHECK(p2["average_percent"] == 58.3);

    auto m = report(db, {"--by", "meeting", "--format", "json", "--meeting", "phys-2"});
    REQUIRE(m.code == 0);
    auto meeting = nlohmann::json::parse(m.out).at(0);
    CHECK(meeting["participants"] == 5);
    // P1, P2, P5 and P4 (two tabs, counted once) from 22 to 23 min.
    CHECK(meeting["peak_concurrent"] == 4);
    CHECK(meeting["duration_seconds"] == 3600);
    CHECK(meeting["course"] == "42");
}

TEST_CASE("CSV neutralizes formulas, quotes what needs it, and adds a BOM when asked", "[report][csv]") {
    test::TempDir dir;
    write_synthetic_database(dir / "db.sqlite");
    auto r = report(dir / "db.sqlite", {"--name", "hyperlink", "--format", "csv", "--meeting", "phys-2", "--bom"});
    REQUIRE(r.code == 0);
    REQUIRE(r.out.starts_with("\xEF\xBB\xBFmeeting,"));
    CHECK_THAT(r.out, Catch::Contains(",\"'=HYPERLINK(\"\"http://evil.example/\"\",\"\"click\"\")\","));
    CHECK(r.out.find(",=HYPERLINK") == std::string::npos);
    CHECK(r.out.ends_with("\r\n"));
    // JSON keeps the name as it is: it is data there, not a formula.
    auto json = report(dir / "db.sqlite", {"--name", "hyperlink", "--format", "json", "--meeting", "phys-2"});
    CHECK(nlohmann::json::parse(json.out).at(0)["name"] == "=HYPERLINK(\"http://evil.example/\",\"click\")");
}

TEST_CASE("an empty result is a valid file that says nothing matched", "[report][empty]") {
    test::TempDir dir;
    write_synthetic_database(dir / "db.sqlite");
    const auto db = dir / "db.sqlite";
    auto csv = report(db, {"--name", "nobody", "-o", (dir / "empty.csv").string()});
    CHECK(csv.code == 0);
    CHECK_THAT(csv.err, Catch::Contains("no rows match"));
    const auto empty_csv = test::read_text(dir / "empty.csv");
    CHECK(empty_csv.starts_with("meeting,meeting_id,"));
    CHECK(std::count(empty_csv.begin(), empty_csv.end(), '\n') == 1); // the header only
    CHECK(report(db, {"--name", "nobody", "--format", "json"}).out == "[]\n");
    CHECK(report(db, {"--name", "nobody", "--format", "ndjson"}).out.empty());
    CHECK(report(db, {"--name", "nobody", "--format", "table"}).out == "No rows match these filters.\n");
    auto pdf = report(db, {"--name", "nobody", "-o", (dir / "empty.pdf").string()});
    REQUIRE(pdf.code == 0);
    CHECK_THAT(pdftotext(dir / "empty.pdf"), Catch::Contains("No rows match"));
}

TEST_CASE("the table for the terminal shows people's columns and a summary", "[report][table]") {
    test::TempDir dir;
    write_synthetic_database(dir / "db.sqlite");
    auto r = report(dir / "db.sqlite", {"--format", "table", "--meeting", "phys-2", "--tz", "Europe/Athens"});
    REQUIRE(r.code == 0);
    CHECK_THAT(r.out, Catch::StartsWith("Meeting"));
    CHECK_THAT(r.out, Catch::Contains("ΓΙΩΡΓΟΣ Παπαδόπουλος"));
    CHECK_THAT(r.out, Catch::Contains("2026-10-25 00:00"));
    CHECK_THAT(r.out, Catch::Contains("Meetings: 1 · People: 5 · Attendances (rows): 5 · Total time online: 2:32:00 · "
                                      "Average % of meeting: 50.7% · times in Europe/Athens"));
    CHECK(r.out.find("User ID") == std::string::npos); // a detail column, for scripts
}

TEST_CASE("a PDF report holds every script, the filters, page numbers and a timeline", "[report][pdf]") {
    test::TempDir dir;
    write_synthetic_database(dir / "db.sqlite");
    auto r = report(dir / "db.sqlite", {"-o", (dir / "out.pdf").string(), "--tz", "Europe/Athens", "--course", "42",
                                        "--include-open", "--landscape", "--paper", "Letter", "-f", "PDF"});
    INFO(r.err);
    REQUIRE(r.code == 0);
    auto text = pdftotext(dir / "out.pdf");
    // 王小明 needs a CJK font: scripts/install-deps installs fonts-droid-fallback for the tests.
    for (const char* name :
         {"ΓΙΩΡΓΟΣ Παπαδόπουλος", "Γιώργος Νικολάου", "José Ñúñez", "王小明", "Physics 101 - Lecture 2"})
        CHECK_THAT(text, Catch::Contains(name));
    CHECK_THAT(text, Catch::Contains("Attendance by person and meeting"));
    CHECK_THAT(text, Catch::Contains("Europe/Athens"));
    CHECK_THAT(text, Catch::Contains("Moodle course"));
    CHECK_THAT(text, Catch::Contains("Page 1 of"));
    auto info = test::run({"/usr/bin/pdfinfo", (dir / "out.pdf").string()});
    REQUIRE(info.code == 0);
    CHECK_THAT(info.out, Catch::Contains("792 x 612 pts")); // letter (given as Letter), landscape
}

TEST_CASE("bad input gets one line naming the problem and a documented exit code", "[report][errors]") {
    test::TempDir dir;
    write_synthetic_database(dir / "db.sqlite");
    const auto db = dir / "db.sqlite";
    struct Case {
        std::vector<std::string> args;
        int code;
        const char* message;
    };
    const Case cases[] = {
        {{"--tz", "Mars/Olympus"}, 64, "--tz 'Mars/Olympus'"},
        {{"--from", "2026-13-01"}, 64, "--from '2026-13-01'"},
        {{"--from", "2026-10-02", "--to", "2026-10-01"}, 64, "the range is empty"},
        {{"--role", "teacher"}, 64, "--role 'teacher'"},
        {{"-o", (dir / "report.xlsx").string()}, 64, "cannot tell the format"},
        {{"--min-percent", "101"}, 64, "--min-percent"},
        {{"--by", "course"}, 64, "--by"},
    };
    for (const auto& c : cases) {
        auto r = report(db, c.args);
        INFO(c.args.front() << ": " << r.err);
        CHECK(r.code == c.code);
        CHECK_THAT(r.err, Catch::Contains(c.message));
    }
    auto missing = report(dir / "nothing.sqlite", {});
    CHECK(missing.code == 66);
    CHECK_THAT(missing.err, Catch::Contains("bbbhook ingest"));
    // A folder that cannot be written: 73, and nothing left behind.
    auto r = report(db, {"-o", (dir / "no/such/dir/out.csv").string()});
    CHECK(r.code == 73);
}

TEST_CASE("report -o puts the file in place only when it is complete", "[report][output]") {
    test::TempDir dir;
    write_synthetic_database(dir / "db.sqlite");
    test::write_text(dir / "out.pdf", "the previous report");
    // The PDF fails (its font is missing): the old file stays, no temp file is left.
    auto r = report(dir / "db.sqlite", {"-o", (dir / "out.pdf").string(), "--font", (dir / "none.ttf").string()});
    CHECK(r.code == 66);
    CHECK_THAT(r.err, Catch::Contains("none.ttf"));
    CHECK(test::read_text(dir / "out.pdf") == "the previous report");
    size_t files = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir.path()))
        files += e.path().filename().string().starts_with(".out.pdf") ? 1 : 0;
    CHECK(files == 0);
    // And a good one replaces it.
    REQUIRE(report(dir / "db.sqlite", {"-o", (dir / "out.pdf").string()}).code == 0);
    CHECK(test::read_text(dir / "out.pdf").starts_with("%PDF-"));
}

TEST_CASE("a database of schema version 1 is refused until ingest migrates it", "[report][schema]") {
    test::TempDir dir;
    write_synthetic_database(dir / "db.sqlite");
    {
        // As version 1 was: without meetings_by_parent, another breakout_attendance, chunks
        // without a format.
        auto db = util::Db::open(dir / "db.sqlite");
        REQUIRE(db);
        db->exec("DROP INDEX meetings_by_parent; DROP VIEW breakout_attendance; "
                 "CREATE VIEW breakout_attendance AS SELECT 0 AS meeting_id, "
                 "0 AS person_id, 0 AS breakout_ms, 0 AS rooms WHERE 0; "
                 "ALTER TABLE meeting_events DROP COLUMN format; DROP TABLE people_pending; "
                 "PRAGMA user_version = 1;");
    }
    auto old = report(dir / "db.sqlite", {"--format", "csv"});
    CHECK(old.code == 65);
    CHECK_THAT(old.err, Catch::Contains(fmt::format("database schema version 1 needs migrating to {}: run `bbbhook "
                                                    "ingest` once",
                                                    store::k_schema_version)));
    test::TempDir journal;
    auto ingest = test::run_ingest(journal.path(), dir / "db.sqlite");
    INFO(ingest.err);
    REQUIRE(ingest.code == 0);
    auto now = report(dir / "db.sqlite", {"--format", "csv", "--meeting", "phys-2"});
    REQUIRE(now.code == 0);
    CHECK(joined(csv_column(now.out, "breakout_seconds")) == "0|0|600|0|0");
}

TEST_CASE("progress shows on stderr when it is a terminal, never in a pipe", "[report][progress]") {
    test::TempDir dir;
    write_synthetic_database(dir / "db.sqlite");
    {
        // 5,000 more people in Lecture 2: enough rows for the progress line (every 4,096 rows).
        auto db = util::Db::open(dir / "db.sqlite");
        REQUIRE(db);
        db->exec(R"sql(
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
INSERT INTO people (id, server_id, user_key, external_user_id, name) SELECT 1000 + i, 1, 'w_x' || i, 'x' || i,
       'Person ' || i FROM n;
INSERT INTO attendance (meeting_id, person_id, name, role, first_join_ms, last_leave_ms, online_ms, joins, talk_ms,
                        webcam_ms, presenter_ms, chat_messages, raise_hands, reactions, poll_votes)
SELECT 2, id, name, 'VIEWER', 1792875600000, 1792879200000, 3600000, 1, 0, 0, 0, 0, 0, 0, 0
FROM people WHERE id > 1000;
)sql");
    }
    const auto config = dir / "empty.conf";
    test::write_text(config, "");
    const std::string command =
        fmt::format("{} --config {} report --database {} -o {}", test::bbbhook_binary().string(), config.string(),
                    (dir / "db.sqlite").string(), (dir / "out.csv").string());
    // script(1) runs the command on a pseudo-terminal: stderr is a TTY there.
    auto tty = test::run({"/usr/bin/script", "-qec", command, "/dev/null"});
    REQUIRE(tty.code == 0);
    CHECK_THAT(tty.out, Catch::Contains("report: 4096 rows"));
    auto pipe = report(dir / "db.sqlite", {"-o", (dir / "out2.csv").string()});
    REQUIRE(pipe.code == 0);
    CHECK(pipe.err.find("report: ") == std::string::npos);
    CHECK(test::read_text(dir / "out.csv") == test::read_text(dir / "out2.csv"));
}
