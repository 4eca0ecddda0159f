// bbb/events: decoding callback bodies (mapped, raw, legacy v2) into events.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "bbbhook/bbb/events.hpp"
#include "support/support.hpp"

using namespace bbbhook;
using bbb::EventKind;

namespace {
const auto k_callbacks = test::fixtures_dir() / "bbb-webhooks" / "captured" / "callbacks";

std::vector<bbb::Event> events_of(const std::string& pattern, const std::string& scenario = "checksum-sha1") {
    std::vector<bbb::Event> out;
    for (const auto& c : test::load_captures(k_callbacks / scenario)) {
        if (c.target.find(pattern) == std::string::npos) continue;
        auto cb = bbb::decode_callback(c.body);
        REQUIRE(cb);
        out.insert(out.end(), cb->events.begin(), cb->events.end());
    }
    return out;
}

std::string form(std::string_view event_json, std::string_view tail = "&timestamp=1") {
    std::string enc;
    for (unsigned char ch : event_json) {
        if (std::isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '*')
            enc += static_cast<char>(ch);
        else
            enc += fmt::format("%{:02X}", ch);
    }
    return fmt::format("domain=bbb.example.test&event={}{}", enc, tail);
}
} // namespace

TEST_CASE("every captured mapped callback decodes to a known event with its fields", "[events][fixtures]") {
    auto events = events_of("/hooks/global-mapped");
    REQUIRE(events.size() == 34);
    for (const auto& e : events) {
        INFO(e.id);
        CHECK_FALSE(e.raw);
        CHECK(e.kind != EventKind::unknown);
        CHECK_FALSE(e.meeting_id.empty());
        CHECK(e.ts > 0);
    }
    const auto& created = events[24]; // the Moodle meeting
    REQUIRE(created.kind == EventKind::meeting_created);
    REQUIRE(created.meeting);
    CHECK(created.meeting->name == "Physics 101 - Lecture 3");
    CHECK(created.meeting->moodle_course_id == "42");
    CHECK(created.meeting->moodle_site == "moodle.example.test");
    CHECK(created.meeting->create_time == 1795551035614);
    CHECK_FALSE(created.meeting->is_breakout);
    CHECK(created.meeting->parent_id.empty()); // "bbb-none"
    CHECK(created.meeting_ext_id == "5b2f7e0c9d4a1b3c8e6f0a2d4c6b8a0e1f3d5c7b-42-7[0]");

    const auto& tina = events[25];
    CHECK(tina.kind == EventKind::user_joined);
    CHECK(tina.user_id == "w_t1tina2moodle");
    CHECK(tina.user_ext_id == "2");
    CHECK(tina.name == "Tina Teacher");
    CHECK(tina.role == "MODERATOR");
    CHECK(tina.guest == 0);

    auto chat = std::ranges::find_if(events, [](const bbb::Event& e) { return e.kind == EventKind::chat_message; });
    REQUIRE(chat != events.end());
    CHECK(chat->user_id == "w_xfsb9gxtlfom"); // the sender
    CHECK(chat->extra == "1698771232706-9idm9pxf");

    auto rap =
        std::ranges::find_if(events, [](const bbb::Event& e) { return e.kind == EventKind::recording_archived; });
    REQUIRE(rap != events.end());
    CHECK(rap->ts == 1795551098000); // seconds, converted to ms
    CHECK(rap->flag == 1);
}

TEST_CASE("raw callbacks decode to the same facts under akka-apps names", "[events][fixtures]") {
    auto events = events_of("/hooks/global-raw");
    REQUIRE_FALSE(events.empty());
    auto count = [&](EventKind k) {
        return std::ranges::count_if(events, [k](const bbb::Event& e) { return e.kind == k; });
    };
    CHECK(count(EventKind::meeting_created) == 2);
    CHECK(count(EventKind::user_joined) == 5);
    CHECK(count(EventKind::meeting_ended) == 2);
    // A raw hook also gets bbb-webhooks' spoofed user-left events, in mapped form (§5.5).
    auto mapped = std::ranges::count_if(events, [](const bbb::Event& e) { return !e.raw; });
    CHECK(mapped == 2);
    for (const auto& e : events)
        if (!e.raw) CHECK((e.kind == EventKind::user_left && !e.name.empty()));
    auto joined = std::ranges::find_if(events, [](const bbb::Event& e) { return e.kind == EventKind::user_joined; });
    CHECK(joined->raw);
    CHECK(joined->name == "John Doe");
    CHECK(joined->user_ext_id == "w_xfsb9gxtlfom");
    auto vote = std::ranges::find_if(events, [](const bbb::Event& e) { return e.kind == EventKind::poll_responded; });
    REQUIRE(vote != events.end());
    CHECK(vote->user_id == "w_uxw0dzhtvk0l"); // raw names the responder
}

