#pragma once
// A deterministic generator of realistic BBB webhook traffic (docs: bbb-webhooks.md §3–§5), for
// `bbbhook simulate`, the tests and the benchmarks.
//
// What it models: meetings on several BBB servers over consecutive days (08:00–18:00 from the
// start time), mostly created by Moodle (external id <sha1seed>-<course>-<instance>[<group>],
// the Moodle metadata of §5.3, numeric user ids stable per person) and some by a Greenlight-like
// front end (no Moodle metadata, UUID user ids, anonymous joins). Rooms are reused for another
// session on a later day (same external id, new internal id). Participants: a teacher
// (MODERATOR) and 5–60 students (VIEWER) named in Latin, Latin with accents, Greek, Cyrillic
// and CJK scripts; guests (guest=true, external id = internal id); two browser tabs (two
// overlapping internal ids, one external id); rejoins (a new internal id after a drop).
// Activity: audio, mute, camera, presenter, screen share, public chat, raised hands, emoji,
// polls. Breakout rooms as BBB makes them. Meeting ends as bbb-webhooks reports them (§5.5):
// spoofed full user-left events for everyone still present, ts 1–2 ms after meeting-ended's,
// arriving before it, all with one form timestamp; or the last user leaves and the meeting
// ends a minute later; or the meeting "crashes" (bbb-webhooks was down): no meeting-ended and
// no spoofed user-left. Recording processing sends rap-archive-started/ended with ts in
// seconds (§5.7). Delivery: a few ms between data.event.ts, the form timestamp and the arrival;
// byte-identical duplicates arriving seconds to minutes later (§4.4); retried events arriving
// after later ones (reordering, e.g. meeting-created after the first user-joined).
//
// Determinism: the output depends only on the options. The generator uses std::mt19937_64 and
// its own formulas for ranges (std::uniform_*_distribution differ between standard libraries);
// it never reads the clock or std::random_device and never iterates an unordered container.
//
// It streams: memory holds only the meetings that overlap in time, so millions of callbacks
// cost no more memory than thousands.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bbbhook/util/error.hpp"

namespace bbbhook::simulate {

// 2026-10-05T08:00:00Z, a Monday morning.
inline constexpr int64_t k_default_start_ms = 1791187200000;

struct GeneratorOptions {
    uint64_t seed = 1;
    int servers = 3;   // BBB servers bbb1.example.org … bbbN.example.org
    int meetings = 20; // meetings (sessions of rooms), not counting breakout rooms
    // When > 0, meetings are generated until about this many callbacks (`meetings` is ignored).
    uint64_t target_callbacks = 0;
    int64_t start_ms = k_default_start_ms; // the first day's 10-hour window starts here
    // Probabilities, each in [0, 1].
    double duplicates = 0.01; // a callback is delivered a second time, byte-identical
    double reorder = 0.01;    // a callback is retried and arrives after later ones
    double crashed = 0.05;    // a meeting loses its end (no meeting-ended, no spoofed user-left)
    double breakouts = 0.2;   // a meeting opens 1–4 breakout rooms
    double guests = 0.15;     // a meeting has 1–3 guests
    double two_tabs = 0.05;   // a participant opens a second tab
    double rejoins = 0.1;     // a participant drops and joins again
    double recorded = 0.3;    // a recordable meeting was actually recorded
};

// Problems with the options, as a usage error naming the option.
Status validate(const GeneratorOptions& options);

struct SimulatedCallback {
    int64_t received_ms = 0; // when a receiver got it (arrival order is the order of next())
    std::string server;      // the BBB domain, the body's domain field
    int server_index = 0;    // 1-based: server is "bbb<server_index>.example.org"
    std::string body;        // domain=…&event=…&timestamp=… exactly as bbb-webhooks sends it
};

// What was generated. Complete once next() has returned nullopt.
struct Summary {
    uint64_t callbacks = 0;                              // all deliveries, duplicates included
    uint64_t duplicates = 0;                             // extra deliveries of an event already delivered
    uint64_t reordered = 0;                              // events that arrived after events dispatched later
    uint64_t meetings = 0;                               // sessions of rooms (breakout rooms not counted)
    uint64_t reused = 0;                                 // of those, sessions of a room that had one on an earlier day
    uint64_t greenlight = 0;                             // of those, created by the Greenlight-like front end
    uint64_t crashed = 0;                                // of those, without meeting-ended
    uint64_t breakouts = 0;                              // breakout rooms
    uint64_t connections = 0;                            // user-joined events (one per internal user id)
    uint64_t people = 0;                                 // distinct people who joined at least once
    uint64_t guests = 0;                                 // guest connections
    uint64_t two_tabs = 0;                               // second-tab connections
    uint64_t rejoins = 0;                                // connections after a drop
    std::map<std::string, uint64_t, std::less<>> events; // per data.id, without duplicates
};

class Generator {
public:
    // The options must pass validate().
    explicit Generator(const GeneratorOptions& options);
    ~Generator();
    Generator(Generator&&) noexcept;
    Generator& operator=(Generator&&) noexcept;

    // The next callback in arrival order, or nullopt when everything has been generated.
    std::optional<SimulatedCallback> next();
    const Summary& summary() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// Every callback at once (for tests and small runs).
std::vector<SimulatedCallback> generate_all(const GeneratorOptions& options, Summary* summary = nullptr);

// URLSearchParams (WHATWG) encoding, as bbb-webhooks encodes the form: space becomes '+',
// alphanumerics and "*-._" stay, every other byte becomes %XX (uppercase hex).
void append_form_encoded(std::string& out, std::string_view text);
// JSON.stringify's string escaping (quotes, backslash, control characters; UTF-8 kept as is),
// with the surrounding quotes.
void append_json_string(std::string& out, std::string_view text);

} // namespace bbbhook::simulate
