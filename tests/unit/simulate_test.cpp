// simulate: the traffic generator. Its output must look exactly like bbb-webhooks' (compared with
// the captured fixtures), be deterministic, and contain every situation it promises.
#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "bbbhook/simulate/generator.hpp"
#include "bbbhook/simulate/simulate.hpp"
#include "bbbhook/util/form.hpp"
#include "bbbhook/util/hash.hpp"
#include "support/support.hpp"

using namespace bbbhook;
using namespace bbbhook::simulate;
using Json = nlohmann::ordered_json; // keeps key order, which bbb-webhooks fixes

namespace {

// One delivery, decoded.
struct Decoded {
    int64_t received = 0;
    std::string server, body, domain, event_text;
    int64_t timestamp = 0; // the form field
    Json event;            // the one element of the event array
    std::string id() const { return event["data"]["id"].get<std::string>(); }
    int64_t ts() const { return event["data"]["event"]["ts"].get<int64_t>(); }
    const Json& attrs() const { return event["data"]["attributes"]; }
    std::string meeting() const { return attrs()["meeting"]["internal-meeting-id"].get<std::string>(); }
    bool has_user() const { return attrs().contains("user"); }
    const Json& user() const { return attrs()["user"]; }
    bool spoofed_left() const { return id() == "user-left" && user().contains("name"); }
};

Decoded decode(const SimulatedCallback& cb) {
    Decoded d;
    d.received = cb.received_ms;
    d.server = cb.server;
    d.body = cb.body;
    auto fields = util::parse_form(cb.body);
    REQUIRE(fields);
    REQUIRE(fields->size() == 3);
    CHECK((*fields)[0].name == "domain");
    CHECK((*fields)[1].name == "event");
    CHECK((*fields)[2].name == "timestamp");
    d.domain = (*fields)[0].value;
    d.event_text = (*fields)[1].value;
    d.timestamp = std::stoll((*fields)[2].value);
    auto array = Json::parse(d.event_text);
    REQUIRE(array.is_array());
    REQUIRE(array.size() == 1);
    d.event = array[0];
    return d;
}

std::vector<Decoded> decode_all(const std::vector<SimulatedCallback>& cbs) {
    std::vector<Decoded> out;
    out.reserve(cbs.size());
    for (const auto& cb : cbs)
        out.push_back(decode(cb));
    return out;
}

GeneratorOptions small(uint64_t seed = 7) {
    GeneratorOptions o;
    o.seed = seed;
    o.meetings = 12;
    return o;
}

// Without duplicates, each event once, in arrival order.
std::vector<Decoded> first_deliveries(const std::vector<Decoded>& all) {
    std::set<std::string> seen;
    std::vector<Decoded> out;
    for (const auto& d : all)
        if (seen.insert(d.body).second) out.push_back(d);
    return out;
}

// The structure of a JSON value: key order and value types, not values. Metadata is free-form.
std::string shape(const Json& j, std::string_view key = {}) {
    if (key == "metadata") return "meta";
    if (j.is_object()) {
        std::string s = "{";
        for (const auto& [k, v] : j.items())
            s += k + ":" + shape(v, k) + ",";
        return s + "}";
    }
    if (j.is_array()) return "[" + (j.empty() ? std::string() : shape(j[0])) + "]";
    if (j.is_string()) return "s";
    if (j.is_boolean()) return "b";
    if (j.is_number()) return "n";
    return "?";
}

// Event id -> the shapes seen in the real captured callbacks of the global mapped hook.
std::map<std::string, std::set<std::string>> fixture_shapes() {
    std::map<std::string, std::set<std::string>> out;
    auto dir = test::fixtures_dir() / "bbb-webhooks" / "captured" / "callbacks" / "checksum-sha1";
    for (const auto& c : test::load_captures(dir)) {
        if (c.file.filename().string().find("hooks-global-mapped") == std::string::npos) continue;
        SimulatedCallback cb{0, "bbb.example.test", 1, c.body};
        auto d = decode(cb);
        out[d.id()].insert(shape(d.event));
    }
    return out;
}

// Code points of a UTF-8 string (assumed valid: nlohmann::json checked it).
std::vector<char32_t> code_points(std::string_view s) {
    std::vector<char32_t> out;
    for (size_t i = 0; i < s.size();) {
        auto c = static_cast<unsigned char>(s[i]);
        int n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        char32_t cp = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
        for (int k = 1; k < n && i + static_cast<size_t>(k) < s.size(); ++k)
            cp = (cp << 6) | (static_cast<unsigned char>(s[i + static_cast<size_t>(k)]) & 0x3F);
        out.push_back(cp);
        i += static_cast<size_t>(n);
    }
    return out;
}

} // namespace

