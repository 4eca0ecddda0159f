#include "bbbhook/bbb/events.hpp"

#include <charconv>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <simdjson.h>
#include <unordered_map>

#include "bbbhook/util/form.hpp"

namespace bbbhook::bbb {

using J = simdjson::dom::element;

namespace {

// A node, or nothing (an absent or mistyped field), used as std::optional<J> was: that took 24
// bytes, passed through the stack, written in halves and read whole by the next call, a load
// the stores could not be forwarded to at every field lookup (a third of the reader thread's
// decoding). Nothing is a JSON null of a document of its own, so an OJ is a J: 16 bytes, in
// two registers. A null in the data reads as nothing, as a mistyped node always did.
class OJ {
public:
    OJ() : m_node(null_node()) {}
    OJ(J node) : m_node(node) {}
    explicit operator bool() const { return !m_node.is_null(); }
    J operator*() const { return m_node; }
    const J* operator->() const { return &m_node; }

private:
    static J null_node() {
        static simdjson::dom::parser parser;
        static const J null = parser.parse(std::string_view("null")).value_unsafe();
        return null;
    }
    J m_node;
};

} // namespace

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

// JSON access that never fails: absent or mistyped fields are simply not there.
OJ at(OJ j, std::string_view key) {
    J v;
    if (j->at_key(key).get(v) != simdjson::SUCCESS) return {};
    return v;
}
// A string or integer node into `out` (its capacity reused), integers as their decimal text.
void str_of(std::string& out, J v) {
    std::string_view sv;
    int64_t i = 0;
    uint64_t u = 0;
    char digits[24];
    if (v.get_string().get(sv) == simdjson::SUCCESS) {
        out.assign(sv);
    } else if (v.get_int64().get(i) == simdjson::SUCCESS) {
        out.assign(digits, std::to_chars(digits, digits + sizeof digits, i).ptr);
    } else if (v.get_uint64().get(u) == simdjson::SUCCESS) {
        out.assign(digits, std::to_chars(digits, digits + sizeof digits, u).ptr);
    }
}
// A boolean node as 0 or 1; anything else -1.
int8_t tristate_of(J v) {
    bool b = false;
    return v.get_bool().get(b) == simdjson::SUCCESS ? static_cast<int8_t>(b) : int8_t{-1};
}
// A string field into `out`, cleared when the field is absent.
void str(std::string& out, OJ j, std::string_view key) {
    out.clear();
    if (OJ v = at(j, key)) str_of(out, *v);
}
std::string str(OJ j, std::string_view key) {
    std::string s;
    str(s, j, key);
    return s;
}
int8_t tristate(OJ j, std::string_view key) {
    OJ v = at(j, key);
    return v ? tristate_of(*v) : int8_t{-1};
}
std::optional<int64_t> number(OJ j, std::string_view key) {
    OJ v = at(j, key);
    if (!v) return std::nullopt;
    int64_t i = 0;
    uint64_t u = 0;
    double d = 0;
    std::string_view s;
    if (v->get_int64().get(i) == simdjson::SUCCESS) return i;
    if (v->get_uint64().get(u) == simdjson::SUCCESS) return static_cast<int64_t>(u);
    if (v->get_double().get(d) == simdjson::SUCCESS) return static_cast<int64_t>(d);
    if (v->get_string().get(s) == simdjson::SUCCESS) { // raw messages carry some times as strings
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), i);
        if (ec == std::errc() && p == s.data() + s.size()) return i;
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

// One pass over the user object's fields: a lookup per field (at_key) scanned the object six
// times, on every event (the reader thread's largest cost after decoding the form). Of a field
// given twice the first counts, as with at_key.
void read_user(Event& e, OJ u) {
    e.user_id.clear();
    e.user_ext_id.clear();
    e.name.clear();
    e.role.clear();
    e.guest = e.presenter = -1;
    simdjson::dom::object object;
    if (!u || u->get_object().get(object) != simdjson::SUCCESS) return;
    bool seen[6] = {};
    for (auto field : object) {
        std::string_view key = field.key;
        int which = key == "internal-user-id"   ? 0
                    : key == "external-user-id" ? 1
                    : key == "name"             ? 2
                    : key == "role"             ? 3
                    : key == "guest"            ? 4
                    : key == "presenter"        ? 5
                                                : -1;
        if (which < 0 || seen[which]) continue;
        seen[which] = true;
        switch (which) {
        case 0: str_of(e.user_id, field.value); break;
        case 1: str_of(e.user_ext_id, field.value); break;
        case 2: str_of(e.name, field.value); break;
        case 3: str_of(e.role, field.value); break;
        case 4: e.guest = tristate_of(field.value); break;
        case 5: e.presenter = tristate_of(field.value); break;
        }
    }
}

// The create call's meta_* parameters; Moodle puts its course id and site there (bbb-webhooks.md §5.3).
// Stored as nlohmann dumps it (keys sorted), whatever order BBB sent them in.
void read_metadata(MeetingInfo& info, OJ md) {
    if (!md || !md->is_object()) return;
    auto j = nlohmann::json::parse(simdjson::minify(*md), nullptr, false);
    info.metadata_json = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    info.moodle_course_id = str(md, "bbb-context-id");
    info.moodle_site = str(md, "bbb-origin-server-name");
}

MeetingInfo read_meeting_info(OJ m) {
    MeetingInfo info;
    info.name = str(m, "name");
    info.is_breakout = tristate(m, "is-breakout") == 1;
    info.parent_id = str(m, "parent-id");
    if (info.parent_id == "bbb-none") info.parent_id.clear();
    info.create_time = number(m, "create-time");
    read_metadata(info, at(m, "metadata"));
    return info;
}

bool decode_mapped(OJ data, Event& e) {
    OJ id_node = at(data, "id");
    if (id_node) str_of(e.id, *id_node);
    if (e.id.empty()) return false;
    // The kind is found from the document's string, not from e.id: a string copied a moment ago
    // is two overlapping stores (memcpy of 16 to 31 bytes), and a load spanning both waits until
    // they are written out (hashing e.id here was 4% of all samples).
    std::string_view id; // a numeric id stays "": unknown
    if (id_node->get_string().get(id) != simdjson::SUCCESS) id = {};
    auto it = mapped_kinds().find(id);
    e.kind = it == mapped_kinds().end() ? EventKind::unknown : it->second;
    e.ts = number(at(data, "event"), "ts").value_or(0);
    if (id.starts_with("rap-")) e.ts *= 1000; // RAP events carry seconds (bbb-webhooks.md §5.7)
    OJ attrs = at(data, "attributes");
    if (!attrs) return true;
    if (OJ m = at(attrs, "meeting")) {
        str(e.meeting_id, m, "internal-meeting-id");
        str(e.meeting_ext_id, m, "external-meeting-id");
        if (e.kind == EventKind::meeting_created) e.meeting = read_meeting_info(m);
    }
    OJ user = at(attrs, "user");
    if (user) read_user(e, user);
    switch (e.kind) {
    case EventKind::voice_enabled:
        if (user)
            e.flag = tristate(user, "sharing-mic") == 1 && tristate(user, "muted") != 1 &&
                     tristate(user, "listening-only") != 1;
        break;
    case EventKind::cam_started:
    case EventKind::cam_stopped: str(e.extra, user, "stream"); break;
    case EventKind::chat_message:
        if (OJ cm = at(attrs, "chat-message")) {
            str(e.extra, cm, "id");
            if (OJ sender = at(cm, "sender")) read_user(e, sender);
        }
        break;
    case EventKind::raise_hand:
        if (user) {
            e.flag = tristate(user, "raise-hand");
            if (e.flag < 0) e.flag = tristate(user, "raiseHand"); // spoofed from emoji (BBB < 2.7)
        }
        break;
    case EventKind::emoji: str(e.extra, user, "emoji"); break;
    case EventKind::poll_responded: str(e.extra, at(attrs, "poll"), "id"); break;
    case EventKind::recording_archived: e.flag = tristate(attrs, "recorded"); break;
    default: break;
    }
    return true;
}

// Raw messages of the recording scripts: {"header":{"name","current_time",…},"payload":{…}}.
bool decode_raw_rap(OJ msg, Event& e) {
    OJ header = at(msg, "header");
    OJ payload = at(msg, "payload");
    if (!header || !payload) return false;
    e.raw = true;
    str(e.id, header, "name");
    e.ts = number(header, "current_time").value_or(0) * 1000; // seconds, like the mapped rap-* events
    str(e.meeting_id, payload, "meeting_id");
    e.kind = e.id == "archive_ended" ? EventKind::recording_archived : EventKind::rap;
    if (e.kind == EventKind::recording_archived) e.flag = tristate(payload, "recorded");
    return true;
}

// Raw akka-apps messages: the same facts under other names (bbb-webhooks.md §6).
bool decode_raw(OJ msg, Event& e, std::string& scratch) {
    OJ env = at(msg, "envelope");
    OJ core = at(msg, "core");
    if (!env || !core) return decode_raw_rap(msg, e);
    e.raw = true;
    str(e.id, env, "name");
    e.ts = number(env, "timestamp").value_or(0);
    OJ h = at(core, "header");
    OJ b = at(core, "body");
    str(e.meeting_id, h, "meetingId");
    str(e.user_id, h, "userId");
    if (e.user_id == "not-used") e.user_id.clear();
    const std::string& n = e.id;
    if (n == "MeetingCreatedEvtMsg") {
        e.kind = EventKind::meeting_created;
        OJ p = at(b, "props");
        MeetingInfo info;
        if (OJ mp = at(p, "meetingProp")) {
            info.name = str(mp, "name");
            str(e.meeting_ext_id, mp, "extId");
            str(e.meeting_id, mp, "intId");
            info.is_breakout = tristate(mp, "isBreakout") == 1;
        }
        info.parent_id = str(at(p, "breakoutProps"), "parentId");
        if (info.parent_id == "bbb-none") info.parent_id.clear();
        if (OJ dp = at(p, "durationProps")) info.create_time = number(dp, "createdTime");
        read_metadata(info, at(at(p, "metadataProp"), "metadata"));
        e.meeting = std::move(info);
    } else if (n == "MeetingDestroyedEvtMsg" || n == "MeetingEndedEvtMsg") {
        e.kind = EventKind::meeting_ended;
        if (e.meeting_id.empty()) str(e.meeting_id, b, "meetingId");
    } else if (n == "UserJoinedMeetingEvtMsg") {
        e.kind = EventKind::user_joined;
        str(e.user_id, b, "intId");
        str(e.user_ext_id, b, "extId");
        str(e.name, b, "name");
        str(e.role, b, "role");
        e.guest = tristate(b, "guest");
        e.presenter = tristate(b, "presenter");
    } else if (n == "UserLeftMeetingEvtMsg") {
        e.kind = EventKind::user_left;
        str(e.user_id, b, "intId");
    } else if (n == "PresenterAssignedEvtMsg" || n == "PresenterUnassignedEvtMsg") {
        e.kind = n == "PresenterAssignedEvtMsg" ? EventKind::presenter_assigned : EventKind::presenter_unassigned;
        str(scratch, b, n == "PresenterAssignedEvtMsg" ? "presenterId" : "intId");
        if (!scratch.empty()) e.user_id = scratch;
    } else if (n == "UserJoinedVoiceConfToClientEvtMsg") {
        e.kind = EventKind::voice_enabled;
        str(e.user_id, b, "intId");
        e.flag = tristate(b, "muted") != 1 && tristate(b, "listenOnly") != 1;
    } else if (n == "UserLeftVoiceConfToClientEvtMsg") {
        e.kind = EventKind::voice_disabled;
        str(e.user_id, b, "intId");
    } else if (n == "UserMutedVoiceEvtMsg") {
        e.kind = tristate(b, "muted") == 1 ? EventKind::audio_muted : EventKind::audio_unmuted;
        str(e.user_id, b, "intId");
    } else if (n == "UserBroadcastCamStartedEvtMsg" || n == "UserBroadcastCamStoppedEvtMsg") {
        e.kind = n == "UserBroadcastCamStartedEvtMsg" ? EventKind::cam_started : EventKind::cam_stopped;
        str(e.user_id, b, "userId");
        str(e.extra, b, "stream");
    } else if (n == "GroupChatMessageBroadcastEvtMsg") {
        str(scratch, b, "chatId");
        if (scratch != "MAIN-PUBLIC-GROUP-CHAT") {
            e.kind = EventKind::other;
        } else {
            e.kind = EventKind::chat_message;
            if (OJ m = at(b, "msg")) {
                str(e.extra, m, "id");
                if (OJ sender = at(m, "sender")) {
                    str(e.user_id, sender, "id");
                    str(e.name, sender, "name");
                }
            }
        }
    } else if (n == "UserRaiseHandChangedEvtMsg") {
        e.kind = EventKind::raise_hand;
        str(e.user_id, b, "userId");
        e.flag = tristate(b, "raiseHand");
    } else if (n == "UserReactionEmojiChangedEvtMsg" || n == "UserEmojiChangedEvtMsg") {
        e.kind = EventKind::emoji;
        str(e.user_id, b, "userId");
        str(e.extra, b, n == "UserEmojiChangedEvtMsg" ? "emoji" : "reactionEmoji");
    } else if (n == "UserRespondedToPollRespMsg") {
        e.kind = EventKind::poll_responded;
        str(e.user_id, b, "userId"); // raw messages name the responder (unlike mapped ones)
        str(e.extra, b, "pollId");
    } else {
        e.kind = EventKind::other; // any other akka message bbb-webhooks forwards
    }
    return true;
}

// Clears an event for reuse, keeping its strings' capacity.
void reset(Event& e) {
    e.kind = EventKind::unknown;
    e.id.clear();
    e.raw = false;
    e.ts = 0;
    e.meeting_id.clear();
    e.meeting_ext_id.clear();
    e.user_id.clear();
    e.user_ext_id.clear();
    e.name.clear();
    e.role.clear();
    e.guest = e.presenter = e.flag = -1;
    e.extra.clear();
    e.meeting.reset();
}

std::unexpected<std::string> malformed(size_t offset, std::string_view message) {
    return std::unexpected(fmt::format("malformed form at byte {}: {}", offset, message));
}

} // namespace

