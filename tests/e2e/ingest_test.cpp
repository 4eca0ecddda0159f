// End-to-end tests of `bbbhook ingest`: real journals from captured traffic, the real binary, the
// real SQLite file read back.
#include <catch2/catch.hpp>
#include <csignal>
#include <fcntl.h>
#include <fmt/format.h>
#include <random>
#include <sys/file.h>
#include <thread>
#include <tuple>
#include <unistd.h>

#include "bbbhook/ingest/ingest.hpp"
#include "bbbhook/ingest/prefetch.hpp"
#include "bbbhook/store/schema.hpp"
#include "bbbhook/util/sqlite.hpp"
#include "support/database.hpp"

using namespace bbbhook;

namespace {

// What a person reading the global-mapped events by hand gets (bbb-webhooks.md §5, fixtures):
// meeting, person, name, role, first join, last leave, online ms, joins, unmuted, webcam,
// presenter, chat, raise hands, reactions, poll votes, how the interval closed.
const char* const k_expected_attendance =
    // The upstream sample meeting: John joins, presents, talks (two stretches of ~0.7 s), shares a
    // camera, chats once, raises a hand once, reacts once, answers his own poll (the mapped
    // poll-responded names the poll's owner); Mary joins later; both leave before the end.
    "random-9019868 | w_xfsb9gxtlfom | John Doe | MODERATOR | 1795550984151 | 1795550999189 | 15038 | 1 | 1427 | 716 | "
    "14325 | 1 | 1 | 1 | 1\n"
    "random-9019868 | w_uxw0dzhtvk0l | Mary Sue | VIEWER | 1795550987017 | 1795550998474 | 11457 | 1 | 0 | 0 | 0 | 0 | "
    "0 | 0 | 0\n"
    // The Moodle meeting (course 42): Sam leaves; the meeting ends at ...891 while Tina and the
    // guest are still there (their spoofed user-left events carry ...892 and ...893).
    "Physics 101 - Lecture 3 | 2 | Tina Teacher | MODERATOR | 1795551040038 | 1795551042891 | 2853 | 1 | 0 | 0 | 0 | 0 "
    "| 0 | 0 | 0\n"
    "Physics 101 - Lecture 3 | 57 | Sam Student | VIEWER | 1795551040748 | 1795551042179 | 1431 | 1 | 0 | 0 | 0 | 0 | "
    "0 | 0 | 0\n"
    "Physics 101 - Lecture 3 | w_g1guestvisit | Gus Guest | VIEWER | 1795551041463 | 1795551042891 | 1428 | 1 | 0 | 0 "
    "| 0 | 0 | 0 | 0 | 0\n";

const char* const k_expected_intervals =
    "random-9019868 | w_uxw0dzhtvk0l | 1795550987017 | 1795550998474 | left\n"
    "random-9019868 | w_xfsb9gxtlfom | 1795550984151 | 1795550999189 | left\n"
    "Physics 101 - Lecture 3 | w_g1guestvisit | 1795551041463 | 1795551042891 | meeting-ended\n"
    "Physics 101 - Lecture 3 | w_s1sam57moodle | 1795551040748 | 1795551042179 | left\n"
    "Physics 101 - Lecture 3 | w_t1tina2moodle | 1795551040038 | 1795551042891 | meeting-ended\n";

const char* const k_expected_meetings =
    "bbb.example.test | random-9019868 | random-9019868 | 1698771157700 | 1795550999903 | ended | - | - | 0 | 1\n"
    "bbb.example.test | Physics 101 - Lecture 3 | 5b2f7e0c9d4a1b3c8e6f0a2d4c6b8a0e1f3d5c7b-42-7[0] | 1795551035614 | "
    "1795551042891 | ended | 42 | moodle.example.test | 0 | 1\n";

std::string query(const std::filesystem::path& db_path, std::string_view sql) {
    auto db = util::Db::open(db_path, util::Db::Mode::read_only);
    REQUIRE(db);
    auto st = db->prepare(sql);
    std::string out;
    while (st.step()) {
        for (int c = 0; c < st.columns(); ++c)
            out += (c ? " | " : "") + (st.is_null(c) ? std::string("-") : st.text(c));
        out += "\n";
    }
    return out;
}

std::string attendance_table(const std::filesystem::path& db) {
    return query(db,
                 "SELECT COALESCE(m.name, m.external_id), p.user_key, a.name, a.role, a.first_join_ms, "
                 "a.last_leave_ms, a.online_ms, a.joins, a.talk_ms, a.webcam_ms, a.presenter_ms, a.chat_messages, "
                 "a.raise_hands, a.reactions, a.poll_votes FROM attendance a JOIN meetings m ON m.id = a.meeting_id "
                 "JOIN people p ON p.id = a.person_id ORDER BY m.created_ms, a.first_join_ms DESC, p.user_key");
}

std::string interval_table(const std::filesystem::path& db) {
    return query(db, "SELECT COALESCE(m.name, m.external_id), i.connection_id, i.joined_ms, i.left_ms, i.closed_by "
                     "FROM intervals i JOIN meetings m ON m.id = i.meeting_id ORDER BY m.created_ms, i.connection_id");
}

std::string meeting_table(const std::filesystem::path& db) {
    return query(db, "SELECT s.domain, m.name, m.external_id, m.created_ms, m.ended_ms, m.end_reason, "
                     "m.moodle_course_id, m.moodle_site, m.is_breakout, m.finalized FROM meetings m "
                     "JOIN servers s ON s.id = m.server_id ORDER BY m.created_ms");
}

void check_expected(const std::filesystem::path& db) {
    // Rows within a meeting are listed by first join, latest first, as the expected table reads.
    auto att = attendance_table(db);
    INFO(att);
    CHECK(interval_table(db) == k_expected_intervals);
    CHECK(meeting_table(db) == k_expected_meetings);
    // Compare the attendance rows as a set (ORDER BY above is only for readability).
    auto lines = [](std::string s) {
        std::vector<std::string> v;
        for (size_t p; (p = s.find('\n')) != std::string::npos; s.erase(0, p + 1))
            v.push_back(s.substr(0, p));
        std::ranges::sort(v);
        return v;
    };
    CHECK(lines(att) == lines(k_expected_attendance));
}

} // namespace

