#include "bbbhook/ingest/sessionize.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <forward_list>
#include <numeric>
#include <tuple>

namespace bbbhook::ingest {

using bbb::EventKind;

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

// Same-time events in rank order; the rest of the fields only break ties, so that equal events
// are adjacent.
bool event_less(const EventLog& log, const EventLog::Event& a, const EventLog::Event& b) {
    if (a.ts != b.ts) return a.ts < b.ts;
    int ra = rank(a.kind), rb = rank(b.kind);
    if (ra != rb) return ra < rb;
    if (a.kind != b.kind) return a.kind < b.kind;
    auto key = [&](const EventLog::Event& e) {
        return std::tuple(e.raw, log.str(e.user_id), log.str(e.extra), e.flag, log.str(e.user_ext_id), log.str(e.name),
                          log.str(e.role), e.guest, e.presenter);
    };
    return key(a) < key(b);
}

} // namespace

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

constexpr uint32_t k_none = UINT32_MAX;
// A connection during the replay. Its strings are views into the event log, which outlives
// sessionize(): no copy of a name or role at every event; the result copies what it keeps.
struct Connection {
    EventLog::Ref id = 0, ext = 0; // strings of the log: equal numbers are equal strings
    int8_t guest = -1;
    std::string_view name, role;
    int64_t name_ts = 0;
    bool present = false;
    size_t interval = 0; // index of the open interval
    Timer presenter, mic, cam;
    std::vector<EventLog::Ref> streams; // a set: a connection has a stream or two at a time
    bool hand = false;
    std::string_view emoji = "none";
    int64_t raise_hands = 0, reactions = 0;
    uint32_t person = k_none; // only connections with an interval are (part of) a person

    void stop_timers(int64_t t) {
        presenter.stop(t);
        mic.stop(t);
        cam.stop(t);
        streams.clear();
    }
};

// An interval during the replay; it becomes an Interval, which owns its strings, at the end.
struct Stay {
    uint32_t conn = 0;
    std::string_view name, role;
    int64_t joined = 0;
    std::optional<int64_t> left;
    ClosedBy closed_by = ClosedBy::open;
};

struct PersonState {
    std::string_view key, external_id;
    bool guest = false;
    std::string_view name;
    int64_t name_ts = 0;
    uint32_t place = 0;       // in the output, which is in the order of the keys
    bool open = false;        // has an open interval
    uint32_t latest = k_none; // the stay that joined last
};

// A chat message or poll vote: the connection (later the person's place), and the id.
using Tally = std::pair<uint32_t, std::string_view>;

// An event to sort. `key` orders as event_less's fields after the time do, up to the
// connection: rank, kind, raw, then the connection's number, numbered in the order of the ids.
// Most comparisons are then two integer compares; event_less itself only breaks the rare ties.
struct SortEntry {
    int64_t ts = 0;
    uint64_t key = 0;
    const EventLog::Event* event = nullptr;
};

constexpr uint64_t k_conn_mask = UINT32_MAX;

uint64_t order_key(const EventLog::Event& e, uint32_t conn) {
    return static_cast<uint64_t>(rank(e.kind)) << 56 | static_cast<uint64_t>(e.kind) << 48 |
           static_cast<uint64_t>(e.raw) << 32 | conn;
}

uint32_t conn_of(const SortEntry& s) {
    return static_cast<uint32_t>(s.key & k_conn_mask);
}

// Exactly event_less's order.
struct EntryLess {
    const EventLog& log;
    bool operator()(const SortEntry& a, const SortEntry& b) const {
        if (a.ts != b.ts) return a.ts < b.ts;
        if (a.key != b.key) return a.key < b.key;
        return event_less(log, *a.event, *b.event);
    }
};

// Events usually come in the order they arrived, which is nearly time order: an insertion sort
// has little to do on them. It does a bounded amount of work (any order is still sorted right),
// then std::sort sorts whatever is left.
void sort_events(std::vector<SortEntry>& events, EntryLess entry_less) {
    size_t budget = 4 * events.size(); // moves
    for (size_t i = 1; i < events.size(); ++i) {
        if (!entry_less(events[i], events[i - 1])) continue;
        SortEntry e = events[i];
        size_t j = i;
        for (; j > 0 && entry_less(e, events[j - 1]); --j)
            events[j] = events[j - 1];
        events[j] = e;
        if (i - j > budget) {
            std::ranges::sort(events, entry_less);
            return;
        }
        budget -= i - j;
    }
}