TEST_CASE("legacy v2 bodies (other key order, several events) decode", "[events]") {
    std::string events =
        R"([{"data":{"type":"event","id":"user-joined","attributes":{"meeting":{"internal-meeting-id":"m1"},"user":{"internal-user-id":"w_1","external-user-id":"7"}},"event":{"ts":5}}},{"data":{"type":"event","id":"user-left","attributes":{"meeting":{"internal-meeting-id":"m1"},"user":{"internal-user-id":"w_1"}},"event":{"ts":9}}}])";
    std::string body = form(events, "");
    body = body.substr(body.find("&event=") + 1) + "&timestamp=11&domain=old.example.org"; // event, timestamp, domain
    auto cb = bbb::decode_callback(body);
    REQUIRE(cb);
    CHECK(cb->domain == "old.example.org");
    CHECK(cb->timestamp == 11);
    REQUIRE(cb->events.size() == 2);
    CHECK(cb->events[0].kind == EventKind::user_joined);
    CHECK(cb->events[1].kind == EventKind::user_left);
    CHECK(cb->events[1].ts == 9);
}

TEST_CASE("a user's fields: numbers as text, the first of a repeated field, absent or mistyped ones empty",
          "[events]") {
    auto decode_user = [](std::string_view user_json) {
        auto cb = bbb::decode_callback(form(fmt::format(
            R"([{{"data":{{"id":"user-joined","attributes":{{"meeting":{{"internal-meeting-id":"m1"}},"user":{}}},"event":{{"ts":5}}}}}}])",
            user_json)));
        REQUIRE(cb);
        REQUIRE(cb->events.size() == 1);
        return cb->events[0];
    };
    auto e = decode_user(R"({"internal-user-id":"w_1","external-user-id":158,"name":"Ana","name":"Other",)"
                         R"("role":"VIEWER","guest":true,"presenter":false,"extra":[1,2]})");
    CHECK(e.user_id == "w_1");
    CHECK(e.user_ext_id == "158");
    CHECK(e.name == "Ana");
    CHECK(e.role == "VIEWER");
    CHECK(e.guest == 1);
    CHECK(e.presenter == 0);
    e = decode_user(R"({"presenter":"yes","name":null,"internal-user-id":"w_2"})");
    CHECK(e.user_id == "w_2");
    CHECK(e.user_ext_id.empty());
    CHECK(e.name.empty());
    CHECK(e.guest == -1);
    CHECK(e.presenter == -1);
    e = decode_user(R"("w_3")");
    CHECK(e.user_id.empty());
    CHECK(e.guest == -1);
}

TEST_CASE("unknown ids decode as unknown, malformed bodies fail with a reason", "[events]") {
    auto cb = bbb::decode_callback(form(R"([{"data":{"id":"meeting-teleported","event":{"ts":1}}}])"));
    REQUIRE(cb);
    REQUIRE(cb->events.size() == 1);
    CHECK(cb->events[0].kind == EventKind::unknown);
    CHECK(cb->events[0].id == "meeting-teleported");

    CHECK(bbb::decode_callback("domain=x&timestamp=1").error() == "the form has no 'event' field");
    CHECK(bbb::decode_callback("event=%zz").error().starts_with("malformed form"));
    CHECK(bbb::decode_callback(form("[{")).error() == "the 'event' field is not valid JSON");
    CHECK(bbb::decode_callback(form("42")).error() == "the 'event' field is not a JSON array");
    // Elements that are not events are skipped, not fatal.
    auto odd = bbb::decode_callback(form(R"([1,"x",{"data":{"id":"user-joined"}}])"));
    REQUIRE(odd);
    CHECK(odd->events.size() == 1);
}

TEST_CASE("null nodes read as absent ones: a numeric id is unknown, rap times in seconds", "[events]") {
    auto cb = bbb::decode_callback(form(R"([{"data":{"id":42,"event":{"ts":1}}},)"
                                        R"({"data":{"id":"rap-archive-ended","attributes":null,"event":{"ts":7}}},)"
                                        R"({"data":{"id":"user-audio-voice-enabled","attributes":{"meeting":null,)"
                                        R"("user":null},"event":null}},{"data":null},)"
                                        R"({"data":{"id":null,"event":{"ts":1}}}])"));
    REQUIRE(cb);
    REQUIRE(cb->events.size() == 3);
    CHECK(cb->events[0].id == "42");
    CHECK(cb->events[0].kind == EventKind::unknown);
    CHECK(cb->events[1].kind == EventKind::recording_archived);
    CHECK(cb->events[1].ts == 7000);
    CHECK(cb->events[1].flag == -1);
    const bbb::Event& voice = cb->events[2];
    CHECK(voice.kind == EventKind::voice_enabled);
    CHECK(voice.ts == 0);
    CHECK(voice.meeting_id.empty());
    CHECK(voice.user_id.empty());
    CHECK(voice.flag == -1); // no user: nothing said about the microphone
}