TEST_CASE("the global-mapped stream gives the meetings and attendance read by hand", "[ingest][fixtures]") {
    test::TempDir tmp;
    test::write_journal(tmp / "journal", test::captures_of("checksum-sha1", "/hooks/global-mapped?"));
    auto r = test::run_ingest(tmp / "journal", tmp / "db.sqlite");
    INFO(r.err);
    REQUIRE(r.code == 0);
    CHECK(r.out.find("ingested 34 records (34 events)") != std::string::npos);
    check_expected(tmp / "db.sqlite");
    CHECK(query(tmp / "db.sqlite", "SELECT records, events, bad_records FROM ingest_state") == "34 | 34 | 0\n");
    CHECK(query(tmp / "db.sqlite", "SELECT count FROM event_counts WHERE event_id = 'user-joined'") == "5\n");
}

TEST_CASE("the flaky stream, with retried duplicates and reordering, gives the same result", "[ingest][fixtures]") {
    test::TempDir tmp;
    auto flaky = test::captures_of("checksum-sha1", "/hooks/flaky?");
    REQUIRE(flaky.size() == 37); // 34 events, 3 of them delivered twice (bbb-webhooks.md §4.4)
    test::write_journal(tmp / "journal", flaky);
    REQUIRE(test::run_ingest(tmp / "journal", tmp / "db.sqlite").code == 0);
    check_expected(tmp / "db.sqlite");
}

TEST_CASE("every hook of the capture at once (mapped, raw, scoped, filtered) counts each event once",
          "[ingest][fixtures]") {
    test::TempDir tmp;
    test::write_journal(tmp / "journal", test::captures_of("checksum-sha1"));
    REQUIRE(test::run_ingest(tmp / "journal", tmp / "db.sqlite").code == 0);
    check_expected(tmp / "db.sqlite");
}

TEST_CASE("events of a meeting never seen created count, each duplicate once", "[ingest][fixtures]") {
    test::TempDir tmp;
    test::write_journal(tmp / "journal", test::captures_of("checksum-sha1-retries"));
    REQUIRE(test::run_ingest(tmp / "journal", tmp / "db.sqlite").code == 0);
    // 27 deliveries of 2 distinct presenter-assigned events of an unknown meeting (bbb-webhooks.md §4.3).
    CHECK(query(tmp / "db.sqlite", "SELECT external_id, event_count, finalized FROM meetings") == "- | 2 | 0\n");
    CHECK(query(tmp / "db.sqlite", "SELECT count FROM event_counts") == "27\n");
}

