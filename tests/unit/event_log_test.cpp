// ingest/event_log: a meeting's events with each string once, and their chunks.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "bbbhook/ingest/event_log.hpp"

using namespace bbbhook;
using namespace bbbhook::ingest;
using bbb::EventKind;

namespace {

StoredEvent event(int64_t ts, EventKind kind, std::string user, std::string ext = {}, std::string name = {}) {
    StoredEvent e;
    e.ts = ts;
    e.kind = kind;
    e.user_id = std::move(user);
    e.user_ext_id = std::move(ext);
    e.name = std::move(name);
    return e;
}

} // namespace

TEST_CASE("event log: each distinct string gets one number, the empty string 0", "[event_log]") {
    EventLog log;
    CHECK(log.intern("") == 0);
    CHECK(log.str(0).empty());
    std::vector<EventLog::Ref> refs;
    // Enough strings that the index grows several times.
    for (int i = 0; i < 1000; ++i)
        refs.push_back(log.intern(fmt::format("w_user{}", i)));
    for (int i = 0; i < 1000; ++i) {
        CHECK(refs[i] == static_cast<EventLog::Ref>(i + 1));
        CHECK(log.intern(fmt::format("w_user{}", i)) == refs[i]);
        CHECK(log.str(refs[i]) == fmt::format("w_user{}", i));
    }
    CHECK(log.refs() == 1001);
    // Prefixes and strings of another length are other strings.
    CHECK(log.intern("w_user") == 1001);
    CHECK(log.intern("w_user10000000") == 1002);
}

TEST_CASE("event log: events keep their fields, equal strings as equal numbers", "[event_log]") {
    EventLog log;
    auto a = event(1000, EventKind::user_joined, "w_a", "7", "Ζωή Αλεξίου");
    a.role = "VIEWER";
    a.guest = 0;
    a.presenter = 1;
    auto b = event(2000, EventKind::emoji, "w_a");
    b.extra = "👍";
    b.flag = 1;
    b.raw = true;
    log.add(a);
    log.add(b);
    log.add(a);
    REQUIRE(log.size() == 3);
    CHECK(log.stored(0) == a);
    CHECK(log.stored(1) == b);
    CHECK(log[0] == log[2]);
    CHECK_FALSE(log[0] == log[1]);
    CHECK(log[0].user_id == log[1].user_id);
    CHECK(log.refs() == 6); // w_a, 7, the name, VIEWER, 👍
}

TEST_CASE("event log: chunks decoded one after another into one log give the events back", "[event_log]") {
    std::vector<StoredEvent> events;
    for (int i = 0; i < 60; ++i)
        events.push_back(event(1795551040000 + 1000 * i, i % 3 ? EventKind::raise_hand : EventKind::user_joined,
                               fmt::format("w_u{}", i % 7), std::to_string(i % 7), i % 3 ? "" : "Іван Петренко"));
    EventLog log;
    for (const auto& e : events)
        log.add(e);
    // As ingest stores a meeting: a chunk per commit, each with the strings it uses.
    std::string first, second;
    encode_events(first, log, 0);
    EventLog head;
    for (size_t i = 0; i < 25; ++i)
        head.add(events[i]);
    std::string head_chunk;
    encode_events(head_chunk, head, 0);
    encode_events(second, log, 25);

    EventLog back;
    REQUIRE(decode_events(head_chunk, k_events_format, back));
    REQUIRE(decode_events(second, k_events_format, back));
    REQUIRE(back.size() == events.size());
    for (size_t i = 0; i < events.size(); ++i)
        CHECK(back.stored(i) == events[i]);
    CHECK(back.refs() == log.refs()); // the second chunk's strings were found, not added again
    // The whole log as one chunk is the same bytes as the events encoded from a vector.
    std::string from_vector;
    encode_events(from_vector, events);
    CHECK(first == from_vector);
    // A damaged chunk fails.
    EventLog damaged;
    CHECK_FALSE(decode_events(second.substr(0, second.size() - 1), k_events_format, damaged));
    CHECK_FALSE(decode_events(second, 3, damaged));
}

TEST_CASE("event log: an external id is the same string whether or not its connection had it before", "[event_log]") {
    EventLog log;
    EventLog::Ref a = log.intern("w_a"), b = log.intern("w_b");
    CHECK(log.intern_ext(a, "") == 0);
    EventLog::Ref seven = log.intern_ext(a, "7");
    CHECK(log.str(seven) == "7");
    CHECK(log.intern_ext(a, "7") == seven);
    CHECK(log.intern_ext(b, "7") == seven); // another connection of the same person
    EventLog::Ref eight = log.intern_ext(a, "8");
    CHECK(eight != seven);
    CHECK(log.str(eight) == "8");
    CHECK(log.intern_ext(a, "7") == seven);
    CHECK(log.intern_ext(0, "8") == eight); // no connection
    CHECK(log.intern("8") == eight);
    // Connections numbered after the last external id was cached.
    for (int i = 0; i < 200; ++i) {
        EventLog::Ref c = log.intern(fmt::format("w_c{}", i));
        CHECK(log.str(log.intern_ext(c, std::to_string(i % 5))) == std::to_string(i % 5));
    }
}
