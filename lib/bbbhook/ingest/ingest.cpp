#include "bbbhook/ingest/ingest.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <deque>
#include <fcntl.h>
#include <fmt/format.h>
#include <memory>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <unistd.h>
#include <unordered_map>

#include "bbbhook/bbb/events.hpp"
#include "bbbhook/ingest/prefetch.hpp"
#include "bbbhook/ingest/sessionize.hpp"
#include "bbbhook/journal/reader.hpp"
#include "bbbhook/journal/writer.hpp"
#include "bbbhook/store/schema.hpp"
#include "bbbhook/util/checkpointer.hpp"
#include "bbbhook/util/fd.hpp"
#include "bbbhook/util/flat_index.hpp"
#include "bbbhook/util/sqlite.hpp"
#include "bbbhook/util/text.hpp"
#include "bbbhook/util/time.hpp"
#include "bbbhook/util/wal_buffer.hpp"

namespace bbbhook::ingest {

namespace {

// A finished meeting stays in memory this long (journal time) for late retries and rap events;
// after that a late event reloads it from the database.
constexpr int64_t k_keep_finished_ms = 15 * 60 * 1000;
// How long after its last event an ended meeting is written without waiting for the commit.
constexpr int64_t k_settle_ms = 60 * 1000;
constexpr int k_cache_size = -16384; // KiB: SQLite's page cache for ingest

struct Meeting {
    int64_t id = 0, server_id = 0;
    std::string internal_id, external_id;
    EventLog events;
    size_t persisted = 0; // events[0, persisted) are in meeting_events
    int64_t next_chunk = 0;
    bool dirty = false;
    bool ended = false; // has a meeting-ended: can never be superseded
    bool finalized = false;
    bool superseded_hint = false; // a later session of the same room was seen: recompute now
    int64_t newest_event = 0;     // the newest timestamp in `events`
    std::optional<int64_t> last_activity;
};

// Hash maps keyed by text, or by (server, text), found by string_view without a copy: a lookup
// per event, where ordered maps spent their time comparing strings.
struct TextHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
struct KeyHash {
    using is_transparent = void;
    template <class K> size_t operator()(const K& k) const {
        return std::hash<std::string_view>{}(k.second) ^ (static_cast<size_t>(k.first) * 0x9e3779b97f4a7c15u);
    }
};
struct KeyEq {
    using is_transparent = void;
    template <class A, class B> bool operator()(const A& a, const B& b) const {
        return a.first == b.first && std::string_view(a.second) == std::string_view(b.second);
    }
};
using ServerKey = std::pair<int64_t, std::string>;
template <class V> using ServerKeyMap = std::unordered_map<ServerKey, V, KeyHash, KeyEq>;

std::optional<std::string_view> text_or_null(std::string_view s) {
    return s.empty() ? std::nullopt : std::optional<std::string_view>(s);
}

void bind_text(util::Stmt& st, int i, std::optional<std::string_view> v) {
    if (v)
        st.bind(i, *v);
    else
        st.bind(i, nullptr);
}

class Ingester {
public:
    Ingester(util::Db& db, const IngestOptions& options) : m_db(db), m_options(options) {}

    // A long catch-up: the per-person reader indexes are dropped now and made again by the run's
    // first complete commit (store::reader_indexes); so is people's key while the cache holds
    // every person (an empty people table), for as long as it does.
    void begin_bulk() {
        util::Transaction tx(m_db);
        store::drop_reader_indexes(m_db);
        if (m_people_complete) {
            store::drop_people_key_index(m_db);
            m_people_key_dropped = true;
        } else {
            store::ensure_people_key_index(m_db);
        }
        tx.commit();
        m_bulk = true;
    }

    // Loads the checkpoint, the counters and the meetings still running.
    void load();
    // Reads until the prefetcher finishes (or stop is set): one transaction per batch_records
    // journal items (or fewer at the end of the journal), with their effects and the checkpoint.
    Status consume(Prefetcher& pre, const std::atomic<bool>& stop);
    const journal::Position& position() const { return m_position; }
    // Asked for a checkpoint before the indexes of a catch-up are built.
    void set_checkpointer(util::WalCheckpointer* checkpointer) { m_checkpointer = checkpointer; }
    IngestSummary summary() const { return m_run; }

private:
    void process(Item& item);
    // Ends the transaction. A `partial` commit (the journal goes on) stores every new event and
    // the checkpoint but leaves the attendance rows of meetings still running for a later commit.
    enum class Commit { partial, complete };
    void commit(util::Transaction& tx, Commit how);
    int64_t server_id(std::string_view domain);
    Meeting& meeting(int64_t server, const std::string& internal_id);
    void load_events(Meeting& m);
    void set_external_id(Meeting& m, const std::string& ext);
    void apply_info(Meeting& m, const bbb::MeetingInfo& info);
    void write_settled();
    void flush(Commit how);
    void persist_events(Meeting& m);
    void write(Meeting& m);
    int64_t person_id(int64_t server, const Person& p);
    struct StoredPerson;
    // Reads a person missing from the cache from the people table, into sp; false if new.
    bool load_person(int64_t server, std::string_view key, uint64_t hash, StoredPerson& sp);
    // Every person is known without people's key: in the cache, or in the directory.
    bool people_known() const { return m_people_complete || m_directory_complete; }
    // Writes the people changed since the last call: as appended people_pending rows (fold =
    // false), or into their people rows (fold = true: a complete commit, or before the cache is
    // cleared), with every pending change of the run, emptying people_pending.
    void write_people(bool fold);
    // A run that stopped between a partial and a complete commit left changes in people_pending.
    void fold_pending_people();
    // In a transaction of its own: people's key, and with `reader` the reader indexes.
    void build_indexes(bool reader);
    void save_state();
    // Empty the cache of people (none dirty or pending: after write_people(true)), and the
    // directory. Without both, people are looked up by key.
    void clear_people_cache();
    void drop_directory();
    void evict();
    void warn_item(const Item& item, std::string_view what);

