#include "bbbhook/store/schema.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace bbbhook::store {

namespace {

// Migration N brings the schema from version N-1 to N. Never edit a released step: add one.
constexpr const char* k_migrations[] = {
    // 1: the first schema.
    R"sql(
CREATE TABLE servers (
    id INTEGER PRIMARY KEY,
    domain TEXT NOT NULL UNIQUE
);

CREATE TABLE meetings (
    id INTEGER PRIMARY KEY,
    server_id INTEGER NOT NULL REFERENCES servers(id),
    internal_id TEXT NOT NULL,
    external_id TEXT,
    name TEXT,
    create_time_ms INTEGER,
    created_ms INTEGER,
    ended_ms INTEGER,
    end_reason TEXT CHECK (end_reason IN ('ended', 'inferred')),
    is_breakout INTEGER NOT NULL DEFAULT 0,
    parent_internal_id TEXT,
    metadata TEXT,
    moodle_course_id TEXT,
    moodle_site TEXT,
    first_event_ms INTEGER,
    last_event_ms INTEGER,
    event_count INTEGER NOT NULL DEFAULT 0,
    recorded INTEGER,
    finalized INTEGER NOT NULL DEFAULT 0,
    UNIQUE (server_id, internal_id)
);
CREATE INDEX meetings_by_external ON meetings(server_id, external_id);
CREATE INDEX meetings_by_course ON meetings(moodle_site, moodle_course_id);
CREATE INDEX meetings_by_created ON meetings(created_ms);
CREATE INDEX meetings_open ON meetings(finalized) WHERE finalized = 0;

CREATE TABLE people (
    id INTEGER PRIMARY KEY,
    server_id INTEGER NOT NULL REFERENCES servers(id),
    user_key TEXT NOT NULL,
    external_user_id TEXT,
    name TEXT,
    name_ms INTEGER,
    is_guest INTEGER NOT NULL DEFAULT 0,
    UNIQUE (server_id, user_key)
);
CREATE INDEX people_by_name ON people(name);

CREATE TABLE intervals (
    meeting_id INTEGER NOT NULL REFERENCES meetings(id),
    connection_id TEXT NOT NULL,
    joined_ms INTEGER NOT NULL,
    person_id INTEGER NOT NULL REFERENCES people(id),
    name TEXT,
    role TEXT,
    left_ms INTEGER,
    closed_by TEXT NOT NULL CHECK (closed_by IN ('left', 'meeting-ended', 'inferred', 'open')),
    PRIMARY KEY (meeting_id, connection_id, joined_ms)
) WITHOUT ROWID;
CREATE INDEX intervals_by_person ON intervals(person_id);

CREATE TABLE attendance (
    meeting_id INTEGER NOT NULL REFERENCES meetings(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    name TEXT,
    role TEXT,
    first_join_ms INTEGER NOT NULL,
    last_leave_ms INTEGER,
    online_ms INTEGER NOT NULL,
    joins INTEGER NOT NULL,
    talk_ms INTEGER NOT NULL,
    webcam_ms INTEGER NOT NULL,
    presenter_ms INTEGER NOT NULL,
    chat_messages INTEGER NOT NULL,
    raise_hands INTEGER NOT NULL,
    reactions INTEGER NOT NULL,
    poll_votes INTEGER NOT NULL,
    PRIMARY KEY (meeting_id, person_id)
) WITHOUT ROWID;
CREATE INDEX attendance_by_person ON attendance(person_id);

CREATE TABLE meeting_events (
    meeting_id INTEGER NOT NULL REFERENCES meetings(id),
    chunk INTEGER NOT NULL,
    events BLOB NOT NULL,
    PRIMARY KEY (meeting_id, chunk)
) WITHOUT ROWID;

CREATE TABLE event_counts (
    event_id TEXT PRIMARY KEY,
    known INTEGER NOT NULL,
    count INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE ingest_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    journal_file TEXT NOT NULL DEFAULT '',
    journal_offset INTEGER NOT NULL DEFAULT 0,
    clock_ms INTEGER NOT NULL DEFAULT 0,
    records INTEGER NOT NULL DEFAULT 0,
    events INTEGER NOT NULL DEFAULT 0,
    bad_records INTEGER NOT NULL DEFAULT 0,
    corrupt_regions INTEGER NOT NULL DEFAULT 0,
    torn_tails INTEGER NOT NULL DEFAULT 0
);
INSERT INTO ingest_state (id) VALUES (1);

-- BBB joins every participant to a breakout room with userID "<internal user id in the parent>-<room
-- number>" (akka-apps BreakoutRoomsUtil), so a breakout room's person is mapped back to the person
-- of that connection in the parent meeting; one that cannot be mapped stays as it is.
CREATE VIEW breakout_attendance AS
SELECT parent.id AS meeting_id, COALESCE(pc.person_id, a.person_id) AS person_id,
       SUM(a.online_ms) AS breakout_ms, COUNT(DISTINCT child.id) AS rooms
FROM meetings AS child
JOIN meetings AS parent ON parent.server_id = child.server_id AND parent.internal_id = child.parent_internal_id
JOIN attendance AS a ON a.meeting_id = child.id
JOIN people AS cp ON cp.id = a.person_id
LEFT JOIN (SELECT DISTINCT meeting_id, connection_id, person_id FROM intervals) AS pc
       ON pc.meeting_id = parent.id AND pc.connection_id = rtrim(rtrim(cp.user_key, '0123456789'), '-')
WHERE child.is_breakout = 1
GROUP BY parent.id, COALESCE(pc.person_id, a.person_id);
)sql",
    // 2: breakout_attendance starts from the breakout rooms and maps each room's person back with
    // one lookup in intervals' primary key. The first form joined all intervals (DISTINCT, then an
    // automatic index) and scanned all attendance: 2.4 s on a million rows, for any report. The
    // index finds a meeting's rooms, for the view asked about one meeting (report does).
    R"sql(
CREATE INDEX meetings_by_parent ON meetings(server_id, parent_internal_id);
DROP VIEW breakout_attendance;
CREATE VIEW breakout_attendance AS
SELECT parent.id AS meeting_id,
       COALESCE((SELECT i.person_id FROM intervals AS i
                 WHERE i.meeting_id = parent.id
                   AND i.connection_id = rtrim(rtrim(cp.user_key, '0123456789'), '-') LIMIT 1),
                a.person_id) AS person_id,
       SUM(a.online_ms) AS breakout_ms, COUNT(DISTINCT child.id) AS rooms
FROM meetings AS child
CROSS JOIN attendance AS a ON a.meeting_id = child.id
JOIN meetings AS parent ON parent.server_id = child.server_id AND parent.internal_id = child.parent_internal_id
JOIN people AS cp ON cp.id = a.person_id
WHERE child.is_breakout = 1
GROUP BY 1, 2;
)sql",
    // 3: event chunks in format 2 (a string table, times as deltas: about 40% of the size;
    // the chunks were two thirds of the database). Chunks written before keep format 1.
    R"sql(
ALTER TABLE meeting_events ADD COLUMN format INTEGER NOT NULL DEFAULT 1;
)sql",
    // 4: event chunks in a rowid table. In the WITHOUT ROWID table (an index b-tree) a row keeps
    // at most about a quarter of a page in place and the rest goes to overflow pages: a 3 KB
    // chunk took two pages, a third of them unused (32 MB of pages for 21 MB of chunks). In a
    // rowid table a chunk is appended at the end and fills the page; the unique index on
    // (meeting_id, chunk) is small.
    R"sql(