struct CallbackDecoder::Impl {
    simdjson::dom::parser parser;
    std::string json;    // the decoded `event` field, with room for simdjson's padding
    std::string name;    // a field name that needed decoding (rare)
    std::string scratch; // the `timestamp` field, odd raw fields
};

CallbackDecoder::CallbackDecoder() : m(std::make_unique<Impl>()) {}
CallbackDecoder::~CallbackDecoder() = default;

std::expected<void, std::string> CallbackDecoder::decode(std::string_view body, Callback& out) {
    out.domain.clear();
    out.timestamp.reset();
    m->json.clear();
    bool have_event = false, have_domain = false, have_timestamp = false;
    // The form: only `event`, `domain` and `timestamp` are decoded; every other value is only
    // checked, so a malformed body fails the same whatever field the bad escape is in.
    for (size_t pos = 0; pos <= body.size();) {
        size_t end = body.find('&', pos);
        if (end == std::string_view::npos) end = body.size();
        std::string_view piece = body.substr(pos, end - pos);
        if (!piece.empty()) {
            size_t eq = piece.find('=');
            std::string_view name = piece.substr(0, eq);
            if (name.find_first_of("%+") != std::string_view::npos) {
                m->name.clear();
                if (auto r = util::percent_decode_append(name, m->name); !r)
                    return malformed(pos + r.error().offset, r.error().message);
                name = m->name;
            }
            std::string_view value = eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1);
            size_t value_at = pos + (eq == std::string_view::npos ? piece.size() : eq + 1);
            std::string* target = nullptr;
            if (name == "event" && !have_event) {
                have_event = true;
                target = &m->json;
            } else if (name == "domain" && !have_domain) {
                have_domain = true;
                target = &out.domain;
            } else if (name == "timestamp" && !have_timestamp) {
                have_timestamp = true;
                target = &m->scratch;
                m->scratch.clear();
            }
            auto r = target ? util::percent_decode_append(value, *target) : util::check_escapes(value);
            if (!r) return malformed(value_at + r.error().offset, r.error().message);
            if (target == &m->scratch) {
                int64_t n = 0;
                const std::string& t = m->scratch;
                auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
                if (ec == std::errc() && p == t.data() + t.size()) out.timestamp = n;
            }
        }
        pos = end + 1;
    }
    if (!have_event) return std::unexpected("the form has no 'event' field");

    m->json.reserve(m->json.size() + simdjson::SIMDJSON_PADDING);
    J doc;
    if (m->parser.parse(m->json.data(), m->json.size(), false).get(doc) != simdjson::SUCCESS)
        return std::unexpected("the 'event' field is not valid JSON");
    size_t n = 0;
    auto add = [&](J element) {
        if (n == out.events.size()) out.events.emplace_back();
        Event& e = out.events[n];
        reset(e);
        OJ data = at(element, "data");
        bool ok = data ? decode_mapped(data, e) : decode_raw(element, e, m->scratch);
        if (ok) ++n;
    };
    simdjson::dom::array array;
    if (doc.is_object()) {
        add(doc); // tolerate a single object
    } else if (doc.get_array().get(array) == simdjson::SUCCESS) {
        for (J element : array)
            add(element);
    } else {
        return std::unexpected("the 'event' field is not a JSON array");
    }
    out.events.resize(n);
    return {};
}

std::expected<Callback, std::string> decode_callback(std::string_view body) {
    CallbackDecoder decoder;
    Callback cb;
    if (auto ok = decoder.decode(body, cb); !ok) return std::unexpected(ok.error());
    return cb;
}

} // namespace bbbhook::bbb