TEST_CASE("simulate: the same seed gives byte-identical traffic, another seed other traffic", "[simulate]") {
    auto a = generate_all(small(7));
    auto b = generate_all(small(7));
    auto c = generate_all(small(8));
    REQUIRE(a.size() > 500);
    REQUIRE(a.size() == b.size());
    for (size_t i = 0; i < a.size(); ++i) {
        INFO(i);
        REQUIRE(a[i].body == b[i].body);
        REQUIRE(a[i].received_ms == b[i].received_ms);
        REQUIRE(a[i].server == b[i].server);
    }
    bool differs = a.size() != c.size();
    for (size_t i = 0; !differs && i < a.size(); ++i)
        differs = a[i].body != c[i].body;
    CHECK(differs);
}

TEST_CASE("simulate: the stream is a prefix-stable function of the options", "[simulate]") {
    // Streaming and collecting give the same result, and the summary adds up.
    GeneratorOptions o = small(3);
    Summary summary;
    auto all = generate_all(o, &summary);
    Generator g(o);
    size_t n = 0;
    while (auto cb = g.next()) {
        REQUIRE(n < all.size());
        CHECK(cb->body == all[n].body);
        ++n;
    }
    CHECK(n == all.size());
    CHECK(summary.callbacks == all.size());
    CHECK(summary.meetings == 12);
    uint64_t events = 0;
    for (const auto& [id, count] : summary.events)
        events += count;
    CHECK(events + summary.duplicates == summary.callbacks);
    CHECK(summary.events["user-joined"] == summary.connections);
}

TEST_CASE("simulate: every body has the encoding and the shape of real bbb-webhooks callbacks", "[simulate]") {
    GeneratorOptions o = small(11);
    o.meetings = 30;
    o.breakouts = 0.5;
    o.recorded = 1.0;
    auto all = decode_all(generate_all(o));
    auto fixtures = fixture_shapes();
    REQUIRE(fixtures.size() > 15);
    // Events the captures lack have the shape of their siblings.
    const std::map<std::string, std::string> sibling = {{"user-presenter-unassigned", "user-presenter-assigned"},
                                                        {"meeting-recording-started", "meeting-ended"},
                                                        {"meeting-recording-stopped", "meeting-ended"}};
    const std::regex form_chars("^[A-Za-z0-9*._%+&=-]+$");
    std::set<std::string> ids;
    int64_t last_received = 0;
    for (const auto& d : all) {
        INFO(d.event_text);
        ids.insert(d.id());
        // URLSearchParams: re-encoding the decoded fields gives the body back, byte for byte.
        std::string again = "domain=";
        append_form_encoded(again, d.domain);
        again += "&event=";
        append_form_encoded(again, d.event_text);
        again += "&timestamp=" + std::to_string(d.timestamp);
        CHECK(again == d.body);
        CHECK(std::regex_match(d.body, form_chars));
        CHECK(d.domain == d.server);
        CHECK(std::regex_match(d.server, std::regex(R"(bbb[1-3]\.example\.org)")));
        // Key order of the fixtures: data.type, data.id, data.attributes, data.event.ts.
        std::string id = sibling.contains(d.id()) ? sibling.at(d.id()) : d.id();
        REQUIRE(fixtures.contains(id));
        CHECK(fixtures[id].contains(shape(d.event)));
        // Arrival order; ts <= form timestamp <= arrival.
        CHECK(d.received >= last_received);
        last_received = d.received;
        int64_t ts_ms = d.id().starts_with("rap-") ? d.ts() * 1000 : d.ts();
        CHECK(ts_ms <= d.timestamp);
        CHECK(d.timestamp < d.received);
        if (!d.id().starts_with("rap-")) CHECK(d.timestamp - d.ts() <= 4);
    }
    for (const auto& [id, shapes] : fixtures)
        CHECK(ids.contains(id));
}

