#pragma once
// What ingest keeps of a meeting's events, and their stored form (the meeting_events chunks).
//
// An EventLog holds each distinct string of a meeting once and its events as fixed-size records
// that refer to them by number: a meeting's events repeat the same connections, people and roles,
// so they are stored, encoded, compared and freed without a string each (docs/INGEST.md).
//
//   EventLog log;
//   log.add(event);                      // from a decoded callback (or a StoredEvent)
//   for (const EventLog::Event& e : log.events()) use(e.ts, log.str(e.user_id));
//   std::string chunk; encode_events(chunk, log, from);
//   decode_events(chunk, k_events_format, log);   // appends; false if damaged
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bbbhook/bbb/events.hpp"
#include "bbbhook/util/flat_index.hpp"

namespace bbbhook::ingest {

// An event with its strings: what tests write and what EventLog::stored() gives back.
struct StoredEvent {
    int64_t ts = 0;
    bbb::EventKind kind = bbb::EventKind::unknown;
    bool raw = false;
    int8_t guest = -1, presenter = -1, flag = -1;
    std::string user_id, user_ext_id, name, role, extra;

    bool operator==(const StoredEvent&) const = default;
};

class EventLog {
public:
    // A string by number: 0 is the empty string, k > 0 the k-th distinct one added.
    using Ref = uint32_t;
    struct Event {
        int64_t ts = 0;
        bbb::EventKind kind = bbb::EventKind::unknown;
        bool raw = false;
        int8_t guest = -1, presenter = -1, flag = -1;
        Ref user_id = 0, user_ext_id = 0, name = 0, role = 0, extra = 0;
        // Within one log, equal strings have equal numbers: this is equality of the events.
        bool operator==(const Event&) const = default;
    };

    void add(const bbb::Event& e);
    void add(const StoredEvent& e);
    void add(const Event& e) { m_events.push_back(e); } // its refs must be this log's
    // The number of `s` in this log, added if new. Throws Failure(internal) past 4 GiB of strings.
    Ref intern(std::string_view s);
    // The same for an external user id, checked first against the last one of that connection
    // (`user`, a number of this log): a connection keeps its external id.
    Ref intern_ext(Ref user, std::string_view ext);

    // Valid until the next intern() or add() (the bytes may move).
    std::string_view str(Ref r) const {
        if (r == 0) return {};
        auto [at, size] = m_spans[r - 1];
        return std::string_view(m_bytes).substr(at, size);
    }
    Ref refs() const { return static_cast<Ref>(m_spans.size() + 1); } // the numbers in use are < refs()
    const std::vector<Event>& events() const { return m_events; }
    size_t size() const { return m_events.size(); }
    const Event& operator[](size_t i) const { return m_events[i]; }
    StoredEvent stored(size_t i) const;

private:
    std::string m_bytes;                                // the distinct strings, one after another
    std::vector<std::pair<uint32_t, uint32_t>> m_spans; // [ref - 1]: offset and size in m_bytes
    util::FlatIndex m_index;
    std::vector<Ref> m_ext_of; // [connection's number]: the last external id interned for it
    std::vector<Event> m_events;
};

// Compact binary encodings for the meeting_events table (docs/SCHEMA.md). Format 2, written since
// schema 3: the chunk's distinct strings once, then per event the time as a delta and the strings
// as references (about 40% of format 1's size). Format 1, every string inline, is still read.
inline constexpr int k_events_format = 2;
// Appends events [from, end) of `log` to `out` as one chunk of format 2.
void encode_events(std::string& out, const EventLog& log, size_t from = 0);
// Appends a chunk's events to `log`. False when the bytes are not a whole chunk of that format
// (damage) or the format is unknown; the log may then hold some of its events.
bool decode_events(std::string_view bytes, int format, EventLog& log);

// The same on vectors of StoredEvent (tests).
void encode_events(std::string& out, const std::vector<StoredEvent>& events, size_t from = 0);
std::optional<std::vector<StoredEvent>> decode_events(std::string_view bytes, int format = k_events_format);

} // namespace bbbhook::ingest