namespace {
// people as schemas 1 to 5 made it: the key unique by the table's constraint, and people_by_name.
void make_people_as_before_schema_6(util::Db& db) {
    db.exec("PRAGMA foreign_keys=OFF; PRAGMA legacy_alter_table=ON; BEGIN; "
            "CREATE TABLE p5 (id INTEGER PRIMARY KEY, server_id INTEGER NOT NULL REFERENCES servers(id), "
            "user_key TEXT NOT NULL, external_user_id TEXT, name TEXT, name_ms INTEGER, "
            "is_guest INTEGER NOT NULL DEFAULT 0, UNIQUE (server_id, user_key)); "
            "INSERT INTO p5 SELECT * FROM people; DROP TABLE people; ALTER TABLE p5 RENAME TO people; "
            "CREATE INDEX people_by_name ON people(name); COMMIT; PRAGMA legacy_alter_table=OFF;");
}
} // namespace

TEST_CASE("a migration warns about a reference that does not hold, and goes on", "[ingest][schema]") {
    test::TempDir tmp;
    test::write_journal(tmp / "journal", test::captures_of("checksum-sha1", "/hooks/global-mapped?"));
    REQUIRE(test::run_ingest(tmp / "journal", tmp / "db.sqlite").code == 0);
    auto before = test::canonical_dump(tmp / "db.sqlite");
    {
        // A schema-5 database with a row of people_pending whose person does not exist.
        auto db = util::Db::open(tmp / "db.sqlite");
        REQUIRE(db);
        make_people_as_before_schema_6(*db);
        db->exec("PRAGMA foreign_keys=OFF; INSERT INTO people_pending (person_id, name, is_guest) "
                 "VALUES (999999, 'Nobody', 0); PRAGMA user_version = 5;");
    }
    auto r = test::run_ingest(tmp / "journal", tmp / "db.sqlite");
    INFO(r.err);
    REQUIRE(r.code == 0);
    CHECK_THAT(r.err, Catch::Contains("rows of table people_pending refer to rows of people that do not exist "
                                      "(seen after migrating to schema 6)"));
    CHECK(query(tmp / "db.sqlite", "PRAGMA user_version") == fmt::format("{}\n", store::k_schema_version));
    CHECK(test::canonical_dump(tmp / "db.sqlite") == before);
}

