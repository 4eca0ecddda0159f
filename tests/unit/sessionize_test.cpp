// ingest/sessionize: each sessionization rule of docs/INGEST.md, on small synthetic meetings.
#include <algorithm>
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <random>
#include <tuple>

#include "bbbhook/ingest/sessionize.hpp"
#include "support/database.hpp"

using namespace bbbhook;
using namespace bbbhook::ingest;
using bbb::EventKind;

namespace {

constexpr int64_t k_hour = 3600 * 1000;
const MeetingContext k_now{100 * k_hour, 6 * k_hour, false}; // clock far past the events

StoredEvent ev(int64_t ts, EventKind kind, std::string conn = {}, std::string ext = {}) {
    StoredEvent e;
    e.ts = ts;
    e.kind = kind;
    e.user_id = std::move(conn);
    e.user_ext_id = std::move(ext);
    return e;
}
StoredEvent join(int64_t ts, std::string conn, std::string ext, std::string name = "", std::string role = "VIEWER") {
    auto e = ev(ts, EventKind::user_joined, std::move(conn), std::move(ext));
    e.name = std::move(name);
    e.role = std::move(role);
    e.guest = 0;
    return e;
}
StoredEvent left(int64_t ts, std::string conn) {
    return ev(ts, EventKind::user_left, std::move(conn));
}
StoredEvent with(StoredEvent e, int8_t flag, std::string extra = {}) {
    e.flag = flag;
    e.extra = std::move(extra);
    return e;
}

const Attendance& of(const MeetingResult& r, const std::string& key) {
    auto it = std::ranges::find(r.people, key, &Person::key);
    REQUIRE(it != r.people.end());
    REQUIRE(r.attendance.size() == r.people.size());
    return r.attendance[static_cast<size_t>(it - r.people.begin())];
}

// The same meeting must come out of every arrival order.
void require_order_independent(std::vector<StoredEvent> events, const MeetingContext& ctx = k_now) {
    auto reference = sessionize(events, ctx);
    std::mt19937 rng(42);
    for (int i = 0; i < 30; ++i) {
        std::shuffle(events.begin(), events.end(), rng);
        auto r = sessionize(events, ctx);
        REQUIRE(r.attendance.size() == r.people.size());
        for (const auto& iv : r.intervals)
            REQUIRE(iv.person < r.people.size());
        REQUIRE(r.attendance.size() == reference.attendance.size());
        REQUIRE(r.intervals.size() == reference.intervals.size());
        for (size_t k = 0; k < r.intervals.size(); ++k) {
            CHECK(r.intervals[k].joined == reference.intervals[k].joined);
            CHECK(r.intervals[k].left == reference.intervals[k].left);
            CHECK(r.intervals[k].closed_by == reference.intervals[k].closed_by);
        }
        for (size_t k = 0; k < r.attendance.size(); ++k) {
            CHECK(r.attendance[k].online_ms == reference.attendance[k].online_ms);
            CHECK(r.attendance[k].talk_ms == reference.attendance[k].talk_ms);
            CHECK(r.attendance[k].chat_messages == reference.attendance[k].chat_messages);
        }
    }
}

} // namespace

TEST_CASE("sessionize: two tabs count once, rejoins are several intervals of one person", "[sessionize]") {
    std::vector<StoredEvent> events = {
        ev(1000, EventKind::meeting_created),
        join(2000, "w_tab1", "57", "Sam"),
        join(5000, "w_tab2", "57", "Sam"), // a second tab
        left(8000, "w_tab1"),
        left(9000, "w_tab2"), // online 2000..9000
        join(20000, "w_again", "57", "Sam"),
        left(26000, "w_again"), // a rejoin
        ev(30000, EventKind::meeting_ended),
    };
    auto r = sessionize(events, k_now);
    REQUIRE(r.attendance.size() == 1);
    const auto& sam = of(r, "57");
    CHECK(sam.online_ms == 7000 + 6000);
    CHECK(sam.joins == 3);
    CHECK(sam.first_join == 2000);
    CHECK(sam.last_leave == 26000);
    CHECK(r.intervals.size() == 3);
    require_order_independent(events);
}

