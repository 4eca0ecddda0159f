#include "bbbhook/ingest/sessionize.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

namespace bbbhook::ingest {

using bbb::EventKind;

StoredEvent StoredEvent::from(const bbb::Event& e) {
    return StoredEvent{e.ts,      e.kind,        e.raw,  e.guest, e.presenter, e.flag,
                       e.user_id, e.user_ext_id, e.name, e.role,  e.extra};
}

namespace {

// Same-time events apply in this order: a meeting starts, people join, state changes, people
// leave, the meeting ends.
int rank(EventKind k) {
    switch (k) {
    case EventKind::meeting_created: return 0;
    case EventKind::user_joined: return 1;
    case EventKind::presenter_unassigned: return 2;
    case EventKind::presenter_assigned: return 3;
    case EventKind::user_left: return 8;
    case EventKind::meeting_ended: return 9;
    default: return 5;
    }
}

auto sort_key(const StoredEvent& e) {
    return std::tie(e.ts, e.raw, e.user_id, e.extra, e.flag, e.user_ext_id, e.name, e.role, e.guest, e.presenter);
}

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

bool get_string(std::string_view& in, std::string& s) {
    uint64_t n = 0;
    if (!get_varint(in, n) || n > in.size()) return false;
    s.assign(in.substr(0, n));
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

} // namespace

bool event_less(const StoredEvent& a, const StoredEvent& b) {
    if (a.ts != b.ts) return a.ts < b.ts;
    int ra = rank(a.kind), rb = rank(b.kind);
    if (ra != rb) return ra < rb;
    if (a.kind != b.kind) return a.kind < b.kind;
    return sort_key(a) < sort_key(b);
}

void encode_events(std::string& out, const std::vector<StoredEvent>& events, size_t from) {
    for (size_t i = from; i < events.size(); ++i) {
        const auto& e = events[i];
        put_varint(out, zig(e.ts));
        put_varint(out, static_cast<uint64_t>(e.kind));
        put_varint(out, (e.raw ? 1u : 0u) | (zig(e.guest) << 1) | (zig(e.presenter) << 3) | (zig(e.flag) << 5));
        for (const std::string* s : {&e.user_id, &e.user_ext_id, &e.name, &e.role, &e.extra}) {
            put_varint(out, s->size());
            out += *s;
        }
    }
}

std::optional<std::vector<StoredEvent>> decode_events(std::string_view in) {
    std::vector<StoredEvent> events;
    while (!in.empty()) {
        StoredEvent e;
        uint64_t ts = 0, kind = 0, bits = 0;
        if (!get_varint(in, ts) || !get_varint(in, kind) || !get_varint(in, bits)) return std::nullopt;
        if (kind > static_cast<uint64_t>(EventKind::unknown)) return std::nullopt;
        e.ts = zag(ts);
        e.kind = static_cast<EventKind>(kind);
        e.raw = bits & 1;
        e.guest = static_cast<int8_t>(zag((bits >> 1) & 3));
        e.presenter = static_cast<int8_t>(zag((bits >> 3) & 3));
        e.flag = static_cast<int8_t>(zag((bits >> 5) & 3));
        for (std::string* s : {&e.user_id, &e.user_ext_id, &e.name, &e.role, &e.extra})
            if (!get_string(in, *s)) return std::nullopt;
        events.push_back(std::move(e));
    }
    return events;
}

std::string_view closed_by_name(ClosedBy c) {
    switch (c) {
    case ClosedBy::left: return "left";
    case ClosedBy::meeting_ended: return "meeting-ended";
    case ClosedBy::inferred: return "inferred";
    case ClosedBy::open: return "open";
    }
    return "open";
}

namespace {

// A running measure: accumulates the time while it is on.
struct Timer {
    bool on = false;
    int64_t since = 0;
    int64_t total = 0;
    void start(int64_t t) {
        if (!on) {
            on = true;
            since = t;
        }
    }
    void stop(int64_t t) {
        if (on) {
            total += std::max<int64_t>(0, t - since);
            on = false;
        }
    }
};

struct Connection {
    std::string ext;
    int8_t guest = -1;
    std::string name, role;
    int64_t name_ts = 0;
    bool present = false;
    size_t interval = 0; // index of the open interval
    Timer presenter, mic, cam;
    std::set<std::string> streams;
    bool hand = false;
    std::string emoji = "none";
    int64_t raise_hands = 0, reactions = 0;
    std::set<std::string> chat_ids, polls;