TEST_CASE("a schema-2 database, its stored events in format 1, is migrated and its running meetings go on",
          "[ingest][schema]") {
    test::TempDir tmp;
    auto captures = test::captures_of("checksum-sha1", "/hooks/global-mapped?");
    REQUIRE(captures.size() == 34);
    auto half = captures.begin() + 17;
    test::write_journal(tmp / "journal", {captures.begin(), half});
    REQUIRE(test::run_ingest(tmp / "journal", tmp / "db.sqlite").code == 0);
    REQUIRE(query(tmp / "db.sqlite", "SELECT COUNT(*) > 0 FROM meetings WHERE finalized = 0") == "1\n");
    {
        // As bbbhook left it before format 2: every chunk in format 1, no format column, schema 2.
        auto db = util::Db::open(tmp / "db.sqlite");
        REQUIRE(db);
        std::vector<std::tuple<int64_t, int64_t, std::string>> chunks;
        auto get = db->prepare("SELECT meeting_id, chunk, events FROM meeting_events");
        while (get.step()) {
            auto events = ingest::decode_events(get.blob(2));
            REQUIRE(events);
            chunks.emplace_back(get.int64(0), get.int64(1), test::encode_events_format1(*events));
        }
        REQUIRE_FALSE(chunks.empty());
        auto put = db->prepare("UPDATE meeting_events SET events = ? WHERE meeting_id = ? AND chunk = ?");
        for (const auto& [meeting, chunk, bytes] : chunks) {
            put.bind_blob(1, bytes).bind(2, meeting).bind(3, chunk).run();
            put.reset();
        }
        // Schema 2's table: WITHOUT ROWID, no format column; no people_pending (schema 5).
        db->exec("CREATE TABLE v2 (meeting_id INTEGER NOT NULL REFERENCES meetings(id), chunk INTEGER NOT NULL, "
                 "events BLOB NOT NULL, PRIMARY KEY (meeting_id, chunk)) WITHOUT ROWID; "
                 "INSERT INTO v2 SELECT meeting_id, chunk, events FROM meeting_events; "
                 "DROP TABLE meeting_events; ALTER TABLE v2 RENAME TO meeting_events; DROP TABLE people_pending; "
                 "PRAGMA user_version = 2;");
        make_people_as_before_schema_6(*db);
    }
    auto chunks_before = query(tmp / "db.sqlite", "SELECT COUNT(*) FROM meeting_events");
    test::write_journal(tmp / "journal", {half, captures.end()});
    auto rest = test::run_ingest(tmp / "journal", tmp / "db.sqlite");
    INFO(rest.err);
    REQUIRE(rest.code == 0);
    check_expected(tmp / "db.sqlite");
    CHECK(query(tmp / "db.sqlite", "SELECT DISTINCT format FROM meeting_events ORDER BY 1") == "1\n2\n");
    // Schema 4: the chunks moved to a rowid table, all of them, and the new ones follow.
    CHECK(query(tmp / "db.sqlite", "PRAGMA user_version") == fmt::format("{}\n", store::k_schema_version));
    CHECK(query(tmp / "db.sqlite",
                "SELECT COUNT(*) FROM pragma_table_info('meeting_events') WHERE name = 'id' AND pk") == "1\n");
    CHECK(query(tmp / "db.sqlite", "SELECT COUNT(*) FROM meeting_events WHERE format = 1") == chunks_before);
    // Schema 6: people's key unique by people_by_key, no longer by a constraint, and no
    // people_by_name; every person kept.
    CHECK(query(tmp / "db.sqlite", "SELECT name FROM sqlite_master WHERE tbl_name = 'people' AND type = 'index' "
                                   "ORDER BY name") == "people_by_key\n");
    CHECK(query(tmp / "db.sqlite", "PRAGMA foreign_key_check").empty());
    // The same as one run over the whole journal.
    REQUIRE(test::run_ingest(tmp / "journal", tmp / "one.sqlite").code == 0);
    CHECK(test::canonical_dump(tmp / "db.sqlite") == test::canonical_dump(tmp / "one.sqlite"));
}

TEST_CASE("ingesting again adds nothing, and --rebuild recreates identical content", "[ingest]") {
    test::TempDir tmp;
    test::write_journal(tmp / "journal", test::captures_of("checksum-sha1"));
    REQUIRE(test::run_ingest(tmp / "journal", tmp / "db.sqlite").code == 0);
    auto first = test::canonical_dump(tmp / "db.sqlite");
    auto again = test::run_ingest(tmp / "journal", tmp / "db.sqlite");
    REQUIRE(again.code == 0);
    CHECK(again.out.find("ingested 0 records") != std::string::npos);
    CHECK(test::canonical_dump(tmp / "db.sqlite") == first);
    auto rebuilt = test::run_ingest(tmp / "journal", tmp / "db.sqlite", {"--rebuild"});
    INFO(rebuilt.err);
    REQUIRE(rebuilt.code == 0);
    CHECK(test::canonical_dump(tmp / "db.sqlite") == first);
    // Small transactions give the same content as one large one.
    REQUIRE(test::run_ingest(tmp / "journal", tmp / "small.sqlite", {"--batch", "3"}).code == 0);
    CHECK(test::canonical_dump(tmp / "small.sqlite") == first);
}

TEST_CASE("a second ingest on the same database exits 75", "[ingest]") {
    test::TempDir tmp;
    test::write_journal(tmp / "journal", test::captures_of("checksum-sha1", "/hooks/global-mapped?"));
    auto lock_path = (tmp / "db.sqlite").string() + ".ingest-lock";
    int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT, 0640);
    REQUIRE(fd >= 0);
    REQUIRE(::flock(fd, LOCK_EX) == 0); // as a running ingest holds it
    auto r = test::run_ingest(tmp / "journal", tmp / "db.sqlite");
    ::close(fd);
    CHECK(r.code == 75);
    CHECK(r.err.find("another bbbhook ingest") != std::string::npos);
}