CREATE TABLE meeting_events_v4 (
    id INTEGER PRIMARY KEY,
    meeting_id INTEGER NOT NULL REFERENCES meetings(id),
    chunk INTEGER NOT NULL,
    format INTEGER NOT NULL,
    events BLOB NOT NULL,
    UNIQUE (meeting_id, chunk)
);
INSERT INTO meeting_events_v4 (meeting_id, chunk, format, events)
SELECT meeting_id, chunk, format, events FROM meeting_events ORDER BY meeting_id, chunk;
DROP TABLE meeting_events;
ALTER TABLE meeting_events_v4 RENAME TO meeting_events;
)sql",
    // 5: people's changes (the name seen last, its time, the guest flag) made by the partial
    // commits of a catch-up, appended here and written into people by its complete commit.
    // Updated in place at every commit, the people rows of returning participants made a third
    // of the pages a catch-up wrote.
    R"sql(
CREATE TABLE people_pending (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id),
    name TEXT,
    name_ms INTEGER,
    is_guest INTEGER NOT NULL
);
)sql",
    // 6: people's key unique by an index of its own (people_by_key) instead of the table's
    // UNIQUE constraint, so that a catch-up into an empty people table can drop it and build it
    // at its end: inserted in the order people first appear, the random keys rewrote each of
    // its pages at every commit, 30% of all the pages a catch-up wrote. The table is made
    // again (a constraint cannot be dropped); open_database runs migrations with foreign keys
    // off and legacy_alter_table on, so the rename leaves the references to people alone.
    // people_by_name goes with the old table: no query can use it (report finds names by a
    // substring of the folded name and sorts by the folded name), and it cost a catch-up 33 ms
    // to build and every name change an index update.
    R"sql(
