#pragma once
// BBB webhook events, decoded from a callback body (bbb-webhooks.md §3.1, §5, §6).
//
// A body is a form with `domain`, `event` (a JSON array of one or more events) and `timestamp`,
// in any key order (v2 used event, timestamp, domain). Each element is either a mapped event
// ({"data":{"id":…,"attributes":…,"event":{"ts":…}}}) or a raw akka-apps message
// ({"envelope":{"name","timestamp"},"core":{"header","body"}}). Both decode to Event; every field
// is optional except the kind.
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bbbhook::bbb {

enum class EventKind : uint8_t {
    meeting_created,
    meeting_ended,
    user_joined,
    user_left,
    presenter_assigned,
    presenter_unassigned,
    voice_enabled, // flag: 1 when the microphone is open (sharing mic and not muted)
    voice_disabled,
    audio_muted,
    audio_unmuted,
    cam_started, // extra: stream id
    cam_stopped,
    chat_message,       // user: the sender; extra: message id
    raise_hand,         // flag: raised
    emoji,              // extra: the emoji or legacy name ("none" = cleared)
    poll_responded,     // extra: poll id
    recording_archived, // rap-archive-ended; flag: recorded
    rap,                // another rap-* event: recording processing, after the meeting
    other,              // a known event id that attendance does not use
    unknown,            // an id bbbhook does not know (counted, never fatal)
};
std::string_view event_kind_name(EventKind kind);

// meeting-created's meeting attributes.
struct MeetingInfo {
    std::string name;
    bool is_breakout = false;
    std::string parent_id; // internal id of the parent meeting ("" when not a breakout)
    std::optional<int64_t> create_time;
    std::string metadata_json;    // the metadata object as JSON ("" when absent)
    std::string moodle_course_id; // metadata bbb-context-id
    std::string moodle_site;      // metadata bbb-origin-server-name
};

struct Event {
    EventKind kind = EventKind::unknown;
    std::string id;             // data.id, or the raw message name
    bool raw = false;           // from a raw (getRaw=true) hook
    int64_t ts = 0;             // ms since the epoch (rap-* seconds are converted)
    std::string meeting_id;     // internal meeting id
    std::string meeting_ext_id; // external meeting id ("" when not given)
    std::string user_id;        // internal user id: the connection
    std::string user_ext_id;    // external user id ("" when not given)
    std::string name;           // "" when not given
    std::string role;           // "MODERATOR", "VIEWER" or ""
    int8_t guest = -1;          // -1 unknown, 0, 1
    int8_t presenter = -1;
    int8_t flag = -1;                   // see EventKind
    std::string extra;                  // see EventKind
    std::optional<MeetingInfo> meeting; // meeting_created only
};

struct Callback {
    std::string domain;
    std::optional<int64_t> timestamp;
    std::vector<Event> events;
};

// Decodes callback bodies, reusing its buffers and the output's storage from call to call: the
// hot path of ingest (simdjson, no allocation per event once warm). One per thread.
//
//   CallbackDecoder decoder;
//   Callback cb;
//   for (body : bodies) if (auto ok = decoder.decode(body, cb); ok) use(cb); else warn(ok.error());
class CallbackDecoder {
public:
    CallbackDecoder();
    ~CallbackDecoder();
    CallbackDecoder(const CallbackDecoder&) = delete;
    CallbackDecoder& operator=(const CallbackDecoder&) = delete;

    // Fails (with a one-line reason) when the form is malformed, has no `event`, or `event` is not
    // a JSON array (a single object is tolerated); elements that are not events are skipped,
    // unknown ids are returned as EventKind::unknown. Of repeated form fields the first counts.
    std::expected<void, std::string> decode(std::string_view body, Callback& out);

private:
    struct Impl;
    std::unique_ptr<Impl> m;
};

// One-off decoding (tests, cold paths).
std::expected<Callback, std::string> decode_callback(std::string_view body);

} // namespace bbbhook::bbb