TEST_CASE("a corrupt record is skipped with its place and counted, a torn tail waits for the next run", "[ingest]") {
    test::TempDir tmp;
    test::write_journal(tmp / "journal", test::captures_of("checksum-sha1", "/hooks/global-mapped?"));
    std::filesystem::path journal_file;
    for (const auto& e : std::filesystem::directory_iterator(tmp / "journal"))
        if (e.path().extension() == ".journal") journal_file = e.path();
    REQUIRE_FALSE(journal_file.empty());
    std::filesystem::permissions(journal_file, std::filesystem::perms::owner_write, std::filesystem::perm_options::add);
    auto bytes = test::read_text(journal_file);
    // Record offsets: every record starts with its magic; the last one is the seal.
    std::vector<size_t> at;
    for (size_t p = bytes.find("BBJR"); p != std::string::npos; p = bytes.find("BBJR", p + 1))
        at.push_back(p);
    REQUIRE(at.size() == 35); // 34 requests and the seal
    size_t third = at[2], last = at[33], seal = at[34];
    bytes[third + 200] = static_cast<char>(bytes[third + 200] ^ 0x40); // damage the 3rd record
    // serve was writing the last record when ingest ran: only half of it is there, and no seal.
    test::write_text(journal_file, bytes.substr(0, last + (seal - last) / 2));

    auto r = test::run_ingest(tmp / "journal", tmp / "db.sqlite");
    REQUIRE(r.code == 0);
    CHECK(r.err.find(fmt::format("{}:{}: corrupt region", journal_file.filename().string(), third)) !=
          std::string::npos);
    CHECK(r.out.find("1 corrupt regions") != std::string::npos);
    CHECK(query(tmp / "db.sqlite", "SELECT records, corrupt_regions, journal_offset FROM ingest_state") ==
          fmt::format("32 | 1 | {}\n", last)); // stopped before the incomplete record

    // The write completes; the next run takes the record it left.
    test::write_text(journal_file, bytes.substr(0, seal));
    auto next = test::run_ingest(tmp / "journal", tmp / "db.sqlite");
    REQUIRE(next.code == 0);
    CHECK(next.out.find("ingested 1 records") != std::string::npos);
    CHECK(query(tmp / "db.sqlite", "SELECT records, corrupt_regions FROM ingest_state") == "33 | 1\n");
}

namespace {
void simulate_into(const std::filesystem::path& journal, int meetings, int seed) {
    auto r =
        test::run({test::bbbhook_binary().string(), "--config", "/dev/null", "simulate", "--seed", std::to_string(seed),
                   "--meetings", std::to_string(meetings), "--journal-dir", journal.string()});
    INFO(r.err);
    REQUIRE(r.code == 0);
}
} // namespace

namespace {
// Every reader index exists, made by the statement store::reader_indexes() names.
void check_reader_indexes(util::Db& db) {
    auto st = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?");
    for (const auto& index : store::reader_indexes()) {
        INFO(index.name);
        REQUIRE(st.bind(1, std::string_view(index.name)).step());
        CHECK(st.text(0) == index.sql);
        st.reset();
    }
}
} // namespace

namespace {
// The records the checkpoint of db_path has passed, or -1 before its schema is complete (each
// schema step is a transaction of its own) or while it cannot be read.
int64_t records_done(const std::filesystem::path& db_path) {
    if (!std::filesystem::exists(db_path)) return -1;
    try {
        auto db = util::Db::open(db_path, util::Db::Mode::read_only);
        if (!db) return -1;
        auto version = db->prepare("PRAGMA user_version");
        if (!version.step() || version.int64(0) != store::k_schema_version) return -1;
        auto st = db->prepare("SELECT records FROM ingest_state");
        return st.step() ? st.int64(0) : 0;
    } catch (const std::exception&) {
        return -1; // being created, or busy
    }
}

// Waits (at most 60 s) until the running ingest `p` has committed records past `before`, so
// that a kill timed from then lands in its ingesting, however slow its start is (sanitizers, a
// loaded machine: reloading the running meetings is most of a run's start).
void wait_for_progress(test::Process& p, const std::filesystem::path& db_path, int64_t before) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (p.running() && std::chrono::steady_clock::now() < deadline && records_done(db_path) <= before)
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
}
} // namespace

