#include "bbbhook/bbb/events.hpp"

#include <charconv>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "bbbhook/util/form.hpp"

namespace bbbhook::bbb {

using json = nlohmann::json;

std::string_view event_kind_name(EventKind kind) {
    switch (kind) {
    case EventKind::meeting_created: return "meeting-created";
    case EventKind::meeting_ended: return "meeting-ended";
    case EventKind::user_joined: return "user-joined";
    case EventKind::user_left: return "user-left";
    case EventKind::presenter_assigned: return "presenter-assigned";
    case EventKind::presenter_unassigned: return "presenter-unassigned";
    case EventKind::voice_enabled: return "voice-enabled";
    case EventKind::voice_disabled: return "voice-disabled";
    case EventKind::audio_muted: return "muted";
    case EventKind::audio_unmuted: return "unmuted";
    case EventKind::cam_started: return "cam-started";
    case EventKind::cam_stopped: return "cam-stopped";
    case EventKind::chat_message: return "chat-message";
    case EventKind::raise_hand: return "raise-hand";
    case EventKind::emoji: return "emoji";
    case EventKind::poll_responded: return "poll-responded";
    case EventKind::recording_archived: return "recording-archived";
    case EventKind::rap: return "rap";
    case EventKind::other: return "other";
    case EventKind::unknown: return "unknown";
    }
    return "?";
}

namespace {

// JSON access that never throws: absent or mistyped fields are simply not there.
const json* at(const json& j, std::string_view key) {
    if (!j.is_object()) return nullptr;
    auto it = j.find(key);
    return it == j.end() ? nullptr : &*it;
}
std::string str(const json& j, std::string_view key) {
    const json* v = at(j, key);
    if (!v) return {};
    if (v->is_string()) return v->get<std::string>();
    if (v->is_number_integer()) return std::to_string(v->get<int64_t>());
    return {};
}
int8_t tristate(const json& j, std::string_view key) {
    const json* v = at(j, key);
    return v && v->is_boolean() ? static_cast<int8_t>(v->get<bool>()) : int8_t{-1};
}
std::optional<int64_t> number(const json& j, std::string_view key) {
    const json* v = at(j, key);
    if (!v) return std::nullopt;
    if (v->is_number_integer()) return v->get<int64_t>();
    if (v->is_number_float()) return static_cast<int64_t>(v->get<double>());
    if (v->is_string()) { // raw messages carry some times as strings
        int64_t n = 0;
        const auto& s = v->get_ref<const std::string&>();
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
        if (ec == std::errc() && p == s.data() + s.size()) return n;
    }
    return std::nullopt;
}

const std::unordered_map<std::string_view, EventKind>& mapped_kinds() {
    static const std::unordered_map<std::string_view, EventKind> kinds = {
        {"meeting-created", EventKind::meeting_created},
        {"meeting-ended", EventKind::meeting_ended},
        {"user-joined", EventKind::user_joined},
        {"user-left", EventKind::user_left},
        {"user-presenter-assigned", EventKind::presenter_assigned},
        {"user-presenter-unassigned", EventKind::presenter_unassigned},
        {"user-audio-voice-enabled", EventKind::voice_enabled},
        {"user-audio-voice-disabled", EventKind::voice_disabled},
        {"user-audio-muted", EventKind::audio_muted},
        {"user-audio-unmuted", EventKind::audio_unmuted},
        {"user-cam-broadcast-start", EventKind::cam_started},
        {"user-cam-broadcast-end", EventKind::cam_stopped},
        {"chat-group-message-sent", EventKind::chat_message},
        {"user-raise-hand-changed", EventKind::raise_hand},
        {"user-emoji-changed", EventKind::emoji},
        {"poll-responded", EventKind::poll_responded},
        {"rap-archive-ended", EventKind::recording_archived},
        // Known, not used for attendance (bbb-webhooks.md §5.2).
        {"meeting-recording-started", EventKind::other},
        {"meeting-recording-stopped", EventKind::other},
        {"meeting-recording-unhandled", EventKind::other},
        {"meeting-screenshare-started", EventKind::other},
        {"meeting-screenshare-stopped", EventKind::other},
        {"meeting-presentation-changed", EventKind::other},
        {"user-audio-unhandled", EventKind::other},
        {"poll-started", EventKind::other},
        {"transcript-updated", EventKind::other},
        {"pad-content", EventKind::other},
        {"rap-published", EventKind::rap},
        {"rap-unpublished", EventKind::rap},
        {"rap-deleted", EventKind::rap},
        {"rap-archive-started", EventKind::rap},
        {"rap-sanity-started", EventKind::rap},
        {"rap-sanity-ended", EventKind::rap},
        {"rap-post-archive-started", EventKind::rap},
        {"rap-post-archive-ended", EventKind::rap},
        {"rap-process-started", EventKind::rap},
        {"rap-process-ended", EventKind::rap},
        {"rap-post-process-started", EventKind::rap},
        {"rap-post-process-ended", EventKind::rap},
        {"rap-publish-started", EventKind::rap},
        {"rap-publish-ended", EventKind::rap},
        {"rap-post-publish-started", EventKind::rap},
        {"rap-post-publish-ended", EventKind::rap},
    };
    return kinds;
}

void read_user(Event& e, const json& u) {
    e.user_id = str(u, "internal-user-id");
    e.user_ext_id = str(u, "external-user-id");
    e.name = str(u, "name");
    e.role = str(u, "role");
    e.guest = tristate(u, "guest");
    e.presenter = tristate(u, "presenter");
}

// The create call's meta_* parameters; Moodle puts its course id and site there (bbb-webhooks.md §5.3).
void read_metadata(MeetingInfo& info, const json& md) {
    if (!md.is_object()) return;
    info.metadata_json = md.dump(-1, ' ', false, json::error_handler_t::replace);
    info.moodle_course_id = str(md, "bbb-context-id");
    info.moodle_site = str(md, "bbb-origin-server-name");
}

MeetingInfo read_meeting_info(const json& m) {
    MeetingInfo info;
    info.name = str(m, "name");
    info.is_breakout = tristate(m, "is-breakout") == 1;
    info.parent_id = str(m, "parent-id");
    if (info.parent_id == "bbb-none") info.parent_id.clear();
    info.create_time = number(m, "create-time");
    if (const json* md = at(m, "metadata")) read_metadata(info, *md);
    return info;
}

std::optional<Event> decode_mapped(const json& data) {
    Event e;
    e.id = str(data, "id");
    if (e.id.empty()) return std::nullopt;
    auto it = mapped_kinds().find(e.id);
    e.kind = it == mapped_kinds().end() ? EventKind::unknown : it->second;
    const json* ev = at(data, "event");
    e.ts = ev ? number(*ev, "ts").value_or(0) : 0;
    if (e.id.starts_with("rap-")) e.ts *= 1000; // RAP events carry seconds (bbb-webhooks.md §5.7)
    const json* attrs = at(data, "attributes");
    if (!attrs) return e;
    if (const json* m = at(*attrs, "meeting")) {
        e.meeting_id = str(*m, "internal-meeting-id");
        e.meeting_ext_id = str(*m, "external-meeting-id");
        if (e.kind == EventKind::meeting_created) e.meeting = read_meeting_info(*m);
    }
    if (const json* u = at(*attrs, "user")) read_user(e, *u);
    switch (e.kind) {
    case EventKind::voice_enabled:
        if (const json* u = at(*attrs, "user"))
            e.flag =
                tristate(*u, "sharing-mic") == 1 && tristate(*u, "muted") != 1 && tristate(*u, "listening-only") != 1;
        break;
    case EventKind::cam_started:
    case EventKind::cam_stopped:
        if (const json* u = at(*attrs, "user")) e.extra = str(*u, "stream");
        break;
    case EventKind::chat_message:
        if (const json* cm = at(*attrs, "chat-message")) {
            e.extra = str(*cm, "id");
            if (const json* s = at(*cm, "sender")) read_user(e, *s);
        }
        break;
    case EventKind::raise_hand:
        if (const json* u = at(*attrs, "user")) {
            e.flag = tristate(*u, "raise-hand");
            if (e.flag < 0) e.flag = tristate(*u, "raiseHand"); // spoofed from emoji (BBB < 2.7)
        }
        break;
    case EventKind::emoji:
        if (const json* u = at(*attrs, "user")) e.extra = str(*u, "emoji");
        break;
    case EventKind::poll_responded:
        if (const json* p = at(*attrs, "poll")) e.extra = str(*p, "id");
        break;
    case EventKind::recording_archived: e.flag = tristate(*attrs, "recorded"); break;
    default: break;
    }
    return e;
}

// Raw messages of the recording scripts: {"header":{"name","current_time",…},"payload":{…}}.
std::optional<Event> decode_raw_rap(const json& msg) {
    const json* header = at(msg, "header");
    const json* payload = at(msg, "payload");
    if (!header || !payload) return std::nullopt;
    Event e;
    e.raw = true;
    e.id = str(*header, "name");
    e.ts = number(*header, "current_time").value_or(0) * 1000; // seconds, like the mapped rap-* events
    e.meeting_id = str(*payload, "meeting_id");
    e.kind = e.id == "archive_ended" ? EventKind::recording_archived : EventKind::rap;
    if (e.kind == EventKind::recording_archived) e.flag = tristate(*payload, "recorded");
    return e;
}

// Raw akka-apps messages: the same facts under other names (bbb-webhooks.md §6).
std::optional<Event> decode_raw(const json& msg) {
    const json* env = at(msg, "envelope");
    const json* core = at(msg, "core");
    if (!env || !core) return decode_raw_rap(msg);
    Event e;
    e.raw = true;
    e.id = str(*env, "name");
    e.ts = number(*env, "timestamp").value_or(0);
    const json* header = at(*core, "header");
    const json* body = at(*core, "body");
    static const json empty = json::object();
    const json& h = header ? *header : empty;
    const json& b = body ? *body : empty;
    e.meeting_id = str(h, "meetingId");
    std::string user = str(h, "userId");
    if (user == "not-used") user.clear();
    e.user_id = user;
    const std::string& n = e.id;
    if (n == "MeetingCreatedEvtMsg") {
        e.kind = EventKind::meeting_created;
        const json* props = at(b, "props");
        const json& p = props ? *props : empty;
        const json* mp = at(p, "meetingProp");
        MeetingInfo info;
        if (mp) {
            info.name = str(*mp, "name");
            e.meeting_ext_id = str(*mp, "extId");
            e.meeting_id = str(*mp, "intId");
            info.is_breakout = tristate(*mp, "isBreakout") == 1;
        }
        if (const json* bp = at(p, "breakoutProps")) info.parent_id = str(*bp, "parentId");
        if (info.parent_id == "bbb-none") info.parent_id.clear();
        if (const json* dp = at(p, "durationProps")) info.create_time = number(*dp, "createdTime");
        if (const json* mdp = at(p, "metadataProp"))
            if (const json* md = at(*mdp, "metadata")) read_metadata(info, *md);
        e.meeting = std::move(info);
    } else if (n == "MeetingDestroyedEvtMsg" || n == "MeetingEndedEvtMsg") {
        e.kind = EventKind::meeting_ended;
        if (e.meeting_id.empty()) e.meeting_id = str(b, "meetingId");
    } else if (n == "UserJoinedMeetingEvtMsg") {
        e.kind = EventKind::user_joined;
        e.user_id = str(b, "intId");
        e.user_ext_id = str(b, "extId");
        e.name = str(b, "name");
        e.role = str(b, "role");
        e.guest = tristate(b, "guest");
        e.presenter = tristate(b, "presenter");
    } else if (n == "UserLeftMeetingEvtMsg") {
        e.kind = EventKind::user_left;
        e.user_id = str(b, "intId");
    } else if (n == "PresenterAssignedEvtMsg" || n == "PresenterUnassignedEvtMsg") {
        e.kind = n == "PresenterAssignedEvtMsg" ? EventKind::presenter_assigned : EventKind::presenter_unassigned;
        std::string who = str(b, n == "PresenterAssignedEvtMsg" ? "presenterId" : "intId");
        if (!who.empty()) e.user_id = who;
    } else if (n == "UserJoinedVoiceConfToClientEvtMsg") {
        e.kind = EventKind::voice_enabled;
        e.user_id = str(b, "intId");
        e.flag = tristate(b, "muted") != 1 && tristate(b, "listenOnly") != 1;
    } else if (n == "UserLeftVoiceConfToClientEvtMsg") {
        e.kind = EventKind::voice_disabled;
        e.user_id = str(b, "intId");
    } else if (n == "UserMutedVoiceEvtMsg") {
        e.kind = tristate(b, "muted") == 1 ? EventKind::audio_muted : EventKind::audio_unmuted;
        e.user_id = str(b, "intId");
    } else if (n == "UserBroadcastCamStartedEvtMsg" || n == "UserBroadcastCamStoppedEvtMsg") {
        e.kind = n == "UserBroadcastCamStartedEvtMsg" ? EventKind::cam_started : EventKind::cam_stopped;
        e.user_id = str(b, "userId");
        e.extra = str(b, "stream");
    } else if (n == "GroupChatMessageBroadcastEvtMsg") {
        if (str(b, "chatId") != "MAIN-PUBLIC-GROUP-CHAT") {
            e.kind = EventKind::other;
        } else {
            e.kind = EventKind::chat_message;
            if (const json* m = at(b, "msg")) {
                e.extra = str(*m, "id");
                if (const json* s = at(*m, "sender")) {
                    e.user_id = str(*s, "id");
                    e.name = str(*s, "name");
                }
            }
        }
    } else if (n == "UserRaiseHandChangedEvtMsg") {
        e.kind = EventKind::raise_hand;
        e.user_id = str(b, "userId");
        e.flag = tristate(b, "raiseHand");
    } else if (n == "UserReactionEmojiChangedEvtMsg" || n == "UserEmojiChangedEvtMsg") {
        e.kind = EventKind::emoji;
        e.user_id = str(b, "userId");
        e.extra = str(b, n == "UserEmojiChangedEvtMsg" ? "emoji" : "reactionEmoji");
    } else if (n == "UserRespondedToPollRespMsg") {
        e.kind = EventKind::poll_responded;
        e.user_id = str(b, "userId"); // raw messages name the responder (unlike mapped ones)
        e.extra = str(b, "pollId");
    } else {
        e.kind = EventKind::other; // any other akka message bbb-webhooks forwards
    }
    return e;
}

} // namespace

std::expected<Callback, std::string> decode_callback(std::string_view body) {
    auto fields = util::parse_form(body);
    if (!fields)
        return std::unexpected(
            fmt::format("malformed form at byte {}: {}", fields.error().offset, fields.error().message));
    Callback cb;
    if (const std::string* d = util::form_value(*fields, "domain")) cb.domain = *d;
    if (const std::string* t = util::form_value(*fields, "timestamp")) {
        int64_t n = 0;
        auto [p, ec] = std::from_chars(t->data(), t->data() + t->size(), n);
        if (ec == std::errc() && p == t->data() + t->size()) cb.timestamp = n;
    }
    const std::string* event = util::form_value(*fields, "event");
    if (!event) return std::unexpected("the form has no 'event' field");
    json j = json::parse(*event, nullptr, false);
    if (j.is_discarded()) return std::unexpected("the 'event' field is not valid JSON");
    if (j.is_object()) j = json::array({std::move(j)}); // tolerate a single object
    if (!j.is_array()) return std::unexpected("the 'event' field is not a JSON array");
    for (const auto& element : j) {
        std::optional<Event> e;
        if (const json* data = at(element, "data"))
            e = decode_mapped(*data);
        else
            e = decode_raw(element);
        if (e) cb.events.push_back(std::move(*e));
    }
    return cb;
}

} // namespace bbbhook::bbb
