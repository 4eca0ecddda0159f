#pragma once
// Sessionization of one meeting: a pure function of the meeting's events and the journal's clock
// (docs/INGEST.md). Order of arrival, duplicates and batch boundaries do not change the result.
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bbbhook/ingest/event_log.hpp"

namespace bbbhook::ingest {

enum class ClosedBy { left, meeting_ended, inferred, open };
std::string_view closed_by_name(ClosedBy c);

struct Interval {
    std::string connection;
    size_t person = 0; // its person in MeetingResult::people
    std::string name, role;
    int64_t joined = 0;
    std::optional<int64_t> left; // nullopt while open
    ClosedBy closed_by = ClosedBy::open;
};

struct Person {
    std::string key;         // external user id, or the connection for guests and anonymous users
    std::string external_id; // "" for guests and anonymous users
    bool guest = false;
    std::string name;    // the name seen last in this meeting
    int64_t name_ts = 0; // when
};

// A person's attendance: MeetingResult::attendance[i] is MeetingResult::people[i]'s.
struct Attendance {
    std::string name, role;
    int64_t first_join = 0;
    std::optional<int64_t> last_leave; // nullopt while present
    int64_t online_ms = 0;             // union of the person's intervals; open ones count up to the last activity
    int64_t joins = 0;
    int64_t talk_ms = 0, webcam_ms = 0, presenter_ms = 0;
    int64_t chat_messages = 0, raise_hands = 0, reactions = 0, poll_votes = 0;
};

enum class EndReason { running, ended, inferred };

struct MeetingResult {
    EndReason end = EndReason::running;
    std::optional<int64_t> ended;                      // meeting-ended, or the last activity when inferred
    std::optional<int64_t> first_event, last_activity; // last activity ignores rap-* events
    std::optional<bool> recorded;
    int64_t distinct_events = 0; // after duplicates collapsed
    std::vector<Interval> intervals;
    std::vector<Person> people;         // in the order of their keys
    std::vector<Attendance> attendance; // attendance[i] is people[i]'s
    bool finalized() const { return end != EndReason::running; }
};

struct MeetingContext {
    int64_t clock = 0;       // the journal's clock: when the newest record was received
    int64_t idle_close = 0;  // ms without activity after which a meeting is closed as inferred
    bool superseded = false; // a later session of the same external meeting id has started
};

// Recomputes a meeting from all its events (any order, duplicates allowed). The strings of the
// result are copies: the log may change after.
MeetingResult sessionize(const EventLog& events, const MeetingContext& context);
MeetingResult sessionize(const std::vector<StoredEvent>& events, const MeetingContext& context);

} // namespace bbbhook::ingest