TEST_CASE("kill -9 at 20 random points of an ingest, then a rerun, gives the content of one clean run",
          "[ingest][durability]") {
    test::TempDir tmp;
    // 450 meetings, about 100,000 records (70 MB): with a commit per record, 4 to 8 s of work.
    // Over 64 MiB, so the first runs drop the reader indexes for a catch-up.
    simulate_into(tmp / "journal", 450, 11);
    REQUIRE(test::run_ingest(tmp / "journal", tmp / "clean.sqlite").code == 0);
    auto clean = test::canonical_dump(tmp / "clean.sqlite");

    auto config = tmp / "empty.conf";
    test::write_text(config, "");
    std::mt19937 rng(2026);
    int killed_midway = 0, left_people_pending = 0, left_people_key_dropped = 0, left_person_indexes_dropped = 0;
    for (int i = 0; i < 20; ++i) {
        int64_t before = records_done(tmp / "crashed.sqlite");
        auto p = test::Process::start({test::bbbhook_binary().string(), "--config", config.string(), "ingest",
                                       "--journal-dir", (tmp / "journal").string(), "--database",
                                       (tmp / "crashed.sqlite").string(), "--batch", "1"});
        // Most kills land in the ingesting; every fourth anywhere in the run's start (the schema,
        // the catch-up's index drops, the reload of running meetings, the pending people's fold).
        if (i % 4 != 3) wait_for_progress(p, tmp / "crashed.sqlite", before);
        std::this_thread::sleep_for(std::chrono::milliseconds(30 + rng() % 170));
        if (!p.running()) continue; // it finished first: nothing to kill
        ++killed_midway;
        p.signal(SIGKILL);
        auto rc = p.wait();
        REQUIRE(rc);
        CHECK(*rc == 128 + SIGKILL);
        // Killed before it had made the whole schema? The next run goes on from the schema steps
        // it committed.
        if (records_done(tmp / "crashed.sqlite") < 0) continue;
        // People's changes committed by the partial commits, not yet written into people: the
        // next run's start must fold them in.
        if (query(tmp / "crashed.sqlite", "SELECT COUNT(*) > 0 FROM people_pending") == "1\n") ++left_people_pending;
        // The first run, a catch-up into an empty people table, works without people's key.
        if (query(tmp / "crashed.sqlite", "SELECT COUNT(*) FROM sqlite_master WHERE name = 'people_by_key'") == "0\n")
            ++left_people_key_dropped;
        // A catch-up drops the per-person reader indexes only; the meetings' stay.
        if (query(tmp / "crashed.sqlite", "SELECT COUNT(*) FROM sqlite_master WHERE name = 'intervals_by_person'") ==
            "0\n")
            ++left_person_indexes_dropped;
        CHECK(query(tmp / "crashed.sqlite", "SELECT COUNT(*) FROM sqlite_master WHERE name IN ('meetings_by_course', "
                                            "'meetings_by_created', 'meetings_by_parent')") == "3\n");
    }
    CHECK(killed_midway >= 15); // (4 to 8 s of work, about 2.5 s of it done between kills)
    CHECK(left_people_pending >= 5);
    CHECK(left_people_key_dropped >= 1);
    CHECK(left_person_indexes_dropped >= 1);
    auto rest = test::run_ingest(tmp / "journal", tmp / "crashed.sqlite");
    INFO(rest.err);
    REQUIRE(rest.code == 0);
    CHECK(test::canonical_dump(tmp / "crashed.sqlite") == clean);
    // A catch-up killed before its end left the reader indexes dropped: the last run made them.
    auto db = util::Db::open(tmp / "crashed.sqlite", util::Db::Mode::read_only);
    REQUIRE(db);
    check_reader_indexes(*db);
}

TEST_CASE("people's changes left pending by a run that stopped early are written by the next run, the newest "
          "winning",
          "[ingest][durability]") {
    test::TempDir tmp;
    simulate_into(tmp / "journal", 3, 5);
    REQUIRE(test::run_ingest(tmp / "journal", tmp / "db.sqlite").code == 0);
    auto person = query(tmp / "db.sqlite", "SELECT MIN(id) FROM people");
    auto others = query(tmp / "db.sqlite", "SELECT group_concat(name, '|') FROM people WHERE id <> " + person);
    {
        // As a run killed after two partial commits leaves it: the newest row holds the state.
        auto db = util::Db::open(tmp / "db.sqlite");
        REQUIRE(db);
        db->exec("INSERT INTO people_pending (person_id, name, name_ms, is_guest) VALUES (" + person +
                 ", 'Older Name', 1, 0), (" + person + ", 'Newer Name', 2, 1)");
    }
    auto again = test::run_ingest(tmp / "journal", tmp / "db.sqlite");
    INFO(again.err);
    REQUIRE(again.code == 0);
    CHECK(query(tmp / "db.sqlite", "SELECT name, name_ms, is_guest FROM people WHERE id = " + person) ==
          "Newer Name | 2 | 1\n");
    CHECK(query(tmp / "db.sqlite", "SELECT group_concat(name, '|') FROM people WHERE id <> " + person) == others);
    CHECK(query(tmp / "db.sqlite", "SELECT COUNT(*) FROM people_pending") == "0\n");
}