TEST_CASE("sessionize: whoever is still there is closed at meeting-ended", "[sessionize]") {
    std::vector<StoredEvent> events = {join(1000, "w_a", "1"), join(2000, "w_b", "2"),
                                       ev(10000, EventKind::meeting_ended)};
    auto r = sessionize(events, k_now);
    CHECK(r.end == EndReason::ended);
    CHECK(r.ended == 10000);
    for (const auto& iv : r.intervals) {
        CHECK(iv.left == 10000);
        CHECK(iv.closed_by == ClosedBy::meeting_ended);
    }
    CHECK(of(r, "1").online_ms == 9000);
}

TEST_CASE("sessionize: spoofed user-left events a millisecond after the end close at the end", "[sessionize]") {
    // bbb-webhooks sends them before meeting-ended, with a later ts (bbb-webhooks.md §5.5).
    auto spoofed = left(10002, "w_a");
    spoofed.name = "Ann";
    spoofed.role = "MODERATOR";
    std::vector<StoredEvent> events = {join(1000, "w_a", "1", "Ann", "MODERATOR"), spoofed,
                                       ev(10000, EventKind::meeting_ended)};
    auto r = sessionize(events, k_now);
    REQUIRE(r.intervals.size() == 1);
    CHECK(r.intervals[0].left == 10000);
    CHECK(r.intervals[0].closed_by == ClosedBy::meeting_ended);
    CHECK(of(r, "1").online_ms == 9000);
    require_order_independent(events);
}

TEST_CASE("sessionize: a meeting that never ends stays open, then is closed as inferred when idle", "[sessionize]") {
    std::vector<StoredEvent> events = {join(1000, "w_a", "1"), join(2000, "w_b", "2"), left(5000, "w_b"),
                                       with(ev(7000, EventKind::raise_hand, "w_a"), 1)};
    MeetingContext soon{7000 + k_hour, 6 * k_hour, false};
    auto running = sessionize(events, soon);
    CHECK(running.end == EndReason::running);
    CHECK_FALSE(of(running, "1").last_leave);
    CHECK(of(running, "1").online_ms == 6000); // counted up to the last activity
    auto open = std::ranges::find(running.intervals, std::string("w_a"), &Interval::connection);
    CHECK(open->closed_by == ClosedBy::open);

    MeetingContext later{7000 + 6 * k_hour, 6 * k_hour, false};
    auto idle = sessionize(events, later);
    CHECK(idle.end == EndReason::inferred);
    CHECK(idle.ended == 7000);
    auto closed = std::ranges::find(idle.intervals, std::string("w_a"), &Interval::connection);
    CHECK(closed->left == 7000);
    CHECK(closed->closed_by == ClosedBy::inferred);
    CHECK(of(idle, "2").last_leave == 5000); // a real leave stays a leave
}

TEST_CASE("sessionize: a new session of the same room closes the old one as inferred", "[sessionize]") {
    std::vector<StoredEvent> events = {join(1000, "w_a", "1"), left(3000, "w_a"), join(4000, "w_b", "2")};
    MeetingContext ctx{5000, 6 * k_hour, true};
    auto r = sessionize(events, ctx);
    CHECK(r.end == EndReason::inferred);
    auto b = std::ranges::find(r.intervals, std::string("w_b"), &Interval::connection);
    CHECK(b->left == 4000);
    CHECK(b->closed_by == ClosedBy::inferred);
}