TEST_CASE("simulate: spoofed user-left events arrive just before meeting-ended, ts 1-2 ms after it", "[simulate]") {
    GeneratorOptions o = small(5);
    o.meetings = 30;
    o.reorder = 0; // a retried spoofed user-left would arrive after meeting-ended, as in reality
    o.duplicates = 0;
    auto all = decode_all(generate_all(o));
    size_t groups = 0;
    std::map<std::string, size_t> spoofed_per_meeting, spoofed_before_end;
    for (const auto& d : all)
        if (d.spoofed_left()) ++spoofed_per_meeting[d.meeting()];
    for (size_t i = 0; i < all.size(); ++i) {
        if (all[i].id() != "meeting-ended") continue;
        const auto& ended = all[i];
        size_t n = 0;
        for (size_t j = i; j-- > 0 && all[j].spoofed_left() && all[j].meeting() == ended.meeting();) {
            INFO(all[j].event_text);
            CHECK((all[j].ts() - ended.ts() == 1 || all[j].ts() - ended.ts() == 2));
            CHECK(all[j].timestamp == ended.timestamp); // one form timestamp for the whole group
            // The full stored user object.
            CHECK(all[j].user().contains("role"));
            CHECK(all[j].user().contains("presenter"));
            CHECK(all[j].user().contains("guest"));
            ++n;
        }
        spoofed_before_end[ended.meeting()] = n;
        groups += n > 0;
    }
    CHECK(groups > 10);
    for (const auto& [meeting, n] : spoofed_per_meeting) {
        INFO(meeting);
        CHECK(spoofed_before_end[meeting] == n);
    }
}

TEST_CASE("simulate: breakout rooms belong to a running parent and end before it", "[simulate]") {
    GeneratorOptions o = small(9);
    o.breakouts = 1.0;
    o.crashed = 0;
    auto all = first_deliveries(decode_all(generate_all(o)));
    std::map<std::string, Json> created;                   // internal id -> meeting attribute
    std::map<std::string, int64_t> ended;                  // internal id -> meeting-ended ts
    std::map<std::string, std::set<std::string>> user_ids; // meeting -> internal user ids
    for (const auto& d : all) {
        if (d.id() == "meeting-created") created[d.meeting()] = d.attrs()["meeting"];
        if (d.id() == "meeting-ended") ended[d.meeting()] = d.ts();
        if (d.id() == "user-joined") user_ids[d.meeting()].insert(d.user()["internal-user-id"].get<std::string>());
    }
    size_t breakouts = 0;
    for (const auto& [iid, m] : created) {
        if (!m["is-breakout"].get<bool>()) {
            CHECK(m["parent-id"] == "bbb-none");
            continue;
        }
        ++breakouts;
        INFO(m.dump());
        std::string parent = m["parent-id"].get<std::string>();
        REQUIRE(created.contains(parent));
        CHECK_FALSE(created[parent]["is-breakout"].get<bool>());
        CHECK(m["create-time"].get<int64_t>() > created[parent]["create-time"].get<int64_t>());
        CHECK(m["metadata"] == created[parent]["metadata"]); // BBB copies the parent's metadata
        // BBB: internal id = sha1(external id)-<create time>.
        std::string ext = m["external-meeting-id"].get<std::string>();
        CHECK(iid ==
              util::hex_digest(util::HashAlg::sha1, ext) + "-" + std::to_string(m["create-time"].get<int64_t>()));
        REQUIRE(ended.contains(iid));
        REQUIRE(ended.contains(parent));
        CHECK(ended[iid] < ended[parent]);
        // Participants join with userID <parent internal user id>-<room number>, as moderators.
        for (const auto& d : all) {
            if (d.id() != "user-joined" || d.meeting() != iid) continue;
            std::string eid = d.user()["external-user-id"].get<std::string>();
            auto dash = eid.rfind('-');
            REQUIRE(dash != std::string::npos);
            CHECK(user_ids[parent].contains(eid.substr(0, dash)));
            CHECK(d.user()["role"] == "MODERATOR");
        }
    }
    CHECK(breakouts >= 12);
}

