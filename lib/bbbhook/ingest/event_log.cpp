#include "bbbhook/ingest/event_log.hpp"

#include <array>
#include <cstdint>
#include <optional>

#include "bbbhook/util/error.hpp"

namespace bbbhook::ingest {

using bbb::EventKind;

EventLog::Ref EventLog::intern(std::string_view s) {
    if (s.empty()) return 0;
    uint64_t h = util::short_hash(s);
    uint32_t n = m_index.find(h, [&](uint32_t i) { return util::same_bytes(str(i + 1), s); });
    if (n != util::FlatIndex::k_none) return n + 1;
    // Offsets and numbers are 32-bit: a meeting would need 4 GiB of distinct strings (memory ends
    // long before), but it is refused rather than stored wrong.
    if (m_bytes.size() + s.size() > UINT32_MAX || m_spans.size() + 1 >= UINT32_MAX)
        throw Failure(ExitCode::internal, "a meeting has more than 4 GiB of distinct strings");
    n = static_cast<uint32_t>(m_spans.size());
    m_spans.emplace_back(static_cast<uint32_t>(m_bytes.size()), static_cast<uint32_t>(s.size()));
    m_bytes += s;
    m_index.insert(h, n);
    return n + 1;
}

namespace {

// bbb::Event and StoredEvent have the same fields.
template <class E> EventLog::Event interned(EventLog& log, const E& e) {
    EventLog::Event x{e.ts, e.kind, e.raw, e.guest, e.presenter, e.flag};
    x.user_id = log.intern(e.user_id);
    x.user_ext_id = log.intern_ext(x.user_id, e.user_ext_id);
    x.name = log.intern(e.name);
    x.role = log.intern(e.role);
    x.extra = log.intern(e.extra);
    return x;
}

} // namespace

EventLog::Ref EventLog::intern_ext(Ref user, std::string_view ext) {
    if (ext.empty()) return 0;
    if (user < m_ext_of.size() && m_ext_of[user] != 0 && util::same_bytes(str(m_ext_of[user]), ext))
        return m_ext_of[user];
    Ref r = intern(ext);
    if (user != 0) {
        if (user >= m_ext_of.size()) m_ext_of.resize(refs());
        m_ext_of[user] = r;
    }
    return r;
}

void EventLog::add(const bbb::Event& e) {
    m_events.push_back(interned(*this, e));
}

void EventLog::add(const StoredEvent& e) {
    m_events.push_back(interned(*this, e));
}

StoredEvent EventLog::stored(size_t i) const {
    const Event& e = m_events[i];
    return StoredEvent{e.ts,
                       e.kind,
                       e.raw,
                       e.guest,
                       e.presenter,
                       e.flag,
                       std::string(str(e.user_id)),
                       std::string(str(e.user_ext_id)),
                       std::string(str(e.name)),
                       std::string(str(e.role)),
                       std::string(str(e.extra))};
}

namespace {

void put_varint(std::string& out, uint64_t v) {
    while (v >= 0x80) {
        out += static_cast<char>((v & 0x7f) | 0x80);
        v >>= 7;
    }
    out += static_cast<char>(v);
}

bool get_varint(std::string_view& in, uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (in.empty()) return false;
        auto b = static_cast<unsigned char>(in.front());
        in.remove_prefix(1);
        v |= static_cast<uint64_t>(b & 0x7f) << shift;
        if (!(b & 0x80)) return true;
    }
    return false;
}

bool get_string(std::string_view& in, std::string_view& s) {
    uint64_t n = 0;
    if (!get_varint(in, n) || n > in.size()) return false;
    s = in.substr(0, n);
    in.remove_prefix(n);
    return true;
}

// zigzag for the small signed fields and timestamps (which may be 0 in odd events).
uint64_t zig(int64_t v) {
    return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t zag(uint64_t v) {
    return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

uint64_t event_bits(const EventLog::Event& e) {
    return (e.raw ? 1u : 0u) | (zig(e.guest) << 1) | (zig(e.presenter) << 3) | (zig(e.flag) << 5);
}

// Kind and bits, as both formats store them after the time.
bool get_kind_and_bits(std::string_view& in, EventLog::Event& e) {
    uint64_t kind = 0, bits = 0;
    if (!get_varint(in, kind) || !get_varint(in, bits)) return false;
    if (kind > static_cast<uint64_t>(EventKind::unknown)) return false;
    e.kind = static_cast<EventKind>(kind);
    e.raw = bits & 1;
    e.guest = static_cast<int8_t>(zag((bits >> 1) & 3));
    e.presenter = static_cast<int8_t>(zag((bits >> 3) & 3));
    e.flag = static_cast<int8_t>(zag((bits >> 5) & 3));
    return true;
}

// The five strings of an event, in the order both formats store them.
std::array<EventLog::Ref*, 5> refs_of(EventLog::Event& e) {
    return {&e.user_id, &e.user_ext_id, &e.name, &e.role, &e.extra};
}
std::array<EventLog::Ref, 5> refs_of(const EventLog::Event& e) {
    return {e.user_id, e.user_ext_id, e.name, e.role, e.extra};
}

// Format 1: zig(ts) kind bits, then the five strings, each as length and bytes.
bool decode_format1(std::string_view in, EventLog& log) {
    while (!in.empty()) {
        EventLog::Event e;
        uint64_t ts = 0;
        if (!get_varint(in, ts) || !get_kind_and_bits(in, e)) return false;
        e.ts = zag(ts);
        for (EventLog::Ref* ref : refs_of(e)) {
            std::string_view s;
            if (!get_string(in, s)) return false;
            *ref = log.intern(s);
        }
        log.add(e);
    }
    return true;
}

// Format 2: the count of strings and each as length and bytes; the count of events and per event
// zig(ts - previous ts) kind bits and five references (0: empty, k: the k-th string). Times wrap
// as unsigned, so that any int64 round-trips. The counts make a cut chunk fail as a whole.
bool decode_format2(std::string_view in, EventLog& log) {
    uint64_t count = 0;
    if (!get_varint(in, count) || count > in.size()) return false; // each takes a byte at least
    std::vector<EventLog::Ref> table;                              // the chunk's numbers -> the log's
    table.reserve(count + 1);
    table.push_back(0);
    for (uint64_t i = 0; i < count; ++i) {
        std::string_view s;
        if (!get_string(in, s)) return false;
        table.push_back(log.intern(s));
    }
    uint64_t n_events = 0;
    if (!get_varint(in, n_events) || n_events > in.size()) return false;
    uint64_t ts = 0;
    for (uint64_t i = 0; i < n_events; ++i) {
        EventLog::Event e;
        uint64_t delta = 0;
        if (!get_varint(in, delta) || !get_kind_and_bits(in, e)) return false;
        ts += static_cast<uint64_t>(zag(delta));
        e.ts = static_cast<int64_t>(ts);
        for (EventLog::Ref* ref : refs_of(e)) {
            uint64_t k = 0;
            if (!get_varint(in, k) || k >= table.size()) return false;
            *ref = table[k];
        }
        log.add(e);
    }
    return in.empty();
}

} // namespace

void encode_events(std::string& out, const EventLog& log, size_t from) {
    // The chunk's strings, numbered in order of first use.
    std::vector<EventLog::Ref> number(log.refs(), 0); // the log's numbers -> the chunk's
    std::vector<EventLog::Ref> table;
    const auto& events = log.events();
    for (size_t i = from; i < events.size(); ++i)
        for (EventLog::Ref r : refs_of(events[i]))
            if (r != 0 && number[r] == 0) {
                table.push_back(r);
                number[r] = static_cast<EventLog::Ref>(table.size());
            }
    put_varint(out, table.size());
    for (EventLog::Ref r : table) {
        std::string_view s = log.str(r);
        put_varint(out, s.size());
        out += s;
    }
    put_varint(out, events.size() - std::min(from, events.size()));
    uint64_t previous = 0;
    for (size_t i = from; i < events.size(); ++i) {
        const auto& e = events[i];
        put_varint(out, zig(static_cast<int64_t>(static_cast<uint64_t>(e.ts) - previous)));
        previous = static_cast<uint64_t>(e.ts);
        put_varint(out, static_cast<uint64_t>(e.kind));
        put_varint(out, event_bits(e));
        for (EventLog::Ref r : refs_of(e))
            put_varint(out, number[r]);
    }
}

bool decode_events(std::string_view bytes, int format, EventLog& log) {
    switch (format) {
    case 1: return decode_format1(bytes, log);
    case 2: return decode_format2(bytes, log);
    default: return false;
    }
}

void encode_events(std::string& out, const std::vector<StoredEvent>& events, size_t from) {
    EventLog log;
    for (size_t i = from; i < events.size(); ++i)
        log.add(events[i]);
    encode_events(out, log, 0);
}

std::optional<std::vector<StoredEvent>> decode_events(std::string_view bytes, int format) {
    EventLog log;
    if (!decode_events(bytes, format, log)) return std::nullopt;
    std::vector<StoredEvent> events;
    events.reserve(log.size());
    for (size_t i = 0; i < log.size(); ++i)
        events.push_back(log.stored(i));
    return events;
}

} // namespace bbbhook::ingest