TEST_CASE("a long catch-up drops the reader indexes and builds them again, with the same content", "[ingest]") {
    test::TempDir tmp;
    simulate_into(tmp / "journal", 30, 7);
    auto options = [&](const char* name, uint64_t bulk_bytes) {
        ingest::IngestOptions o;
        o.journal_dir = tmp / "journal";
        o.database = tmp / name;
        o.bulk_bytes = bulk_bytes;
        return o;
    };
    REQUIRE(ingest::run_ingest(options("bulk.sqlite", 0)));           // always a catch-up
    REQUIRE(ingest::run_ingest(options("plain.sqlite", UINT64_MAX))); // never
    CHECK(test::canonical_dump(tmp / "bulk.sqlite") == test::canonical_dump(tmp / "plain.sqlite"));
    // A catch-up into an empty people table drops people's key too. When the cache of people
    // must be cleared, the people it added are found in its directory of people (read by id).
    auto small = options("small-cache.sqlite", 0);
    small.people_cache = 3;
    small.batch_records = 40;
    REQUIRE(ingest::run_ingest(small));
    CHECK(test::canonical_dump(tmp / "small-cache.sqlite") == test::canonical_dump(tmp / "plain.sqlite"));
    // Past the directory's budget, people's key is made again in the middle of the run: from
    // then on people are looked up by it (and found: the content is the same).
    auto no_directory = options("small-directory.sqlite", 0);
    no_directory.people_cache = 3;
    no_directory.people_directory = 5;
    no_directory.batch_records = 40;
    REQUIRE(ingest::run_ingest(no_directory));
    CHECK(test::canonical_dump(tmp / "small-directory.sqlite") == test::canonical_dump(tmp / "plain.sqlite"));

    // Every reader index exists as a fresh schema makes it, after the catch-up and after a run
    // that finds them dropped (an interrupted catch-up).
    auto indexes = [&](const char* name) {
        auto db = util::Db::open(tmp / name, util::Db::Mode::read_only);
        REQUIRE(db);
        std::string out;
        auto st = db->prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                              "ORDER BY name");
        while (st.step())
            out += st.text(0) + ": " + st.text(1) + "\n";
        return out;
    };
    auto fresh = store::open_database(tmp / "fresh.sqlite");
    REQUIRE(fresh);
    check_reader_indexes(*fresh);
    CHECK(indexes("bulk.sqlite") == indexes("fresh.sqlite"));
    CHECK(indexes("small-cache.sqlite") == indexes("fresh.sqlite"));
    CHECK(indexes("small-directory.sqlite") == indexes("fresh.sqlite"));
    CHECK_THAT(indexes("fresh.sqlite"), Catch::Contains("people_by_key: CREATE UNIQUE INDEX"));
    {
        auto db = util::Db::open(tmp / "plain.sqlite");
        REQUIRE(db);
        store::drop_reader_indexes(*db);
    }
    CHECK(indexes("plain.sqlite") != indexes("fresh.sqlite"));
    REQUIRE(ingest::run_ingest(options("plain.sqlite", UINT64_MAX))); // nothing new to read
    CHECK(indexes("plain.sqlite") == indexes("fresh.sqlite"));
}