    util::Db& m_db;
    const IngestOptions& m_options;
    util::Stmt m_server_get{m_db, "SELECT id FROM servers WHERE domain = ?"};
    util::Stmt m_server_ins{m_db, "INSERT INTO servers (domain) VALUES (?)"};
    util::Stmt m_meeting_get{m_db,
                             "SELECT id, external_id, finalized FROM meetings WHERE server_id = ? AND internal_id = ?"};
    util::Stmt m_meeting_ins{m_db, "INSERT INTO meetings (server_id, internal_id) VALUES (?, ?)"};
    util::Stmt m_meeting_ext{m_db, "UPDATE meetings SET external_id = ? WHERE id = ? AND external_id IS NULL"};
    util::Stmt m_meeting_info{
        m_db, "UPDATE meetings SET name = COALESCE(name, ?), create_time_ms = COALESCE(create_time_ms, ?), "
              "is_breakout = MAX(is_breakout, ?), parent_internal_id = COALESCE(parent_internal_id, ?), "
              "metadata = COALESCE(metadata, ?), moodle_course_id = COALESCE(moodle_course_id, ?), "
              "moodle_site = COALESCE(moodle_site, ?) WHERE id = ?"};
    util::Stmt m_chunks_get{m_db, "SELECT events, format FROM meeting_events WHERE meeting_id = ? ORDER BY chunk"};
    util::Stmt m_chunk_ins{m_db, "INSERT INTO meeting_events (meeting_id, chunk, events, format) VALUES (?, ?, ?, ?)"};
    util::Stmt m_superseded{m_db, "SELECT 1 FROM meetings WHERE server_id = ? AND external_id = ? AND id <> ? "
                                  "AND COALESCE(create_time_ms, first_event_ms) > ? LIMIT 1"};
    util::Stmt m_meeting_result{
        m_db, "UPDATE meetings SET created_ms = COALESCE(create_time_ms, ?), ended_ms = ?, end_reason = ?, "
              "first_event_ms = ?, last_event_ms = ?, event_count = ?, recorded = ?, finalized = ? WHERE id = ?"};
    util::Stmt m_person_get{m_db,
                            "SELECT id, name, name_ms, is_guest FROM people WHERE server_id = ? AND user_key = ?"};
    util::Stmt m_person_by_id{m_db, "SELECT server_id, user_key, name, name_ms, is_guest FROM people WHERE id = ?"};
    util::Stmt m_person_ins{m_db, "INSERT INTO people (server_id, user_key, external_user_id, name, name_ms, is_guest) "
                                  "VALUES (?, ?, ?, ?, ?, ?)"};
    util::Stmt m_person_upd{m_db, "UPDATE people SET name = ?, name_ms = ?, is_guest = ? WHERE id = ?"};
    util::Stmt m_pending_ins{m_db,
                             "INSERT INTO people_pending (person_id, name, name_ms, is_guest) VALUES (?, ?, ?, ?)"};
    util::Stmt m_intervals_del{m_db, "DELETE FROM intervals WHERE meeting_id = ?"};
    util::RowBatch m_intervals_ins{
        m_db, "INSERT INTO intervals (meeting_id, connection_id, joined_ms, person_id, name, role, left_ms, closed_by)",
        8};
    util::Stmt m_attendance_del{m_db, "DELETE FROM attendance WHERE meeting_id = ?"};
    util::RowBatch m_attendance_ins{m_db,
                                    "INSERT INTO attendance (meeting_id, person_id, name, role, first_join_ms, "
                                    "last_leave_ms, online_ms, joins, talk_ms, webcam_ms, presenter_ms, "
                                    "chat_messages, raise_hands, reactions, poll_votes)",
                                    15};
    util::Stmt m_counts{m_db, "INSERT INTO event_counts (event_id, known, count) VALUES (?, ?, ?) "
                              "ON CONFLICT (event_id) DO UPDATE SET count = count + excluded.count"};
    util::Stmt m_state_set{m_db, "UPDATE ingest_state SET journal_file = ?, journal_offset = ?, clock_ms = ?, "
                                 "records = ?, events = ?, bad_records = ?, corrupt_regions = ?, torn_tails = ? "
                                 "WHERE id = 1"};

