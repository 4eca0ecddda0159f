#include "bbbhook/hooks/hook_spec.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <map>

#include "bbbhook/util/text.hpp"

namespace bbbhook::hooks {

namespace {

// The eventID filter as bbb-webhooks stores it: lowercased, comma-joined.
std::string event_filter(const std::vector<std::string>& ids) {
    std::string out;
    for (const auto& id : ids) {
        if (!out.empty()) out += ',';
        for (char c : id)
            out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    return out;
}

} // namespace

std::vector<Param> create_params(const HookSpec& spec) {
    std::vector<Param> params{{"callbackURL", spec.callback_url}};
    if (spec.meeting_id) params.push_back({"meetingID", *spec.meeting_id});
    if (!spec.event_ids.empty()) params.push_back({"eventID", event_filter(spec.event_ids)});
    // bbb-webhooks JSON-parses getRaw: exactly "true" or "false" (§2.3).
    if (spec.get_raw) params.push_back({"getRaw", *spec.get_raw ? "true" : "false"});
    return params;
}

std::vector<std::string> spec_warnings(const HookSpec& spec) {
    std::vector<std::string> out;
    if (spec.meeting_id)
        out.push_back(fmt::format(
            "the hook is scoped to meeting '{}': bbb-webhooks 3.5.0 delivers a meeting's events to only the "
            "first hook scoped to it, so a second scoped hook gets nothing; a global hook is safer",
            util::printable(*spec.meeting_id, 80)));
    if (spec.get_raw.value_or(false) && !spec.event_ids.empty())
        out.push_back("getRaw=true with an eventID filter: raw events carry no event id, so bbb-webhooks "
                      "3.5.0 delivers (almost) nothing to such a hook");
    return out;
}

std::vector<std::string> differences(const HookSpec& spec, const HookInfo& hook) {
    std::vector<std::string> out;
    auto shown = [](const std::optional<std::string>& v, std::string_view none) {
        return v ? fmt::format("'{}'", util::printable(*v, 80)) : std::string(none);
    };
    if (spec.meeting_id != hook.meeting_id)
        out.push_back(fmt::format("meetingID is {}, wanted {}", shown(hook.meeting_id, "unset (global)"),
                                  shown(spec.meeting_id, "unset (global)")));
    std::optional<std::string> want_events;
    if (!spec.event_ids.empty()) want_events = event_filter(spec.event_ids);
    std::optional<std::string> have_events = hook.event_id;
    if (have_events && have_events->empty()) have_events.reset();
    if (want_events != have_events)
        out.push_back(fmt::format("eventID is {}, wanted {}", shown(have_events, "unset (every event)"),
                                  shown(want_events, "unset (every event)")));
    bool want_raw = spec.get_raw.value_or(false);
    if (hook.raw_data && *hook.raw_data != want_raw)
        out.push_back(fmt::format("getRaw is {}, wanted {}", *hook.raw_data, want_raw));
    return out;
}

std::vector<std::string> list_warnings(const std::vector<HookInfo>& hooks) {
    std::map<std::string, std::vector<std::string>> by_meeting;
    for (const auto& h : hooks)
        if (h.meeting_id) by_meeting[*h.meeting_id].push_back(h.hook_id);
    std::vector<std::string> out;
    for (const auto& [meeting, ids] : by_meeting)
        if (ids.size() > 1)
            out.push_back(fmt::format("{} hooks are scoped to meeting '{}': bbb-webhooks 3.5.0 delivers its events "
                                      "to the first one only ({})",
                                      ids.size(), util::printable(meeting, 80), ids.front()));
    return out;
}

std::string_view ensure_action_name(EnsureAction action) {
    return action == EnsureAction::created ? "created" : "present";
}

ApiResult<EnsureResult> ensure(Client& client, const HookSpec& spec) {
    auto listed = client.list();
    if (!listed) return std::unexpected(std::move(listed.error()));

    EnsureResult r;
    r.warnings = spec_warnings(spec);
    auto it = std::ranges::find(listed->hooks, spec.callback_url, &HookInfo::callback_url);
    if (it != listed->hooks.end()) {
        r.hook_id = it->hook_id;
        auto diff = differences(spec, *it);
        if (!diff.empty()) {
            std::string joined;
            for (const auto& d : diff)
                joined += (joined.empty() ? "" : "; ") + d;
            r.warnings.push_back(fmt::format("hook {} has other settings than configured ({}); bbb-webhooks never "
                                             "updates a hook: `bbbhook hooks destroy {}` then `bbbhook hooks "
                                             "ensure` to replace it",
                                             it->hook_id, joined, it->hook_id));
        }
        return r;
    }

    auto params = create_params(spec);
    auto created = client.create(params);
    if (!created) return std::unexpected(std::move(created.error()));
    r.hook_id = created->hook_id;
    // Registered between our list and create (another ensure): it was there after all.
    r.action = created->already_registered ? EnsureAction::present : EnsureAction::created;
    return r;
}

} // namespace bbbhook::hooks