    void stop_timers(int64_t t) {
        presenter.stop(t);
        mic.stop(t);
        cam.stop(t);
        streams.clear();
    }
};

bool counts_as_activity(EventKind k) {
    return k != EventKind::rap && k != EventKind::recording_archived;
}

} // namespace

MeetingResult sessionize(const std::vector<StoredEvent>& all, const MeetingContext& ctx) {
    MeetingResult r;

    // 1. When a meeting has mapped events, its raw ones are dropped: the same facts on another
    //    clock (bbb-webhooks.md §6) would be counted twice.
    bool any_mapped = std::ranges::any_of(all, [](const StoredEvent& e) {
        return !e.raw && (e.kind == EventKind::user_joined || e.kind == EventKind::user_left ||
                          e.kind == EventKind::meeting_created || e.kind == EventKind::meeting_ended);
    });
    // Sorted and deduplicated as pointers: a meeting is recomputed often, its events not copied.
    std::vector<const StoredEvent*> events;
    events.reserve(all.size());
    for (const auto& e : all)
        if (!(any_mapped && e.raw)) events.push_back(&e);

    // 2. Time order; exact duplicates (retries, several hooks) collapse.
    std::ranges::sort(events, [](const StoredEvent* a, const StoredEvent* b) { return event_less(*a, *b); });
    events.erase(
        std::unique(events.begin(), events.end(), [](const StoredEvent* a, const StoredEvent* b) { return *a == *b; }),
        events.end());
    r.distinct_events = static_cast<int64_t>(events.size());

    // 3. The meeting's span.
    std::optional<int64_t> end;
    for (const StoredEvent* event : events) {
        const StoredEvent& e = *event;
        if (!r.first_event || e.ts < *r.first_event) r.first_event = e.ts;
        if (counts_as_activity(e.kind) && (!r.last_activity || e.ts > *r.last_activity)) r.last_activity = e.ts;
        if (e.kind == EventKind::meeting_ended && !end) end = e.ts;
        if (e.kind == EventKind::recording_archived && e.flag >= 0) r.recorded = e.flag == 1;
    }
    bool inferred = !end && r.last_activity && (ctx.superseded || ctx.clock - *r.last_activity >= ctx.idle_close);
    r.end = end ? EndReason::ended : inferred ? EndReason::inferred : EndReason::running;
    r.ended = end ? end : inferred ? r.last_activity : std::nullopt;

    // 4. Who each connection is, from every event (an early event may lack what a later one says).
    std::map<std::string, Connection> conns;
    for (const StoredEvent* event : events) {
        const StoredEvent& e = *event;
        if (e.user_id.empty()) continue;
        auto& c = conns[e.user_id];
        if (c.ext.empty() && !e.user_ext_id.empty()) c.ext = e.user_ext_id;
        if (e.guest == 1)
            c.guest = 1;
        else if (e.guest == 0 && c.guest < 0)
            c.guest = 0;
    }

    // 5. Replay in time order.
    auto close = [&](Connection& c, int64_t t, ClosedBy by) {
        auto& iv = r.intervals[c.interval];
        iv.left = t;
        iv.closed_by = by;
        c.present = false;
        c.stop_timers(t);
    };
    for (const StoredEvent* event : events) {
        const StoredEvent& e = *event;
        Connection* c = e.user_id.empty() ? nullptr : &conns[e.user_id];
        if (c) {
            if (!e.name.empty() && e.ts >= c->name_ts) {
                c->name = e.name;
                c->name_ts = e.ts;
            }
            if (!e.role.empty()) c->role = e.role;
        }
        // After the end only the spoofed user-left events remain: they close at the end.
        if (end && e.ts > *end && e.kind != EventKind::user_left) continue;
        switch (e.kind) {
        case EventKind::user_joined:
            if (c && !c->present) {
                c->present = true;
                c->interval = r.intervals.size();
                r.intervals.push_back({e.user_id, {}, c->name, c->role, e.ts, std::nullopt, ClosedBy::open});
                if (e.presenter == 1) c->presenter.start(e.ts);
            }
            break;
        case EventKind::user_left:
            if (c && c->present) {
                if (end && e.ts >= *end)
                    close(*c, *end, ClosedBy::meeting_ended);
                else
                    close(*c, e.ts, ClosedBy::left);
            }
            break;
        case EventKind::meeting_ended:
            for (auto& [id, other] : conns)
                if (other.present) close(other, e.ts, ClosedBy::meeting_ended);
            break;
        case EventKind::presenter_assigned:
            for (auto& [id, other] : conns)
                other.presenter.stop(e.ts); // one presenter at a time
            if (c && c->present) c->presenter.start(e.ts);
            break;
        case EventKind::presenter_unassigned:
            if (c) c->presenter.stop(e.ts);
            break;
        case EventKind::voice_enabled:
            if (c && c->present) {
                if (e.flag == 1)
                    c->mic.start(e.ts);
                else
                    c->mic.stop(e.ts);
            }
            break;
        case EventKind::voice_disabled:
        case EventKind::audio_muted:
            if (c) c->mic.stop(e.ts);
            break;
        case EventKind::audio_unmuted:
            if (c && c->present) c->mic.start(e.ts);
            break;
        case EventKind::cam_started:
            if (c && c->present) {
                c->streams.insert(e.extra);
                c->cam.start(e.ts);
            }
            break;
        case EventKind::cam_stopped:
            if (c) {
                c->streams.erase(e.extra);
                if (e.extra.empty()) c->streams.clear();
                if (c->streams.empty()) c->cam.stop(e.ts);
            }
            break;
        case EventKind::chat_message:
            if (c) c->chat_ids.insert(e.extra.empty() ? std::to_string(e.ts) : e.extra);
            break;
        case EventKind::raise_hand:
            if (c) {
                if (e.flag == 1 && !c->hand) ++c->raise_hands;
                c->hand = e.flag == 1;
            }
            break;
        case EventKind::emoji:
            if (c) {
                bool reaction = !e.extra.empty() && e.extra != "none" && e.extra != "raiseHand";
                if (reaction && e.extra != c->emoji) ++c->reactions;
                c->emoji = e.extra;
            }
            break;
        case EventKind::poll_responded:
            if (c && !e.extra.empty()) c->polls.insert(e.extra);
            break;
        default: break;
        }
    }

    // 6. Who is still present: closed at the last activity when the meeting is inferred to have
    //    ended; otherwise left open, with time counted up to the last activity.
    for (auto& [id, c] : conns) {
        if (!c.present) continue;
        if (inferred)
            close(c, *r.last_activity, ClosedBy::inferred);
        else
            c.stop_timers(r.last_activity.value_or(0));
    }

    // 7. People: a person is an external user id; guests and anonymous users are their connection.
    auto person_of = [&](const std::string& conn_id) {
        const auto& c = conns[conn_id];
        bool anonymous = c.ext.empty() || c.ext == conn_id || c.guest == 1;
        return Person{anonymous ? conn_id : c.ext, anonymous ? std::string() : c.ext, c.guest == 1, c.name, c.name_ts};
    };
    std::map<std::string, Person> people;
    std::map<std::string, std::vector<size_t>> intervals_of; // person key -> interval indexes
    for (size_t i = 0; i < r.intervals.size(); ++i) {
        auto& iv = r.intervals[i];
        Person p = person_of(iv.connection);
        iv.person_key = p.key;
        auto [it, fresh] = people.emplace(p.key, p);
        if (!fresh && p.name_ts >= it->second.name_ts && !p.name.empty()) {
            it->second.name = p.name;
            it->second.name_ts = p.name_ts;
        }
        intervals_of[p.key].push_back(i);
    }

    // 8. Attendance per person: the union of their intervals and the sum of their activity.
    for (auto& [key, idx] : intervals_of) {
        Attendance a;
        a.person_key = key;
        a.name = people[key].name;
        std::vector<std::pair<int64_t, int64_t>> spans;
        std::set<std::string> conns_seen, chats, polls;
        bool open = false;
        const Interval* latest = nullptr;
        for (size_t i : idx) {
            const auto& iv = r.intervals[i];
            int64_t stop = iv.left.value_or(r.last_activity.value_or(iv.joined));
            spans.emplace_back(iv.joined, std::max(stop, iv.joined));
            if (!iv.left)
                open = true;
            else if (!a.last_leave || *iv.left > *a.last_leave)
                a.last_leave = iv.left;
            if (!latest || iv.joined >= latest->joined) latest = &iv;
            conns_seen.insert(iv.connection);
        }
        if (open) a.last_leave.reset();
        a.role = latest->role;
        std::ranges::sort(spans);
        a.first_join = spans.front().first;
        int64_t cur_start = spans.front().first, cur_end = spans.front().second;
        for (const auto& [s, e] : spans) {
            if (s > cur_end) {
                a.online_ms += cur_end - cur_start;
                cur_start = s;
            }
            cur_end = std::max(cur_end, e);
        }
        a.online_ms += cur_end - cur_start;
        a.joins = static_cast<int64_t>(idx.size());
        for (const auto& id : conns_seen) {
            const auto& c = conns[id];
            a.talk_ms += c.mic.total;
            a.webcam_ms += c.cam.total;
            a.presenter_ms += c.presenter.total;
            a.raise_hands += c.raise_hands;
            a.reactions += c.reactions;
            chats.insert(c.chat_ids.begin(), c.chat_ids.end());
            polls.insert(c.polls.begin(), c.polls.end());
        }
        a.chat_messages = static_cast<int64_t>(chats.size());
        a.poll_votes = static_cast<int64_t>(polls.size());
        r.attendance.push_back(std::move(a));
    }
    for (auto& [key, p] : people)
        r.people.push_back(std::move(p));
    std::ranges::sort(r.intervals, [](const Interval& a, const Interval& b) {
        return std::tie(a.connection, a.joined) < std::tie(b.connection, b.joined);
    });
    return r;
}

} // namespace bbbhook::ingest