    journal::Position m_position;
    int64_t m_clock = 0;
    IngestSummary m_total; // as stored in ingest_state
    IngestSummary m_run;   // this run only
    std::unordered_map<std::string, int64_t, TextHash, std::equal_to<>> m_servers;
    const std::pair<const std::string, int64_t>* m_last_server = nullptr; // into m_servers
    ServerKeyMap<std::unique_ptr<Meeting>> m_meetings;
    // People as stored (a bounded cache). A change (the name seen last, its time, the guest flag)
    // is made here and written once per transaction, in write_people(): a person is in many
    // meetings, and an UPDATE per person and meeting cost more than all other people work.
    // A partial commit appends the changes to people_pending instead, and the complete commit
    // (the end of the catch-up) writes them into people once: updated at every commit, the
    // people rows of returning participants, spread over the whole table, made a third of all
    // the pages a catch-up wrote (docs/BENCHMARKS.md). The cache holds every person with a
    // pending change, so people rows are read only once people_pending is empty.
    struct StoredPerson {
        int64_t server = 0;
        std::string key;
        int64_t id = 0;
        std::string name;
        std::optional<int64_t> name_ms;
        bool guest = false;
        bool dirty = false;   // differs from what is stored until write_people()
        bool pending = false; // its people row is behind its newest people_pending row
    };
    // By open addressing (util::FlatIndex): a lookup per person and meeting written, where
    // std::unordered_map's nodes made three cache misses of each (docs/BENCHMARKS.md).
    // A deque: growing never copies the cache, nor holds an old and a new array at once (a
    // vector did, and took the peak RSS at 5M events from 64 to 66.5 MiB).
    std::deque<StoredPerson> m_people;
    util::FlatIndex m_people_index;
    std::vector<uint32_t> m_dirty_people, m_pending_people; // positions in m_people
    std::vector<int64_t> m_person_ids;                      // write(): the people of the meeting being written
    bool m_people_complete = false;                         // m_people holds every row of the people table
    // A run into an empty people table keeps the id of every person it adds, by person_hash(),
    // for as long as there are at most people_directory of them: a person missing from the
    // cache is then either in it (read by id) or new, never looked up by people's key, which a
    // catch-up need not keep. At 5M events, looking up and adding 400,000 people by their key
    // (a random text key) took a quarter of ingest's time (docs/BENCHMARKS.md).
    util::FlatIndex m_directory; // numbers: people ids
    bool m_directory_complete = false;
    std::unordered_map<std::string, std::pair<bool, int64_t>, TextHash, std::equal_to<>>
        m_counts_pending; // id -> (known, count)
    struct CountCache {
        std::string id;
        std::pair<bool, int64_t>* count = nullptr; // into m_counts_pending
    };
    std::array<CountCache, static_cast<size_t>(bbb::EventKind::unknown) + 1> m_count_cache; // by kind
    int64_t m_warned_at = 0;
    std::vector<Meeting*> m_ended; // meetings that got their meeting-ended, until written
    bool m_bulk = false;           // the reader indexes are dropped until the next complete commit
    // store::drop_people_key_index() by begin_bulk(); commit() makes it again at the catch-up's
    // end, or as soon as neither the cache nor the directory holds every person.
    bool m_people_key_dropped = false;
    util::WalCheckpointer* m_checkpointer = nullptr;
};

void Ingester::load() {
    auto st = m_db.prepare("SELECT journal_file, journal_offset, clock_ms, records, events, bad_records, "
                           "corrupt_regions, torn_tails FROM ingest_state WHERE id = 1");
    if (st.step()) {
        m_position = {st.text(0), static_cast<uint64_t>(st.int64(1))};
        m_clock = st.int64(2);
        m_total = {static_cast<uint64_t>(st.int64(3)), static_cast<uint64_t>(st.int64(4)),
                   static_cast<uint64_t>(st.int64(5)), static_cast<uint64_t>(st.int64(6)),
                   static_cast<uint64_t>(st.int64(7)), 0};
        st.reset();
    }
    fold_pending_people();
    // A database without people (a first run, a rebuild): the cache starts complete.
    m_people_complete = !m_db.prepare("SELECT 1 FROM people LIMIT 1").step();
    m_directory_complete = m_people_complete;
    auto open = m_db.prepare("SELECT id, server_id, internal_id, COALESCE(external_id, ''), "
                             "ended_ms IS NOT NULL AND end_reason = 'ended', last_event_ms "
                             "FROM meetings WHERE finalized = 0 ORDER BY id");
    while (open.step()) {
        auto m = std::make_unique<Meeting>();
        m->id = open.int64(0);
        m->server_id = open.int64(1);
        m->internal_id = open.text(2);
        m->external_id = open.text(3);
        m->ended = open.int64(4) != 0;
        m->last_activity = open.opt_int64(5);
        auto key = std::pair{m->server_id, m->internal_id};
        m_meetings.emplace(key, std::move(m));
    }
    for (auto& [key, m] : m_meetings) {
        load_events(*m);
        // A partial commit may have left its rows behind its events: recompute at the next commit.
        m->dirty = true;
    }
}

void Ingester::load_events(Meeting& m) {
    m_chunks_get.bind(1, m.id);
    while (m_chunks_get.step()) {
        if (!decode_events(m_chunks_get.blob(0), static_cast<int>(m_chunks_get.int64(1)), m.events)) {
            m_chunks_get.reset();
            throw Failure(ExitCode::data, fmt::format("database: the stored events of meeting {} are damaged; run "
                                                      "`bbbhook ingest --rebuild`",
                                                      m.internal_id));
        }
        ++m.next_chunk;
    }
    m_chunks_get.reset();
    for (const auto& e : m.events.events())
        m.newest_event = std::max(m.newest_event, e.ts);
    m.persisted = m.events.size();
}

int64_t Ingester::server_id(std::string_view domain) {
    // Most records come from the server before.
    if (m_last_server && util::same_bytes(m_last_server->first, domain)) return m_last_server->second;
    if (auto it = m_servers.find(domain); it != m_servers.end()) {
        m_last_server = &*it;
        return it->second;
    }
    int64_t id;
    m_server_get.bind(1, domain);
    if (m_server_get.step()) {
        id = m_server_get.int64(0);
        m_server_get.reset();
    } else {
        m_server_ins.bind(1, domain).run();
        m_server_ins.reset();
        id = m_db.last_insert_rowid();
    }
    m_last_server = &*m_servers.emplace(std::string(domain), id).first;
    return id;
}

Meeting& Ingester::meeting(int64_t server, const std::string& internal_id) {
    if (auto it = m_meetings.find(std::pair<int64_t, std::string_view>(server, internal_id)); it != m_meetings.end())
        return *it->second;
    auto key = std::pair{server, internal_id};
    auto m = std::make_unique<Meeting>();
    m->server_id = server;
    m->internal_id = internal_id;
    m_meeting_get.bind(1, server).bind(2, internal_id);
    if (m_meeting_get.step()) {
        // A finished meeting gets a late event: bring its events back and recompute it.
        m->id = m_meeting_get.int64(0);
        m->external_id = m_meeting_get.text(1);
        // Finished before: recomputed in the transaction that stores the late event, never left
        // for later (a crash would leave the stored rows behind the stored events).
        m->finalized = m_meeting_get.int64(2) != 0;
        m_meeting_get.reset();
        load_events(*m);
    } else {
        m_meeting_ins.bind(1, server).bind(2, internal_id).run();
        m_meeting_ins.reset();
        m->id = m_db.last_insert_rowid();
    }
    return *m_meetings.emplace(key, std::move(m)).first->second;
}

void Ingester::set_external_id(Meeting& m, const std::string& ext) {
    m.external_id = ext;
    m_meeting_ext.bind(1, ext).bind(2, m.id).run();
    m_meeting_ext.reset();
}

void Ingester::apply_info(Meeting& m, const bbb::MeetingInfo& info) {
    bind_text(m_meeting_info, 1, text_or_null(info.name));
    m_meeting_info.bind(2, info.create_time);
    m_meeting_info.bind(3, info.is_breakout ? 1 : 0);
    bind_text(m_meeting_info, 4, text_or_null(info.parent_id));
    bind_text(m_meeting_info, 5, text_or_null(info.metadata_json));
    bind_text(m_meeting_info, 6, text_or_null(info.moodle_course_id));
    bind_text(m_meeting_info, 7, text_or_null(info.moodle_site));
    m_meeting_info.bind(8, m.id).run();
    m_meeting_info.reset();
    // A new session of the same room may close a previous one that never ended (as inferred).
    if (!m.external_id.empty())
        for (auto& [key, other] : m_meetings)
            if (other.get() != &m && other->server_id == m.server_id && other->external_id == m.external_id &&
                !other->ended) {
                other->dirty = true;
                other->superseded_hint = true;
            }
}

void Ingester::warn_item(const Item& item, std::string_view what) {
    spdlog::warn("journal {}:{}: {} of {} bytes skipped", item.at.file, item.at.offset, what, item.length);
}

void Ingester::process(Item& item) {
    m_clock = std::max(m_clock, item.received_ms);
    if (!item.decoded) {
        ++m_run.bad_records;
        ++m_total.bad_records;
        // Rate-limited: a misbehaving sender should not flood the log.
        if (util::now_ms() - m_warned_at > 10000) {
            spdlog::warn("journal {}:{}: record skipped: {}", item.at.file, item.at.offset, item.error);
            m_warned_at = util::now_ms();
        }
        return;
    }
    bbb::Callback& cb = item.callback;
    int64_t server = server_id(cb.domain.empty() ? std::string_view(item.source) : std::string_view(cb.domain));
    for (auto& e : cb.events) {
        ++m_run.events;
        ++m_total.events;
        std::string_view id = e.id.empty() ? std::string_view("(none)") : std::string_view(e.id);
        // Events of a kind mostly have the same id: compared with the last one, not hashed.
        CountCache& cached = m_count_cache[static_cast<size_t>(e.kind)];
        if (!cached.count || !util::same_bytes(cached.id, id)) {
            auto it = m_counts_pending.find(id);
            if (it == m_counts_pending.end()) it = m_counts_pending.emplace(std::string(id), std::pair{false, 0}).first;
            cached.id.assign(id);
            cached.count = &it->second; // stable: a node-based map
        }
        cached.count->first = e.kind != bbb::EventKind::unknown;
        ++cached.count->second;
        using bbb::EventKind;
        if (e.kind == EventKind::unknown || e.kind == EventKind::other || e.kind == EventKind::rap) continue;
        if (e.meeting_id.empty()) continue;
        Meeting& m = meeting(server, e.meeting_id);
        if (m.external_id.empty() && !e.meeting_ext_id.empty()) set_external_id(m, e.meeting_ext_id);
        if (e.meeting) apply_info(m, *e.meeting);
        m.newest_event = std::max(m.newest_event, e.ts);
        m.dirty = true;
        if (e.kind == EventKind::meeting_ended) {
            m.ended = true;
            m_ended.push_back(&m);
        }
        m.events.add(e);
    }
}

void Ingester::write_settled() {
    // A meeting that ended is written once its last events are a minute behind the journal
    // (BBB sends the user-left events after meeting-ended), inside the open transaction, rather
    // than with all the others when it ends: the reader thread, which stalls while a transaction
    // ends, stalls for less.
    std::erase_if(m_ended, [&](Meeting* m) {
        if (!m->dirty) return true;
        if (m_clock - m->newest_event < k_settle_ms) return false;
        write(*m);
        return true;
    });
}

uint64_t person_hash(int64_t server, std::string_view key) {
    return util::short_hash(key) ^ (static_cast<uint64_t>(server) * 0x9e3779b97f4a7c15u);
}

int64_t Ingester::person_id(int64_t server, const Person& p) {
    uint64_t h = person_hash(server, p.key);
    uint32_t n = m_people_index.find(
        h, [&](uint32_t i) { return m_people[i].server == server && util::same_bytes(m_people[i].key, p.key); });
    if (n == util::FlatIndex::k_none) {
        StoredPerson sp;
        sp.server = server;
        sp.key = p.key;
        // While the cache holds every person of the database, a miss is a new person.
        if (m_people_complete || !load_person(server, p.key, h, sp)) {
            m_person_ins.bind(1, server).bind(2, p.key);
            bind_text(m_person_ins, 3, text_or_null(p.external_id));
            bind_text(m_person_ins, 4, text_or_null(p.name));
            std::optional<int64_t> name_ms = p.name.empty() ? std::nullopt : std::optional<int64_t>(p.name_ts);
            m_person_ins.bind(5, name_ms);
            m_person_ins.bind(6, p.guest ? 1 : 0).run();
            m_person_ins.reset();
            sp.id = m_db.last_insert_rowid();
            // The table started empty and loses no rows: its ids are 1 to the directory's size,
            // which flush() keeps within people_directory, far below 32 bits.
            if (m_directory_complete) m_directory.insert(h, static_cast<uint32_t>(sp.id));
            sp.name = p.name;
            sp.name_ms = name_ms;
            sp.guest = p.guest;
        }
        n = static_cast<uint32_t>(m_people.size());
        m_people.push_back(std::move(sp));
        m_people_index.insert(h, n);
    }
    StoredPerson& sp = m_people[n];
    // The name seen last wins; ties go to the greater name, so order of arrival never matters.
    bool changed = false;
    if (!p.name.empty() && (!sp.name_ms || *sp.name_ms < p.name_ts || (*sp.name_ms == p.name_ts && sp.name < p.name))) {
        sp.name = p.name;
        sp.name_ms = p.name_ts;
        changed = true;
    }
    if (p.guest && !sp.guest) {
        sp.guest = true;
        changed = true;
    }
    if (changed && !sp.dirty) {
        sp.dirty = true;
        m_dirty_people.push_back(n);
    }
    return sp.id;
}

bool Ingester::load_person(int64_t server, std::string_view key, uint64_t hash, StoredPerson& sp) {
    auto read = [&](util::Stmt& st, int at) {
        sp.name = st.text(at);
        sp.name_ms = st.opt_int64(at + 1);
        sp.guest = st.int64(at + 2) != 0;
    };
    if (m_directory_complete) {
        uint32_t id = m_directory.find(hash, [&](uint32_t candidate) {
            m_person_by_id.bind(1, static_cast<int64_t>(candidate));
            bool same = m_person_by_id.step() && m_person_by_id.int64(0) == server &&
                        util::same_bytes(m_person_by_id.text_view(1), key);
            if (same) read(m_person_by_id, 2);
            m_person_by_id.reset();
            return same;
        });
        if (id == util::FlatIndex::k_none) return false;
        sp.id = id;
        return true;
    }
    if (!m_person_get.bind(1, server).bind(2, key).step()) return false;
    sp.id = m_person_get.int64(0);
    read(m_person_get, 1);
    m_person_get.reset();
    return true;
}

void Ingester::persist_events(Meeting& m) {
    // New events, appended as one chunk: with the checkpoint in the same transaction, a restart
    // finds every event the checkpoint has passed.
    if (m.events.size() > m.persisted) {
        std::string blob;
        encode_events(blob, m.events, m.persisted);
        m_chunk_ins.bind(1, m.id).bind(2, m.next_chunk).bind_blob_ref(3, blob).bind(4, k_events_format).run();
        m_chunk_ins.reset();
        ++m.next_chunk;
        m.persisted = m.events.size();
    }
}

void Ingester::write(Meeting& m) {
    // 1. New events.
    persist_events(m);
    // 2. Recompute from all of them.
    MeetingContext ctx{m_clock, m_options.idle_close.count(), false};
    if (!m.ended && !m.external_id.empty()) {
        int64_t last = m.last_activity.value_or(0);
        for (const auto& e : m.events.events())
            last = std::max(last, e.ts);
        m_superseded.bind(1, m.server_id).bind(2, m.external_id).bind(3, m.id).bind(4, last);
        ctx.superseded = m_superseded.step();
        m_superseded.reset();
    }
    MeetingResult r = sessionize(m.events, ctx);
    // 3. Replace the meeting's derived rows.
    m_meeting_result.bind(1, r.first_event).bind(2, r.ended);
    bind_text(m_meeting_result, 3,
              r.end == EndReason::ended      ? std::optional<std::string_view>("ended")
              : r.end == EndReason::inferred ? std::optional<std::string_view>("inferred")
                                             : std::nullopt);
    m_meeting_result.bind(4, r.first_event).bind(5, r.last_activity).bind(6, r.distinct_events);
    m_meeting_result.bind(7, r.recorded ? std::optional<int64_t>(*r.recorded ? 1 : 0) : std::nullopt);
    m_meeting_result.bind(8, r.finalized() ? 1 : 0).bind(9, m.id).run();
    m_meeting_result.reset();

    m_person_ids.clear(); // by place in r.people
    for (const auto& p : r.people)
        m_person_ids.push_back(person_id(m.server_id, p));
    // The rows' text is bound by reference (no copy per value): `r` outlives the RowBatch
    // flushes, which also clear the bindings.
    m_intervals_del.bind(1, m.id).run();
    m_intervals_del.reset();
    for (const auto& iv : r.intervals) {
        m_intervals_ins.add(m.id).add_ref(iv.connection).add(iv.joined).add(m_person_ids[iv.person]);
        m_intervals_ins.add_ref_or_null(iv.name).add_ref_or_null(iv.role);
        m_intervals_ins.add(iv.left).add_ref(closed_by_name(iv.closed_by));
    }
    m_intervals_ins.flush();
    m_attendance_del.bind(1, m.id).run();
    m_attendance_del.reset();
    for (size_t i = 0; i < r.attendance.size(); ++i) {
        const Attendance& a = r.attendance[i];
        auto& row = m_attendance_ins;
        row.add(m.id).add(m_person_ids[i]).add_ref_or_null(a.name).add_ref_or_null(a.role);
        row.add(a.first_join).add(a.last_leave).add(a.online_ms).add(a.joins).add(a.talk_ms);
        row.add(a.webcam_ms).add(a.presenter_ms).add(a.chat_messages).add(a.raise_hands);
        row.add(a.reactions).add(a.poll_votes);
    }
    m_attendance_ins.flush();
    m.finalized = r.finalized();
    m.last_activity = r.last_activity;
    m.dirty = false;
    m.superseded_hint = false;
    ++m_run.meetings_updated;
}

void Ingester::flush(Commit how) {
    // Meetings whose idle time ran out close (as inferred) even without new events.
    for (auto& [key, m] : m_meetings) {
        // A meeting with events not yet computed counts from its newest event; the others from
        // their last activity, as computed.
        std::optional<int64_t> last = m->last_activity;
        if (m->dirty && m->events.size() != 0) last = std::max(last.value_or(m->newest_event), m->newest_event);
        bool idle = last && m_clock - *last >= m_options.idle_close.count();
        if (!m->finalized && idle) m->dirty = true;
        if (!m->dirty) continue;
        // While catching up (a partial commit), a running meeting's rows are recomputed only
        // once it may be over: it ended, it may be closed as inferred (idle, or a later session
        // of the room started), or it was finished before. Rewriting them at every commit cost
        // more than anything else in ingest (docs/BENCHMARKS.md); the events are stored meanwhile.
        bool may_close = m->ended || m->finalized || m->superseded_hint || idle;
        if (how == Commit::complete || may_close)
            write(*m);
        else
            persist_events(*m);
    }
    for (const auto& [id, kc] : m_counts_pending) {
        m_counts.bind(1, id).bind(2, kc.first ? 1 : 0).bind(3, kc.second).run();
        m_counts.reset();
    }
    m_counts_pending.clear();
    m_count_cache = {};
    bool clear_cache = m_people.size() > m_options.people_cache;
    write_people(how == Commit::complete || clear_cache);
    // From now on people are looked up in the directory, or by their key: commit() builds it
    // first when there is no directory.
    if (clear_cache) clear_people_cache();
    // Over its memory budget.
    if (m_directory.size() > m_options.people_directory) drop_directory();
}

void Ingester::write_people(bool fold) {
    if (!fold) {
        for (uint32_t n : m_dirty_people) {
            StoredPerson& sp = m_people[n];
            bind_text(m_pending_ins, 2, text_or_null(sp.name));
            m_pending_ins.bind(1, sp.id).bind(3, sp.name_ms).bind(4, sp.guest ? 1 : 0).run();
            m_pending_ins.reset();
            sp.dirty = false;
            if (!sp.pending) {
                sp.pending = true;
                m_pending_people.push_back(n);
            }
        }
        m_dirty_people.clear();
        return;
    }
    for (uint32_t n : m_dirty_people)
        if (!m_people[n].pending) m_pending_people.push_back(n);
    m_dirty_people.clear();
    bool had_pending = false;
    // In id order: neighbouring rows share pages.
    std::ranges::sort(m_pending_people, {}, [&](uint32_t n) { return m_people[n].id; });
    for (uint32_t n : m_pending_people) {
        StoredPerson& sp = m_people[n];
        bind_text(m_person_upd, 1, text_or_null(sp.name));
        m_person_upd.bind(2, sp.name_ms).bind(3, sp.guest ? 1 : 0).bind(4, sp.id).run();
        m_person_upd.reset();
        had_pending = had_pending || sp.pending;
        sp.dirty = sp.pending = false;
    }
    m_pending_people.clear();
    if (had_pending) m_db.exec("DELETE FROM people_pending");
}

void Ingester::fold_pending_people() {
    if (!m_db.prepare("SELECT 1 FROM people_pending LIMIT 1").step()) return;
    // Each pending row holds the person's whole state at its commit: the newest one wins.
    util::Transaction tx(m_db);
    m_db.exec("UPDATE people SET name = p.name, name_ms = p.name_ms, is_guest = p.is_guest FROM people_pending AS p "
              "WHERE p.id IN (SELECT MAX(id) FROM people_pending GROUP BY person_id) AND people.id = p.person_id; "
              "DELETE FROM people_pending;");
    tx.commit();
}

void Ingester::clear_people_cache() {
    m_people = {};
    m_people_index.clear();
    m_people_complete = false;
}

void Ingester::drop_directory() {
    m_directory.clear();
    m_directory_complete = false;
}

void Ingester::save_state() {
    m_state_set.bind(1, m_position.file).bind(2, static_cast<int64_t>(m_position.offset)).bind(3, m_clock);
    m_state_set.bind(4, static_cast<int64_t>(m_total.records)).bind(5, static_cast<int64_t>(m_total.events));
    m_state_set.bind(6, static_cast<int64_t>(m_total.bad_records));
    m_state_set.bind(7, static_cast<int64_t>(m_total.corrupt_regions));
    m_state_set.bind(8, static_cast<int64_t>(m_total.torn_tails)).run();
    m_state_set.reset();
}

void Ingester::evict() {
    std::erase_if(m_meetings, [&](const auto& kv) {
        const Meeting& m = *kv.second;
        return m.finalized && !m.dirty && m.last_activity && m_clock - *m.last_activity > k_keep_finished_ms;
    });
}

void Ingester::commit(util::Transaction& tx, Commit how) {
    flush(how);
    save_state();
    tx.commit();
    if (how == Commit::complete && m_bulk) {
        // The catch-up is over: the people cache and directory go before the indexes are built
        // (the peak RSS at 5M events); people_by_key, built next, takes the directory's place.
        clear_people_cache();
        drop_directory();
        // The indexes in a transaction of their own (a crash before its end leaves them to the
        // next run: ingest_into), while the WAL written so far is copied back on the
        // checkpointer's thread; the last checkpoint, when the database closes, is then short.
        if (m_checkpointer) m_checkpointer->request();
        build_indexes(true);
        m_bulk = false;
    } else if (m_people_key_dropped && !people_known()) {
        build_indexes(false);
    }
    // flush() wrote every ended meeting (none is dirty now); evict() may drop them.
    std::erase_if(m_ended, [](const Meeting* m) { return !m->dirty; });
    evict();
}

void Ingester::build_indexes(bool reader) {
    util::Transaction indexes(m_db);
    // SQLite's sorter may use as much memory as the page cache: build with a small one, so that
    // the peak stays within ingest's memory budget (at 5M events, people's key built with the
    // whole cache, when the people cache was cleared, took the peak RSS from 62 to 64 MiB).
    m_db.exec("PRAGMA cache_size=-2048");
    if (reader) store::ensure_reader_indexes(m_db);
    store::ensure_people_key_index(m_db);
    m_people_key_dropped = false;
    m_db.exec(fmt::format("PRAGMA cache_size={}", k_cache_size));
    indexes.commit();
}

Status Ingester::consume(Prefetcher& pre, const std::atomic<bool>& stop) {
    int64_t last_progress = 0;
    std::optional<util::Transaction> tx;
    int64_t n = 0; // items in the open transaction
    for (;;) {
        Batch& b = pre.next();
        for (Item& item : b.items()) {
            if (!tx) tx.emplace(m_db);
            ++n;
            switch (item.kind) {
            case journal::ReadItem::Kind::record:
                process(item);
                ++m_run.records;
                ++m_total.records;
                break;
            case journal::ReadItem::Kind::corrupt:
                warn_item(item, "corrupt region");
                ++m_run.corrupt_regions;
                ++m_total.corrupt_regions;
                break;
            case journal::ReadItem::Kind::torn_tail:
                warn_item(item, "torn tail");
                ++m_run.torn_tails;
                ++m_total.torn_tails;
                break;
            case journal::ReadItem::Kind::end: break;
            }
            m_position = item.next;
            // Transactions end at batch_records items, whatever the prefetcher's batches are.
            if (n >= m_options.batch_records) {
                commit(*tx, Commit::partial);
                tx.reset();
                n = 0;
            }
        }
        if (tx) write_settled();
        bool finished = b.finished, at_end = b.at_end;
        std::optional<Error> error = std::move(b.error);
        pre.recycle(b);
        if (error) return std::unexpected(*error); // the open transaction rolls back
        if (tx && (at_end || finished || stop)) {
            commit(*tx, Commit::complete);
            tx.reset();
            n = 0;
        }
        if (m_options.progress && util::now_ms() - last_progress >= 1000) {
            std::fprintf(stderr, "\ringest: %llu records, %llu events, at %s:%llu   ",
                         static_cast<unsigned long long>(m_run.records), static_cast<unsigned long long>(m_run.events),
                         m_position.file.c_str(), static_cast<unsigned long long>(m_position.offset));
            last_progress = util::now_ms();
        }
        if (finished || stop) return {};
    }
}

// One ingest per database: the second one is told who holds it.
Result<util::UniqueFd> lock_database(const std::filesystem::path& db) {
    auto path = db.string() + ".ingest-lock";
    util::UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640));
    if (!fd) return make_error(ExitCode::cant_create, fmt::format("{}: {}", path, errno_message(errno)));
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
        auto holder = util::read_file(path);
        return make_error(ExitCode::temp_fail,
                          fmt::format("another bbbhook ingest (pid {}) is working on {}; try again when it is done",
                                      holder ? std::string(util::trim(*holder)) : "?", db.string()));
    }
    if (::ftruncate(fd.get(), 0) == 0) (void)util::write_all(fd.get(), fmt::format("{}\n", ::getpid()));
    return fd;
}