TEST_CASE("sessionize: duplicates count once and arrival order does not matter", "[sessionize]") {
    std::vector<StoredEvent> events = {
        ev(500, EventKind::meeting_created),
        join(1000, "w_a", "1"),
        join(1000, "w_a", "1"),
        with(ev(2000, EventKind::chat_message, "w_a"), -1, "msg-1"),
        with(ev(2000, EventKind::chat_message, "w_a"), -1, "msg-1"),
        with(ev(2500, EventKind::voice_enabled, "w_a"), 1),
        with(ev(2500, EventKind::voice_enabled, "w_a"), 1),
        ev(4500, EventKind::audio_muted, "w_a"),
        left(6000, "w_a"),
        left(6000, "w_a"),
        ev(9000, EventKind::meeting_ended),
    };
    auto r = sessionize(events, k_now);
    CHECK(r.distinct_events == 7);
    const auto& a = of(r, "1");
    CHECK(a.joins == 1);
    CHECK(a.chat_messages == 1);
    CHECK(a.talk_ms == 2000);
    CHECK(a.online_ms == 5000);
    require_order_independent(events);
}

TEST_CASE("sessionize: a meeting never seen created still counts", "[sessionize]") {
    std::vector<StoredEvent> events = {join(1000, "w_a", "1"), left(4000, "w_a")};
    auto r = sessionize(events, k_now);
    CHECK(of(r, "1").online_ms == 3000);
    CHECK(r.first_event == 1000);
}

TEST_CASE("sessionize: guests and anonymous users are a person per connection", "[sessionize]") {
    auto guest = join(1000, "w_g1", "w_g1", "Gus Guest");
    guest.guest = 1;
    std::vector<StoredEvent> events = {guest, join(1500, "w_anon", "", "Anon"), left(3000, "w_g1"),
                                       left(3500, "w_anon")};
    auto r = sessionize(events, k_now);
    REQUIRE(r.people.size() == 2);
    auto g = std::ranges::find(r.people, std::string("w_g1"), &Person::key);
    REQUIRE(g != r.people.end());
    CHECK(g->guest);
    CHECK(g->external_id.empty());
    auto anon = std::ranges::find(r.people, std::string("w_anon"), &Person::key);
    REQUIRE(anon != r.people.end());
    CHECK_FALSE(anon->guest);
}

TEST_CASE("sessionize: the role of the latest join counts, and there is one presenter at a time", "[sessionize]") {
    std::vector<StoredEvent> events = {
        join(1000, "w_t", "2", "Tina", "MODERATOR"),
        join(1000, "w_s1", "57", "Sam", "VIEWER"),
        ev(2000, EventKind::presenter_assigned, "w_t"),
        ev(5000, EventKind::presenter_assigned, "w_s1"),
        left(6000, "w_s1"),
        join(7000, "w_s2", "57", "Sam", "MODERATOR"), // promoted, then rejoined
        ev(8000, EventKind::presenter_assigned, "w_t"),
        ev(9000, EventKind::presenter_unassigned, "w_t"),
        ev(10000, EventKind::meeting_ended),
    };
    auto r = sessionize(events, k_now);
    CHECK(of(r, "57").role == "MODERATOR");
    CHECK(of(r, "57").presenter_ms == 1000);       // 5000..6000 (left)
    CHECK(of(r, "2").presenter_ms == 3000 + 1000); // 2000..5000 and 8000..9000
    require_order_independent(events);
}

TEST_CASE("sessionize: webcam, raise hands, reactions and poll votes", "[sessionize]") {
    std::vector<StoredEvent> events = {
        join(1000, "w_a", "1"),
        with(ev(2000, EventKind::cam_started, "w_a"), -1, "s1"),
        with(ev(3000, EventKind::cam_started, "w_a"), -1, "s2"),
        with(ev(4000, EventKind::cam_stopped, "w_a"), -1, "s1"),
        with(ev(5000, EventKind::cam_stopped, "w_a"), -1, "s2"),
        with(ev(2100, EventKind::raise_hand, "w_a"), 1),
        with(ev(2200, EventKind::raise_hand, "w_a"), 1),
        with(ev(2300, EventKind::raise_hand, "w_a"), 0),
        with(ev(2400, EventKind::raise_hand, "w_a"), 1),
        with(ev(2500, EventKind::emoji, "w_a"), -1, "🙁"),
        with(ev(2600, EventKind::emoji, "w_a"), -1, "none"),
        with(ev(2700, EventKind::emoji, "w_a"), -1, "👍"),
        with(ev(2800, EventKind::emoji, "w_a"), -1, "raiseHand"),
        with(ev(2900, EventKind::poll_responded, "w_a"), -1, "poll-1"),
        with(ev(2950, EventKind::poll_responded, "w_a"), -1, "poll-1"),
        with(ev(2990, EventKind::poll_responded, "w_a"), -1, "poll-2"),
        left(9000, "w_a"),
    };
    auto r = sessionize(events, k_now);
    const auto& a = of(r, "1");
    CHECK(a.webcam_ms == 3000); // 2000..5000 with at least one stream
    CHECK(a.raise_hands == 2);
    CHECK(a.reactions == 2);
    CHECK(a.poll_votes == 2);
}