CREATE TABLE people_v6 (
    id INTEGER PRIMARY KEY,
    server_id INTEGER NOT NULL REFERENCES servers(id),
    user_key TEXT NOT NULL,
    external_user_id TEXT,
    name TEXT,
    name_ms INTEGER,
    is_guest INTEGER NOT NULL DEFAULT 0
);
INSERT INTO people_v6 (id, server_id, user_key, external_user_id, name, name_ms, is_guest)
SELECT id, server_id, user_key, external_user_id, name, name_ms, is_guest FROM people;
DROP TABLE people;
ALTER TABLE people_v6 RENAME TO people;
CREATE UNIQUE INDEX people_by_key ON people(server_id, user_key);
)sql",
};

constexpr IndexDefinition k_people_key_index = {"people_by_key",
                                                "CREATE UNIQUE INDEX people_by_key ON people(server_id, user_key)"};

constexpr IndexDefinition k_reader_indexes[] = {
    {"meetings_by_course", "CREATE INDEX meetings_by_course ON meetings(moodle_site, moodle_course_id)"},
    {"meetings_by_created", "CREATE INDEX meetings_by_created ON meetings(created_ms)"},
    {"intervals_by_person", "CREATE INDEX intervals_by_person ON intervals(person_id)", true},
    {"attendance_by_person", "CREATE INDEX attendance_by_person ON attendance(person_id)", true},
    {"meetings_by_parent", "CREATE INDEX meetings_by_parent ON meetings(server_id, parent_internal_id)"},
};

int user_version(util::Db& db) {
    auto st = db.prepare("PRAGMA user_version");
    return st.step() ? static_cast<int>(st.int64(0)) : 0;
}

} // namespace

std::span<const IndexDefinition> reader_indexes() {
    return k_reader_indexes;
}

namespace {

void ensure_indexes(util::Db& db, std::span<const IndexDefinition> indexes) {
    auto exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?");
    for (const auto& index : indexes) {
        bool found = exists.bind(1, std::string_view(index.name)).step();
        exists.reset();
        if (!found) db.exec(index.sql);
    }
}

void drop_indexes(util::Db& db, std::span<const IndexDefinition> indexes) {
    for (const auto& index : indexes)
        db.exec(fmt::format("DROP INDEX IF EXISTS {}", index.name));
}

} // namespace

void ensure_reader_indexes(util::Db& db) {
    ensure_indexes(db, k_reader_indexes);
}

void drop_reader_indexes(util::Db& db) {
    for (const auto& index : k_reader_indexes)
        if (index.catch_up_drops) drop_indexes(db, {&index, 1});
}

void ensure_people_key_index(util::Db& db) {
    ensure_indexes(db, {&k_people_key_index, 1});
}

void drop_people_key_index(util::Db& db) {
    drop_indexes(db, {&k_people_key_index, 1});
}

Result<util::Db> open_database(const std::filesystem::path& path, util::Db::Mode mode, const char* vfs) {
    auto db = util::Db::open(path, mode, vfs);
    if (!db) return db;
    try {
        int version = user_version(*db);
        constexpr int known = static_cast<int>(std::size(k_migrations));
        static_assert(known == k_schema_version);
        if (version > known)
            return make_error(ExitCode::data,
                              fmt::format("{}: database schema version {} is newer than this bbbhook knows ({})",
                                          path.string(), version, known));
        if (version < known && mode == util::Db::Mode::read_only)
            return make_error(ExitCode::data, fmt::format("{}: database schema version {} needs migrating to {}: run "
                                                          "`bbbhook ingest` once",
                                                          path.string(), version, known));
        if (version < known) {
            // Migrations that make a table again (the only way to change its constraints) drop
            // the old one and rename the new one: without per-row foreign key checks, and with
            // the references of other tables and views to the name left as they are.
            db->exec("PRAGMA foreign_keys=OFF; PRAGMA legacy_alter_table=ON;");
            for (int v = version; v < known; ++v) {
                util::Transaction tx(*db);
                db->exec(k_migrations[v]);
                db->exec(fmt::format("PRAGMA user_version = {}", v + 1));
                tx.commit();
            }
            db->exec("PRAGMA legacy_alter_table=OFF; PRAGMA foreign_keys=ON;");
            // A migration copies rows as they are: a reference that does not hold was broken
            // before. Said, not refused: refusing would also refuse the --rebuild that repairs it.
            if (auto fk = db->prepare("PRAGMA foreign_key_check"); fk.step())
                spdlog::warn(
                    "{}: rows of table {} refer to rows of {} that do not exist (seen after migrating to schema {}); "
                    "`bbbhook ingest --rebuild` recreates the database from the journal",
                    path.string(), fk.text(0), fk.text(2), known);
        }
    } catch (const Failure& f) {
        return make_error(f.code(), fmt::format("{}: {}", path.string(), f.what()));
    }
    return db;
}

} // namespace bbbhook::store