// Journal bytes after a checkpoint: how much a run has to catch up.
uint64_t journal_bytes_after(const std::filesystem::path& dir, const journal::Position& from) {
    auto files = journal::list_files(dir);
    if (!files) return 0;
    uint64_t total = 0;
    for (const auto& name : *files) {
        if (name < from.file) continue;
        // The records, without the zeros a file being written is prepared with.
        auto size = journal::data_size(dir / name);
        if (!size) continue;
        total += name == from.file ? *size - std::min(*size, from.offset) : *size;
    }
    return total;
}

std::atomic<bool> g_stop{false};
extern "C" void on_stop_signal(int) {
    g_stop = true;
}

Result<IngestSummary> ingest_into(util::Db& db, const IngestOptions& o) {
    // Ingest is the database's only writer and writes consistent rows by construction (a test
    // runs foreign_key_check and integrity_check after it): the per-row foreign key lookups are
    // not needed here, nor the CHECK constraints, whose IN list made SQLite build and drop a
    // temporary b-tree for every interval row (7% of ingest's time, docs/BENCHMARKS.md). A
    // larger page cache keeps the indexes' inner pages in memory (the RSS budget is 64 MiB).
    // The WAL file is cut back to 64 MiB whenever it starts over (checkpoints: see below).
    db.exec(fmt::format("PRAGMA foreign_keys=OFF; PRAGMA ignore_check_constraints=ON; PRAGMA cache_size={}; "
                        "PRAGMA journal_size_limit=67108864;",
                        k_cache_size));
    Ingester ingester(db, o);
    ingester.load();
    std::error_code ec;
    if (!std::filesystem::is_directory(o.journal_dir, ec))
        return make_error(ExitCode::no_input,
                          fmt::format("journal folder {} does not exist (journal.dir)", o.journal_dir.string()));
    if (journal_bytes_after(o.journal_dir, ingester.position()) >= o.bulk_bytes) {
        ingester.begin_bulk();
    } else {
        // A catch-up that was interrupted left them dropped.
        util::Transaction tx(db);
        store::ensure_reader_indexes(db);
        store::ensure_people_key_index(db);
        tx.commit();
    }
    auto reader = journal::Reader::open(o.journal_dir, ingester.position());
    if (!reader) return std::unexpected(reader.error());
    // Checkpoints on a thread of their own: commits do not wait for the WAL's copying and fsyncs.
    // Every 10,000 pages instead of SQLite's 1,000: pages rewritten by consecutive transactions
    // (meetings, indexes) are copied back once, not ten times. A WAL of 50,000 pages (200 MB)
    // makes a commit wait until it can start over. Measured in docs/BENCHMARKS.md.
    auto checkpointer = util::WalCheckpointer::start(db, {.background_pages = 10000, .wait_pages = 50000});
    if (!checkpointer) return std::unexpected(checkpointer.error());
    ingester.set_checkpointer(checkpointer->get());
    Status st;
    {
        Prefetcher pre(std::move(*reader), {o.follow, o.follow_interval, &g_stop});
        st = ingester.consume(pre, g_stop);
    }
    checkpointer->reset();
    if (o.progress) std::fprintf(stderr, "\n");
    if (!st) return std::unexpected(st.error());
    return ingester.summary();
}

} // namespace