TEST_CASE("sessionize: raw events count only in meetings without mapped ones", "[sessionize]") {
    auto raw = [](StoredEvent e) {
        e.raw = true;
        e.ts -= 1'000'000; // another clock
        return e;
    };
    std::vector<StoredEvent> mapped = {join(2'000'000, "w_a", "1"), left(2'005'000, "w_a")};
    std::vector<StoredEvent> both = mapped;
    both.push_back(raw(join(2'000'000, "w_a", "1")));
    both.push_back(raw(left(2'009'000, "w_a")));
    auto r = sessionize(both, k_now);
    REQUIRE(r.intervals.size() == 1);
    CHECK(of(r, "1").online_ms == 5000);
    std::vector<StoredEvent> only_raw = {raw(join(2'000'000, "w_a", "1")), raw(left(2'009'000, "w_a"))};
    CHECK(of(sessionize(only_raw, k_now), "1").online_ms == 9000);
}

TEST_CASE("sessionize: events round-trip through their stored encoding", "[sessionize]") {
    auto e = join(1795551040038, "w_t1tina2moodle", "2", "Γιώργος Παπαδόπουλος", "MODERATOR");
    e.presenter = 1;
    auto again = left(1795551042179, "w_t1tina2moodle");
    again.name = e.name; // the same strings again: references to the first
    std::vector<StoredEvent> events = {e,
                                       with(ev(-5, EventKind::emoji, "w_x"), 0, "🙁"),
                                       ev(0, EventKind::meeting_ended),
                                       again,
                                       ev(INT64_MAX, EventKind::other),
                                       ev(INT64_MIN, EventKind::other)};
    std::string bytes;
    encode_events(bytes, events);
    auto back = decode_events(bytes);
    REQUIRE(back);
    CHECK(*back == events);
    // Encoding from an index keeps only the events after it.
    std::string tail;
    encode_events(tail, events, 3);
    CHECK(decode_events(tail) == std::vector<StoredEvent>(events.begin() + 3, events.end()));
    // Damage is refused, never read as other events.
    for (size_t cut = 1; cut < bytes.size(); ++cut)
        CHECK_FALSE(decode_events(bytes.substr(0, bytes.size() - cut)));
    CHECK_FALSE(decode_events(bytes, 7)); // a format this bbbhook does not know
}

TEST_CASE("sessionize: chunks of format 1 (schema 2) are still read, and format 2 is smaller", "[sessionize]") {
    std::vector<StoredEvent> events;
    for (int i = 0; i < 100; ++i) {
        auto id = fmt::format("w_user{}", i % 10);
        events.push_back(i % 10 == 0 ? join(1795551040000 + 1000 * i, id, std::to_string(i % 10), "Αλέξανδρος Ζαχαρίου")
                                     : with(ev(1795551040000 + 1000 * i, EventKind::raise_hand, id), i % 2, ""));
    }
    auto old = test::encode_events_format1(events);
    auto back = decode_events(old, 1);
    REQUIRE(back);
    CHECK(*back == events);
    CHECK_FALSE(decode_events(old.substr(0, old.size() - 1), 1));
    std::string now;
    encode_events(now, events);
    CHECK(decode_events(now) == events);
    CHECK(now.size() * 2 < old.size());
}