TEST_CASE("simulate: Moodle meetings carry Moodle's ids and metadata, people keep their ids", "[simulate]") {
    GeneratorOptions o = small(13);
    o.meetings = 40;
    auto all = first_deliveries(decode_all(generate_all(o)));
    const std::vector<std::string> moodle_keys = {"bbb-origin",
                                                  "bbb-origin-version",
                                                  "bbb-origin-server-name",
                                                  "bbb-origin-server-common-name",
                                                  "bbb-origin-tag",
                                                  "bbb-context",
                                                  "bbb-context-id",
                                                  "bbb-context-name",
                                                  "bbb-context-label",
                                                  "bbb-recording-name",
                                                  "bbb-recording-description",
                                                  "bbb-recording-tags",
                                                  "bbb-meeting-size-hint"};
    const std::regex moodle_id(R"(([0-9a-f]{40})-(\d+)-(\d+)\[(\d+)\])");
    size_t moodle = 0, other = 0;
    std::map<std::string, std::set<std::string>> sessions; // external meeting id -> internal ids
    std::set<std::string> breakout_meetings;
    std::map<std::string, std::string> site; // meeting -> the front end that created it
    for (const auto& d : all) {
        if (d.id() != "meeting-created") continue;
        const auto& m = d.attrs()["meeting"];
        site[d.meeting()] = m["metadata"]["bbb-origin-server-name"].get<std::string>();
        if (m["is-breakout"].get<bool>()) {
            breakout_meetings.insert(d.meeting());
            continue;
        }
        std::string ext = m["external-meeting-id"].get<std::string>();
        sessions[ext].insert(d.meeting());
        CHECK(d.meeting() ==
              util::hex_digest(util::HashAlg::sha1, ext) + "-" + std::to_string(m["create-time"].get<int64_t>()));
        if (m["metadata"]["bbb-origin"] != "Moodle") {
            ++other;
            CHECK_FALSE(m["metadata"].contains("bbb-context-id"));
            continue;
        }
        ++moodle;
        std::vector<std::string> keys;
        for (const auto& [k, v] : m["metadata"].items()) {
            keys.push_back(k);
            CHECK(v.is_string());
        }
        CHECK(keys == moodle_keys);
        std::smatch match;
        REQUIRE(std::regex_match(ext, match, moodle_id));
        CHECK(m["metadata"]["bbb-context-id"] == match[2].str()); // the course id
    }
    CHECK(moodle > other);
    CHECK(other > 0);
    // Some rooms were used again on another day: same external id, another internal id.
    size_t reused = 0;
    for (const auto& [ext, ids] : sessions)
        reused += ids.size() > 1;
    CHECK(reused > 0);

    // A person has one name on their site; guests and anonymous users have external id = internal id.
    std::map<std::pair<std::string, std::string>, std::string> names;
    size_t guests = 0;
    for (const auto& d : all) {
        if (d.id() != "user-joined" || breakout_meetings.contains(d.meeting())) continue;
        const auto& u = d.user();
        std::string iid = u["internal-user-id"].get<std::string>(), eid = u["external-user-id"].get<std::string>();
        CHECK(std::regex_match(iid, std::regex("w_[a-z0-9]{12}")));
        if (u["guest"].get<bool>()) {
            ++guests;
            CHECK(eid == iid);
            CHECK(u["role"] == "VIEWER");
        }
        if (eid == iid) continue;
        auto [it, fresh] = names.emplace(std::pair(site[d.meeting()], eid), u["name"].get<std::string>());
        CHECK(it->second == u["name"].get<std::string>());
    }
    CHECK(guests > 0);
}