Result<IngestSummary> run_ingest(const IngestOptions& o) {
    // 1. One ingest per database.
    auto lock = lock_database(o.database);
    if (!lock) return std::unexpected(lock.error());
    std::signal(SIGTERM, on_stop_signal);
    std::signal(SIGINT, on_stop_signal);

    // 2. A rebuild ingests everything into a fresh file, then copies it over the database in one
    //    transaction (readers see the old content until then).
    if (o.rebuild) {
        auto tmp = std::filesystem::path(o.database.string() + ".rebuild");
        for (const char* suffix : {"", "-wal", "-shm"})
            std::filesystem::remove(tmp.string() + suffix);
        IngestOptions fresh = o;
        fresh.follow = false;
        IngestSummary summary;
        {
            auto db = store::open_database(tmp, util::Db::Mode::read_write_create, util::wal_buffer_vfs());
            if (!db) return std::unexpected(db.error());
            auto r = ingest_into(*db, fresh);
            if (!r) return r;
            summary = *r;
            auto target = store::open_database(o.database);
            if (!target) return std::unexpected(target.error());
            util::copy_database(*db, *target);
        }
        for (const char* suffix : {"", "-wal", "-shm"})
            std::filesystem::remove(tmp.string() + suffix);
        return summary;
    }

    // 3. Incremental: from the checkpoint on. The WAL is written in large pieces (util/wal_buffer.hpp).
    auto db = store::open_database(o.database, util::Db::Mode::read_write_create, util::wal_buffer_vfs());
    if (!db) return std::unexpected(db.error());
    return ingest_into(*db, o);
}

ExitCode run(const IngestOptions& o) {
    int64_t t0 = util::monotonic_ns();
    auto r = value_or_throw(run_ingest(o));
    double seconds = static_cast<double>(util::monotonic_ns() - t0) / 1e9;
    std::printf("ingested %llu records (%llu events) in %.2f s into %s; %llu meeting updates",
                static_cast<unsigned long long>(r.records), static_cast<unsigned long long>(r.events), seconds,
                o.database.c_str(), static_cast<unsigned long long>(r.meetings_updated));
    if (r.bad_records || r.corrupt_regions || r.torn_tails)
        std::printf("; skipped: %llu undecodable records, %llu corrupt regions, %llu torn tails",
                    static_cast<unsigned long long>(r.bad_records), static_cast<unsigned long long>(r.corrupt_regions),
                    static_cast<unsigned long long>(r.torn_tails));
    std::printf("\n");
    return ExitCode::ok;
}

} // namespace bbbhook::ingest