TEST_CASE("sessionize: outputs are in the order of their keys, and ids count once per person", "[sessionize]") {
    auto guest = join(1200, "w_c", "w_c", "Cy");
    guest.guest = 1;
    std::vector<StoredEvent> events = {
        ev(500, EventKind::meeting_created),
        join(1000, "w_b", "9", "Bea"),
        join(1100, "w_a", "10", "Al"),
        guest,
        join(1300, "w_d", "", "Di"), // anonymous: a person per connection
        left(2000, "w_a"),
        join(3000, "w_a", "10", "Al"),                              // the same connection again
        with(ev(4000, EventKind::chat_message, "w_b"), -1, ""),     // no id: its time is its id...
        with(ev(4500, EventKind::chat_message, "w_b"), -1, "4000"), // ...so this is the same message
        with(ev(4600, EventKind::chat_message, "w_b"), -1, "m2"),
        join(5000, "w_b2", "9", "Bea"),                            // a second tab
        with(ev(5100, EventKind::chat_message, "w_b2"), -1, "m2"), // the same message, seen twice
        with(ev(5200, EventKind::poll_responded, "w_b"), -1, "p1"),
        with(ev(5300, EventKind::poll_responded, "w_b2"), -1, "p1"),
        with(ev(5400, EventKind::poll_responded, "w_b2"), -1, "p2"),
        with(ev(6000, EventKind::chat_message, "w_x"), -1, "m9"), // never joined: counts for no one
        ev(10000, EventKind::meeting_ended),
    };
    auto check = [](const MeetingResult& r) {
        std::vector<std::tuple<std::string, int64_t, std::string>> intervals; // connection, joined, person
        for (const auto& iv : r.intervals) {
            REQUIRE(iv.person < r.people.size());
            intervals.emplace_back(iv.connection, iv.joined, r.people[iv.person].key);
        }
        CHECK(intervals == std::vector<std::tuple<std::string, int64_t, std::string>>{{"w_a", 1100, "10"},
                                                                                      {"w_a", 3000, "10"},
                                                                                      {"w_b", 1000, "9"},
                                                                                      {"w_b2", 5000, "9"},
                                                                                      {"w_c", 1200, "w_c"},
                                                                                      {"w_d", 1300, "w_d"}});
        std::vector<std::string> people;
        for (const auto& p : r.people)
            people.push_back(p.key);
        CHECK(people == std::vector<std::string>{"10", "9", "w_c", "w_d"}); // as strings
        CHECK(r.attendance.size() == people.size());
        const auto& bea = of(r, "9");
        CHECK(bea.chat_messages == 2);
        CHECK(bea.poll_votes == 2);
        CHECK(bea.joins == 2);
        CHECK(bea.online_ms == 9000);
        const auto& al = of(r, "10");
        CHECK(al.joins == 2);
        CHECK(al.online_ms == 900 + 7000);
        CHECK(al.last_leave == 10000);
        CHECK(r.people[2].guest);
        CHECK(r.people[2].external_id.empty());
    };
    check(sessionize(events, k_now));
    std::mt19937 rng(7);
    for (int i = 0; i < 10; ++i) {
        std::shuffle(events.begin(), events.end(), rng);
        check(sessionize(events, k_now));
    }
}

TEST_CASE("sessionize: of two names seen at the same time, the later interval's is the person's", "[sessionize]") {
    // Both tabs join at once: w_p's interval opens first (same time, ids in order), then w_q's.
    std::vector<StoredEvent> events = {join(1000, "w_q", "5", "Aaron"), join(1000, "w_p", "5", "Pat"),
                                       ev(2000, EventKind::meeting_ended)};
    auto r = sessionize(events, k_now);
    REQUIRE(r.people.size() == 1);
    CHECK(r.people[0].name == "Aaron");
    CHECK(of(r, "5").name == "Aaron");
    CHECK(of(r, "5").online_ms == 1000);
}