TEST_CASE("simulate: names come in Latin, accented Latin, Greek, Cyrillic and CJK scripts", "[simulate]") {
    auto all = decode_all(generate_all(small(21)));
    std::set<std::string> scripts;
    for (const auto& d : all) {
        if (d.id() != "user-joined") continue;
        auto cps = code_points(d.user()["name"].get<std::string>());
        bool ascii = true;
        for (char32_t cp : cps) {
            ascii = ascii && cp < 0x80;
            if (cp >= 0xC0 && cp <= 0x24F) scripts.insert("accented");
            if (cp >= 0x370 && cp <= 0x3FF) scripts.insert("greek");
            if (cp >= 0x400 && cp <= 0x4FF) scripts.insert("cyrillic");
            if (cp >= 0x4E00 && cp <= 0x9FFF) scripts.insert("cjk");
        }
        if (ascii) scripts.insert("latin");
    }
    CHECK(scripts == std::set<std::string>{"accented", "cjk", "cyrillic", "greek", "latin"});
}

TEST_CASE("simulate: crashed meetings have no meeting-ended and no spoofed user-left", "[simulate]") {
    GeneratorOptions o = small(17);
    o.meetings = 20;
    o.crashed = 0.5;
    Summary summary;
    auto all = first_deliveries(decode_all(generate_all(o, &summary)));
    REQUIRE(summary.crashed > 3);
    std::map<std::string, bool> breakout; // internal id -> is a breakout room
    std::map<std::string, std::string> parent;
    std::set<std::string> ended, spoofed;
    for (const auto& d : all) {
        if (d.id() == "meeting-created") {
            breakout[d.meeting()] = d.attrs()["meeting"]["is-breakout"].get<bool>();
            parent[d.meeting()] = d.attrs()["meeting"]["parent-id"].get<std::string>();
        }
        if (d.id() == "meeting-ended") ended.insert(d.meeting());
        if (d.spoofed_left()) spoofed.insert(d.meeting());
    }
    size_t crashed = 0;
    for (const auto& [iid, is_breakout] : breakout) {
        if (ended.contains(iid)) continue;
        CHECK_FALSE(spoofed.contains(iid));
        if (is_breakout)
            CHECK_FALSE(ended.contains(parent[iid])); // only a crash of the parent cuts a breakout short
        else
            ++crashed;
    }
    CHECK(crashed == summary.crashed);
}