bool counts_as_activity(EventKind k) {
    return k != EventKind::rap && k != EventKind::recording_archived;
}

// Counts the distinct ids of each person (what a union of their connections' std::sets counted)
// with one sort for the whole meeting. Connections without an interval count for no one.
void count_distinct(std::vector<Tally>& tallies, const std::vector<Connection>& conns,
                    const std::vector<PersonState>& persons, std::vector<Attendance>& attendance,
                    int64_t Attendance::*count) {
    std::erase_if(tallies, [&](const Tally& t) { return conns[t.first].person == k_none; });
    for (auto& t : tallies)
        t.first = persons[conns[t.first].person].place;
    std::ranges::sort(tallies);
    for (size_t i = 0; i < tallies.size(); ++i)
        if (i == 0 || tallies[i] != tallies[i - 1]) ++(attendance[tallies[i].first].*count);
}

} // namespace

MeetingResult sessionize(const std::vector<StoredEvent>& events, const MeetingContext& ctx) {
    EventLog log;
    for (const auto& e : events)
        log.add(e);
    return sessionize(log, ctx);
}

MeetingResult sessionize(const EventLog& log, const MeetingContext& ctx) {
    MeetingResult r;
    const auto& all = log.events();

    // 1. When a meeting has mapped events, its raw ones are dropped: the same facts on another
    //    clock (bbb-webhooks.md §6) would be counted twice.
    bool any_mapped = std::ranges::any_of(all, [](const EventLog::Event& e) {
        return !e.raw && (e.kind == EventKind::user_joined || e.kind == EventKind::user_left ||
                          e.kind == EventKind::meeting_created || e.kind == EventKind::meeting_ended);
    });
    // Sorted and deduplicated as pointers: a meeting is recomputed often, its events not copied.
    // Connections are numbered in the order they appear (0: no connection), then renumbered in
    // the order of their ids, so that a number compares as its id and indexes a vector. The log
    // has numbered the ids already: a connection is found by its id's number.
    std::vector<SortEntry> events;
    events.reserve(all.size());
    std::vector<uint32_t> conn_of_ref(log.refs(), k_none);
    std::vector<EventLog::Ref> ids{0};                   // by connection, in order of appearance
    size_t joins = 0, chat_messages = 0, poll_votes = 0; // at most; to reserve
    for (const auto& e : all) {
        if (any_mapped && e.raw) continue;
        uint32_t n = 0;
        if (e.user_id != 0) {
            uint32_t& c = conn_of_ref[e.user_id];
            if (c == k_none) {
                c = static_cast<uint32_t>(ids.size());
                ids.push_back(e.user_id);
            }
            n = c;
        }
        events.push_back({e.ts, order_key(e, n), &e});
        joins += e.kind == EventKind::user_joined;
        chat_messages += e.kind == EventKind::chat_message;
        poll_votes += e.kind == EventKind::poll_responded;
    }
    std::vector<uint32_t> by_id(ids.size());
    std::iota(by_id.begin(), by_id.end(), 0u);
    std::sort(by_id.begin() + 1, by_id.end(),
              [&](uint32_t a, uint32_t b) { return log.str(ids[a]) < log.str(ids[b]); });
    std::vector<uint32_t> renumber(ids.size());
    std::vector<Connection> conns(ids.size()); // in id order, as a std::map iterates
    for (uint32_t i = 0; i < by_id.size(); ++i) {
        renumber[by_id[i]] = i;
        conns[i].id = ids[by_id[i]];
    }
    for (auto& s : events)
        s.key = (s.key & ~k_conn_mask) | renumber[conn_of(s)];

    // 2. Time order (exactly event_less's); exact duplicates (retries, several hooks) collapse.
    sort_events(events, EntryLess{log});
    events.erase(std::unique(events.begin(), events.end(),
                             [](const SortEntry& a, const SortEntry& b) {
                                 return a.ts == b.ts && a.key == b.key && *a.event == *b.event;
                             }),
                 events.end());
    r.distinct_events = static_cast<int64_t>(events.size());

    // 3. The meeting's span.
    std::optional<int64_t> end;
    for (const SortEntry& s : events) {
        const EventLog::Event& e = *s.event;
        if (!r.first_event || e.ts < *r.first_event) r.first_event = e.ts;
        if (counts_as_activity(e.kind) && (!r.last_activity || e.ts > *r.last_activity)) r.last_activity = e.ts;
        if (e.kind == EventKind::meeting_ended && !end) end = e.ts;
        if (e.kind == EventKind::recording_archived && e.flag >= 0) r.recorded = e.flag == 1;
    }
    bool inferred = !end && r.last_activity && (ctx.superseded || ctx.clock - *r.last_activity >= ctx.idle_close);
    r.end = end ? EndReason::ended : inferred ? EndReason::inferred : EndReason::running;
    r.ended = end ? end : inferred ? r.last_activity : std::nullopt;

    // 4. Replay in time order.
    std::vector<Stay> stays;
    stays.reserve(joins);
    std::vector<Tally> chats, polls;
    chats.reserve(chat_messages);
    polls.reserve(poll_votes);
    std::forward_list<std::string> chat_ts; // ids of messages without one; views into it stay valid
    auto close = [&](Connection& c, int64_t t, ClosedBy by) {
        auto& stay = stays[c.interval];
        stay.left = t;
        stay.closed_by = by;
        c.present = false;
        c.stop_timers(t);
    };
    for (const SortEntry& s : events) {
        const EventLog::Event& e = *s.event;
        uint32_t n = conn_of(s);
        Connection* c = n ? &conns[n] : nullptr;
        if (c) {
            // Who the connection is, from every event (an early event may lack what a later one says).
            if (c->ext == 0) c->ext = e.user_ext_id;
            if (e.guest == 1)
                c->guest = 1;
            else if (e.guest == 0 && c->guest < 0)
                c->guest = 0;
            if (e.name != 0 && e.ts >= c->name_ts) {
                c->name = log.str(e.name);
                c->name_ts = e.ts;
            }
            if (e.role != 0) c->role = log.str(e.role);
        }
        // After the end only the spoofed user-left events remain: they close at the end.
        if (end && e.ts > *end && e.kind != EventKind::user_left) continue;
        switch (e.kind) {
        case EventKind::user_joined:
            if (c && !c->present) {
                c->present = true;
                c->interval = stays.size();
                stays.push_back({n, c->name, c->role, e.ts, std::nullopt, ClosedBy::open});
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
            for (auto& other : conns)
                if (other.present) close(other, e.ts, ClosedBy::meeting_ended);
            break;
        case EventKind::presenter_assigned:
            for (auto& other : conns)
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
                if (std::ranges::find(c->streams, e.extra) == c->streams.end()) c->streams.push_back(e.extra);
                c->cam.start(e.ts);
            }
            break;
        case EventKind::cam_stopped:
            if (c) {
                if (e.extra == 0)
                    c->streams.clear();
                else if (auto it = std::ranges::find(c->streams, e.extra); it != c->streams.end())
                    c->streams.erase(it);
                if (c->streams.empty()) c->cam.stop(e.ts);
            }
            break;
        case EventKind::chat_message:
            if (c) chats.emplace_back(n, e.extra == 0 ? chat_ts.emplace_front(std::to_string(e.ts)) : log.str(e.extra));
            break;
        case EventKind::raise_hand:
            if (c) {
                if (e.flag == 1 && !c->hand) ++c->raise_hands;
                c->hand = e.flag == 1;
            }
            break;
        case EventKind::emoji:
            if (c) {
                std::string_view emoji = log.str(e.extra);
                bool reaction = !emoji.empty() && emoji != "none" && emoji != "raiseHand";
                if (reaction && emoji != c->emoji) ++c->reactions;
                c->emoji = emoji;
            }
            break;
        case EventKind::poll_responded:
            if (c && e.extra != 0) polls.emplace_back(n, log.str(e.extra));
            break;
        default: break;
        }
    }

    // 5. Who is still present: closed at the last activity when the meeting is inferred to have
    //    ended; otherwise left open, with time counted up to the last activity.
    for (auto& c : conns) {
        if (!c.present) continue;
        if (inferred)
            close(c, *r.last_activity, ClosedBy::inferred);
        else
            c.stop_timers(r.last_activity.value_or(0));
    }

    // 6. People: a person is an external user id; guests and anonymous users are their connection.
    //    Intervals are visited in the order they opened: of two names seen at the same time, the
    //    later interval's wins.
    //    A person is found by the number of their key's string in the log.
    std::vector<uint32_t> person_of_ref(log.refs(), k_none);
    std::vector<PersonState> persons;
    persons.reserve(conns.size());
    for (const Stay& s : stays) {
        auto& c = conns[s.conn];
        bool fresh = false;
        if (c.person == k_none) {
            bool anonymous = c.ext == 0 || c.ext == c.id || c.guest == 1;
            EventLog::Ref key = anonymous ? c.id : c.ext;
            uint32_t& number = person_of_ref[key];
            fresh = number == k_none;
            if (fresh) {
                number = static_cast<uint32_t>(persons.size());
                persons.push_back({log.str(key), log.str(anonymous ? 0 : c.ext), c.guest == 1, c.name, c.name_ts});
            }
            c.person = number;
        }
        auto& p = persons[c.person];
        if (!fresh && c.name_ts >= p.name_ts && !c.name.empty()) {
            p.name = c.name;
            p.name_ts = c.name_ts;
        }
    }
    // People and attendance come out in the order of their keys, as a std::map iterates.
    std::vector<uint32_t> by_key(persons.size());
    std::iota(by_key.begin(), by_key.end(), 0u);
    std::ranges::sort(by_key, [&](uint32_t a, uint32_t b) { return persons[a].key < persons[b].key; });
    r.people.resize(persons.size());
    r.attendance.resize(persons.size());
    for (uint32_t i = 0; i < by_key.size(); ++i) {
        auto& p = persons[by_key[i]];
        p.place = i;
        r.people[i].key = p.key;
        r.people[i].external_id = p.external_id;
        r.people[i].guest = p.guest;
        r.people[i].name = p.name;
        r.people[i].name_ts = p.name_ts;
        r.attendance[i].name = p.name;
    }

    // 7. Attendance per person: the union of their intervals and the sum of their activity.
    //    Intervals in the order they opened: of two joins at the same time, the later one's role.
    struct Span {
        uint32_t place;
        int64_t joined, stop;
        auto operator<=>(const Span&) const = default;
    };
    std::vector<Span> spans;
    spans.reserve(stays.size());
    for (uint32_t i = 0; i < stays.size(); ++i) {
        const Stay& s = stays[i];
        auto& p = persons[conns[s.conn].person];
        auto& a = r.attendance[p.place];
        int64_t stop = s.left.value_or(r.last_activity.value_or(s.joined));
        spans.push_back({p.place, s.joined, std::max(stop, s.joined)});
        if (!s.left)
            p.open = true;
        else if (!a.last_leave || *s.left > *a.last_leave)
            a.last_leave = s.left;
        if (p.latest == k_none || s.joined >= stays[p.latest].joined) p.latest = i;
        ++a.joins;
    }
    for (const auto& p : persons) {
        auto& a = r.attendance[p.place];
        if (p.open) a.last_leave.reset();
        a.role = stays[p.latest].role;
    }
    std::ranges::sort(spans);
    for (size_t i = 0; i < spans.size();) {
        uint32_t place = spans[i].place;
        auto& a = r.attendance[place];
        a.first_join = spans[i].joined;
        int64_t cur_start = spans[i].joined, cur_end = spans[i].stop;
        for (; i < spans.size() && spans[i].place == place; ++i) {
            if (spans[i].joined > cur_end) {
                a.online_ms += cur_end - cur_start;
                cur_start = spans[i].joined;
            }
            cur_end = std::max(cur_end, spans[i].stop);
        }
        a.online_ms += cur_end - cur_start;
    }
    for (const auto& c : conns) {
        if (c.person == k_none) continue;
        auto& a = r.attendance[persons[c.person].place];
        a.talk_ms += c.mic.total;
        a.webcam_ms += c.cam.total;
        a.presenter_ms += c.presenter.total;
        a.raise_hands += c.raise_hands;
        a.reactions += c.reactions;
    }
    count_distinct(chats, conns, persons, r.attendance, &Attendance::chat_messages);
    count_distinct(polls, conns, persons, r.attendance, &Attendance::poll_votes);

    // 8. Intervals by connection, then time. A connection opens at most one interval per
    //    millisecond (joins sort before leaves), so the order is total.
    std::vector<uint32_t> by_conn(stays.size());
    std::iota(by_conn.begin(), by_conn.end(), 0u);
    std::ranges::sort(by_conn, [&](uint32_t a, uint32_t b) {
        return std::tie(stays[a].conn, stays[a].joined) < std::tie(stays[b].conn, stays[b].joined);
    });
    r.intervals.resize(stays.size());
    for (size_t k = 0; k < by_conn.size(); ++k) {
        const Stay& s = stays[by_conn[k]];
        auto& iv = r.intervals[k];
        iv.connection = log.str(conns[s.conn].id);
        iv.person = persons[conns[s.conn].person].place;
        iv.name = s.name;
        iv.role = s.role;
        iv.joined = s.joined;
        iv.left = s.left;
        iv.closed_by = s.closed_by;
    }
    return r;
}

} // namespace bbbhook::ingest
