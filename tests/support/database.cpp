#include "support/database.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "bbbhook/bbb/callback_auth.hpp"
#include "bbbhook/bbb/events.hpp"
#include "bbbhook/journal/writer.hpp"
#include "bbbhook/util/sqlite.hpp"

namespace bbbhook::test {

void write_journal(const std::filesystem::path& dir, const std::vector<Capture>& captures) {
    auto w = journal::Writer::open({dir, 64ull << 20, std::chrono::hours(24), journal::Durability::none});
    REQUIRE(w);
    for (const auto& c : captures) {
        auto target = bbb::split_callback_target(c.target);
        auto cb = bbb::decode_callback(c.body);
        int64_t received = cb && cb->timestamp ? *cb->timestamp + 2 : 0;
        std::string source(target.path.substr(target.path.rfind('/') + 1));
        auto method = target.checksum ? bbb::AuthMethod::checksum : bbb::AuthMethod::bearer;
        REQUIRE((*w)->append(
            {journal::RecordType::request, method, received, source, "127.0.0.1:1", target.without_checksum, c.body}));
    }
    (*w)->close();
}

std::vector<Capture> captures_of(const std::string& scenario, const std::string& pattern) {
    auto all = load_captures(fixtures_dir() / "bbb-webhooks" / "captured" / "callbacks" / scenario);
    std::erase_if(all,
                  [&](const Capture& c) { return !pattern.empty() && c.target.find(pattern) == std::string::npos; });
    return all;
}

std::string canonical_dump(const std::filesystem::path& database) {
    auto db = util::Db::open(database, util::Db::Mode::read_only);
    REQUIRE(db);
    std::string out;
    const char* queries[][2] = {
        {"servers", "SELECT domain FROM servers ORDER BY domain"},
        {"meetings",
         "SELECT s.domain, m.internal_id, IFNULL(m.external_id,'-'), IFNULL(m.name,'-'), IFNULL(m.create_time_ms,'-'), "
         "IFNULL(m.created_ms,'-'), IFNULL(m.ended_ms,'-'), IFNULL(m.end_reason,'-'), m.is_breakout, "
         "IFNULL(m.parent_internal_id,'-'), IFNULL(m.metadata,'-'), IFNULL(m.moodle_course_id,'-'), "
         "IFNULL(m.moodle_site,'-'), IFNULL(m.first_event_ms,'-'), IFNULL(m.last_event_ms,'-'), m.event_count, "
         "IFNULL(m.recorded,'-'), m.finalized FROM meetings m JOIN servers s ON s.id = m.server_id "
         "ORDER BY s.domain, m.internal_id"},
        {"people",
         "SELECT s.domain, p.user_key, IFNULL(p.external_user_id,'-'), IFNULL(p.name,'-'), IFNULL(p.name_ms,'-'), "
         "p.is_guest FROM people p JOIN servers s ON s.id = p.server_id ORDER BY s.domain, p.user_key"},
        {"intervals",
         "SELECT m.internal_id, i.connection_id, i.joined_ms, p.user_key, IFNULL(i.name,'-'), IFNULL(i.role,'-'), "
         "IFNULL(i.left_ms,'-'), i.closed_by FROM intervals i JOIN meetings m ON m.id = i.meeting_id "
         "JOIN people p ON p.id = i.person_id ORDER BY m.internal_id, i.connection_id, i.joined_ms"},
        {"attendance",
         "SELECT m.internal_id, p.user_key, IFNULL(a.name,'-'), IFNULL(a.role,'-'), a.first_join_ms, "
         "IFNULL(a.last_leave_ms,'-'), a.online_ms, a.joins, a.talk_ms, a.webcam_ms, a.presenter_ms, a.chat_messages, "
         "a.raise_hands, a.reactions, a.poll_votes FROM attendance a JOIN meetings m ON m.id = a.meeting_id "
         "JOIN people p ON p.id = a.person_id ORDER BY m.internal_id, p.user_key"},
        {"stored events per meeting",
         "SELECT m.internal_id, COUNT(e.chunk) > 0 FROM meetings m LEFT JOIN meeting_events e ON e.meeting_id = m.id "
         "GROUP BY m.id ORDER BY m.internal_id"},
        {"event counts", "SELECT event_id, known, count FROM event_counts ORDER BY event_id"},
        // Empty once a run ends: a complete commit writes the changes into people.
        {"people changes pending", "SELECT COUNT(*) FROM people_pending"},
        {"ingest state",
         "SELECT journal_file, journal_offset, clock_ms, records, events, bad_records, corrupt_regions, torn_tails "
         "FROM ingest_state"},
    };
    for (const auto& [title, sql] : queries) {
        out += fmt::format("## {}\n", title);
        auto st = db->prepare(sql);
        while (st.step()) {
            std::string line;
            for (int col = 0; col < st.columns(); ++col) {
                if (col > 0) line += " | ";
                line += st.is_null(col) ? "NULL" : st.text(col);
            }
            out += line + "\n";
        }
    }
    return out;
}

std::string encode_events_format1(const std::vector<ingest::StoredEvent>& events) {
    auto varint = [](std::string& out, uint64_t v) {
        for (; v >= 0x80; v >>= 7)
            out += static_cast<char>((v & 0x7f) | 0x80);
        out += static_cast<char>(v);
    };
    auto zig = [](int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); };
    std::string out;
    for (const auto& e : events) {
        varint(out, zig(e.ts));
        varint(out, static_cast<uint64_t>(e.kind));
        varint(out, (e.raw ? 1u : 0u) | (zig(e.guest) << 1) | (zig(e.presenter) << 3) | (zig(e.flag) << 5));
        for (const std::string* s : {&e.user_id, &e.user_ext_id, &e.name, &e.role, &e.extra}) {
            varint(out, s->size());
            out += *s;
        }
    }
    return out;
}

RunResult run_ingest(const std::filesystem::path& journal, const std::filesystem::path& database,
                     const std::vector<std::string>& extra) {
    auto config = database.parent_path() / "empty.conf";
    write_text(config, "");
    std::vector<std::string> argv = {bbbhook_binary().string(), "--config",       config.string(), "ingest",
                                     "--journal-dir",           journal.string(), "--database",    database.string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run(argv);
}

} // namespace bbbhook::test