TEST_CASE("a journal of many read-ahead batches gives consistent rows, whatever the transaction size", "[ingest]") {
    // Thousands of records: the reader thread hands them over in many batches, and transactions
    // end in the middle of those batches.
    test::TempDir tmp;
    simulate_into(tmp / "journal", 12, 5);
    auto r = test::run_ingest(tmp / "journal", tmp / "db.sqlite");
    INFO(r.err);
    REQUIRE(r.code == 0);
    CHECK(r.out.find("ingested 0 records") == std::string::npos);
    // Ingest runs without SQLite's per-row foreign key and CHECK constraints: its rows must
    // satisfy them anyway (integrity_check tests the CHECK constraints, such as closed_by's).
    CHECK(query(tmp / "db.sqlite", "PRAGMA foreign_key_check").empty());
    CHECK(query(tmp / "db.sqlite", "PRAGMA integrity_check") == "ok\n");
    CHECK(query(tmp / "db.sqlite", "SELECT COUNT(DISTINCT closed_by) >= 2 FROM intervals") == "1\n");
    CHECK(query(tmp / "db.sqlite", fmt::format("SELECT records > 3 * {} AND (SELECT COUNT(*) FROM intervals) > 100 "
                                               "FROM ingest_state",
                                               ingest::Prefetcher::k_items)) == "1\n");
    auto whole = test::canonical_dump(tmp / "db.sqlite");
    for (const char* batch : {"1000", "777"}) {
        auto path = tmp / fmt::format("batch-{}.sqlite", batch);
        REQUIRE(test::run_ingest(tmp / "journal", path, {"--batch", batch}).code == 0);
        CHECK(test::canonical_dump(path) == whole);
    }
}

TEST_CASE("ingest --follow picks up new records as they are journaled, and stops on SIGTERM", "[ingest]") {
    test::TempDir tmp;
    test::write_journal(tmp / "journal", test::captures_of("checksum-sha1", "/hooks/global-mapped?"));
    auto config = tmp / "empty.conf";
    test::write_text(config, "");
    auto follower =
        test::Process::start({test::bbbhook_binary().string(), "--config", config.string(), "ingest", "--journal-dir",
                              (tmp / "journal").string(), "--database", (tmp / "db.sqlite").string(), "--follow"},
                             {}, tmp / "out.txt", tmp / "err.txt");
    auto records = [&] {
        std::error_code ec;
        if (!std::filesystem::exists(tmp / "db.sqlite", ec)) return std::string();
        // The file exists a moment before ingest has created its tables (seen under sanitizers).
        if (query(tmp / "db.sqlite", "SELECT count(*) FROM sqlite_master WHERE name = 'ingest_state'") != "1\n")
            return std::string();
        return query(tmp / "db.sqlite", "SELECT records FROM ingest_state");
    };
    auto wait_for = [&](const std::string& want) {
        for (int i = 0; i < 200 && records() != want; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        return records();
    };
    CHECK(wait_for("34\n") == "34\n");
    // More traffic arrives: a new journal file, as a restarted serve would write.
    test::write_journal(tmp / "journal", test::captures_of("checksum-sha1-retries"));
    CHECK(wait_for("61\n") == "61\n");
    follower.signal(SIGTERM);
    auto rc = follower.wait();
    REQUIRE(rc);
    CHECK(*rc == 0);
}

TEST_CASE("breakout rooms are linked to their parent, their time shown at the parent's people", "[ingest]") {
    test::TempDir tmp;
    auto r = test::run({test::bbbhook_binary().string(), "--config", "/dev/null", "simulate", "--seed", "5",
                        "--meetings", "12", "--breakouts", "1", "--journal-dir", (tmp / "journal").string()});
    REQUIRE(r.code == 0);
    REQUIRE(test::run_ingest(tmp / "journal", tmp / "db.sqlite").code == 0);
    auto db = tmp / "db.sqlite";
    // Every breakout room names a parent that is in the database.
    CHECK(query(db, "SELECT COUNT(*) FROM meetings c WHERE c.is_breakout = 1 AND NOT EXISTS (SELECT 1 FROM meetings p "
                    "WHERE p.server_id = c.server_id AND p.internal_id = c.parent_internal_id)") == "0\n");
    CHECK(query(db, "SELECT COUNT(*) > 0 FROM meetings WHERE is_breakout = 1") == "1\n");
    // Breakout time is shown for people who attended the parent meeting, never for strangers.
    CHECK(query(db, "SELECT COUNT(*) > 0, SUM(breakout_ms) > 0 FROM breakout_attendance") == "1 | 1\n");
    CHECK(query(db, "SELECT COUNT(*) FROM breakout_attendance b WHERE NOT EXISTS (SELECT 1 FROM attendance a "
                    "WHERE a.meeting_id = b.meeting_id AND a.person_id = b.person_id)") == "0\n");
}