TEST_CASE("simulate: duplicates are byte-identical and later, retries arrive after later events", "[simulate]") {
    GeneratorOptions o = small(19);
    o.duplicates = 0.1;
    o.reorder = 0.1;
    Summary summary;
    auto cbs = generate_all(o, &summary);
    std::map<std::string, std::vector<int64_t>> arrivals;
    for (const auto& cb : cbs)
        arrivals[cb.body].push_back(cb.received_ms);
    size_t repeats = 0;
    for (const auto& [body, times] : arrivals) {
        if (times.size() < 2) continue;
        repeats += times.size() - 1;
        CHECK(times.back() - times.front() >= 5000); // seconds to minutes later
        CHECK(times.back() - times.front() <= 120'000);
    }
    CHECK(repeats == summary.duplicates);
    CHECK(summary.duplicates > 50);
    // Reordering: an event of a meeting arrives after one that bbb-webhooks dispatched later.
    auto all = first_deliveries(decode_all(cbs));
    std::map<std::string, int64_t> last_dispatch;
    size_t overtaken = 0;
    for (const auto& d : all) {
        auto& last = last_dispatch[d.meeting()];
        overtaken += d.timestamp < last;
        last = std::max(last, d.timestamp);
    }
    CHECK(summary.reordered > 50);
    CHECK(overtaken > summary.reordered / 2);
}

TEST_CASE("simulate: recording events carry ts in seconds, everything else in ms", "[simulate]") {
    GeneratorOptions o = small(23);
    o.recorded = 1.0;
    auto all = decode_all(generate_all(o));
    size_t rap = 0;
    for (const auto& d : all) {
        INFO(d.event_text);
        if (d.id().starts_with("rap-")) {
            ++rap;
            CHECK(d.ts() < 10'000'000'000);
            CHECK(d.ts() * 1000 <= d.timestamp);
            CHECK(d.timestamp < d.ts() * 1000 + 1000);
            CHECK(d.attrs()["record-id"] == d.meeting());
        } else {
            CHECK(d.ts() > 1'000'000'000'000);
        }
    }
    CHECK(rap >= 2);
}

TEST_CASE("simulate: people open second tabs and rejoin with new internal ids", "[simulate]") {
    GeneratorOptions o = small(29);
    o.two_tabs = 0.3;
    o.rejoins = 0.3;
    Summary summary;
    auto all = first_deliveries(decode_all(generate_all(o, &summary)));
    // Per meeting and external user id: the [join, leave) intervals of each internal id.
    std::map<std::pair<std::string, std::string>, std::map<std::string, std::pair<int64_t, int64_t>>> conns;
    for (const auto& d : all) {
        if (d.id() != "user-joined" && d.id() != "user-left") continue;
        auto key = std::pair(d.meeting(), d.user()["external-user-id"].get<std::string>());
        auto& interval = conns[key][d.user()["internal-user-id"].get<std::string>()];
        (d.id() == "user-joined" ? interval.first : interval.second) = d.ts();
    }
    size_t overlapping = 0, sequential = 0;
    for (const auto& [key, intervals] : conns) {
        if (intervals.size() < 2) continue;
        std::vector<std::pair<int64_t, int64_t>> v;
        for (const auto& [iid, in] : intervals)
            v.push_back(in);
        std::sort(v.begin(), v.end());
        for (size_t i = 1; i < v.size(); ++i)
            (v[i].first < v[i - 1].second ? overlapping : sequential)++;
    }
    CHECK(summary.two_tabs > 5);
    CHECK(summary.rejoins > 5);
    CHECK(overlapping > 0);
    CHECK(sequential > 0);
}

TEST_CASE("simulate: --callbacks generates about that many callbacks", "[simulate]") {
    GeneratorOptions o;
    o.target_callbacks = 20000;
    Summary summary;
    auto all = generate_all(o, &summary);
    CHECK(all.size() >= 20000);
    CHECK(all.size() < 24000);
    CHECK(summary.meetings > 20);
}

TEST_CASE("simulate: encodings, times and options", "[simulate]") {
    std::string s;
    append_form_encoded(s, "a b~*-._é[\"&=+");
    CHECK(s == "a+b%7E*-._%C3%A9%5B%22%26%3D%2B");
    std::string j;
    append_json_string(j, "q\"b\\n\nt\t\x01é🙂");
    CHECK(j == "\"q\\\"b\\\\n\\nt\\t\\u0001é🙂\"");

    CHECK(parse_utc_time("2026-10-05T08:00:00Z") == k_default_start_ms);
    CHECK(parse_utc_time("2026-10-05T08:00Z") == k_default_start_ms);
    CHECK(parse_utc_time("2026-10-05T08:00:00.250Z") == k_default_start_ms + 250);
    CHECK(parse_utc_time("2026-10-05") == k_default_start_ms - 8 * 3600 * 1000);
    CHECK(parse_utc_time("1970-01-01T00:00:00Z") == 0);
    for (auto bad : {"", "2026-10-05T08:00:00", "2026-13-01", "2026-02-30", "2026-10-05T24:00:00Z",
                     "2026-10-05T08:00:00+02:00", "yesterday", "2026-10-05T08:00:00.25Z"}) {
        INFO(bad);
        CHECK_FALSE(parse_utc_time(bad));
    }

    CHECK(validate(GeneratorOptions{}));
    GeneratorOptions bad;
    bad.duplicates = 1.5;
    CHECK(validate(bad).error().code == ExitCode::usage);
    bad = {};
    bad.servers = 0;
    CHECK_FALSE(validate(bad));

    SimulateOptions so;
    CHECK_FALSE(validate(so)); // no output
    so.journal_dir = "/tmp/x";
    CHECK(validate(so));
    so.post_url = "http://127.0.0.1:1/x";
    CHECK_FALSE(validate(so)); // two outputs
    so.journal_dir.clear();
    CHECK_FALSE(validate(so)); // no secret
    so.secret = "s";
    CHECK(validate(so));
    so.callback_url = "http://example.org/x";
    CHECK_FALSE(validate(so)); // only for checksums
    so.auth = PostAuth::checksum;
    CHECK(validate(so));
    so.post_url = "ftp://example.org/";
    CHECK_FALSE(validate(so));
}
