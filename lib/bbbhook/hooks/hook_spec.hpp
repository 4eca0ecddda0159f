#pragma once
// The hook bbbhook wants on a BBB server, and what "already there" means (hooks ensure).
#include <optional>
#include <string>
#include <vector>

#include "bbbhook/hooks/api.hpp"
#include "bbbhook/hooks/client.hpp"

namespace bbbhook::hooks {

struct HookSpec {
    std::string callback_url;              // registered exactly as given (checksums cover it)
    std::optional<std::string> meeting_id; // external meeting id: a meeting-scoped hook
    std::vector<std::string> event_ids;    // eventID filter; empty = every event
    std::optional<bool> get_raw;           // getRaw; unset = the server's default (false)
};

// hooks/create's parameters in a fixed order: callbackURL, meetingID, eventID, getRaw.
std::vector<Param> create_params(const HookSpec& spec);

// Warnings about this spec on bbb-webhooks v3.5.0 (§2.3, §2.6): a meeting-scoped hook (only the
// first hook scoped to a meeting gets its events), eventID with getRaw=true (gets nothing).
std::vector<std::string> spec_warnings(const HookSpec& spec);

// How a registered hook differs from the spec ("eventID is user-joined, wanted every event"…);
// empty when it matches. The callback URLs are assumed equal.
std::vector<std::string> differences(const HookSpec& spec, const HookInfo& hook);

// Warnings about a server's hook list: several hooks scoped to one meeting (only the first gets
// events, §2.6 quirk 1).
std::vector<std::string> list_warnings(const std::vector<HookInfo>& hooks);

enum class EnsureAction { present, created };
std::string_view ensure_action_name(EnsureAction action); // "present", "created"

struct EnsureResult {
    EnsureAction action = EnsureAction::present;
    std::string hook_id;
    std::vector<std::string> warnings; // settings that differ, and spec_warnings
};

// Makes sure the server has a hook for spec.callback_url: lists the hooks (one request), creates
// the hook when none has that callback URL. A hook that exists with other settings is left alone
// (bbb-webhooks never updates a hook; the warnings say how to replace it).
ApiResult<EnsureResult> ensure(Client& client, const HookSpec& spec);

} // namespace bbbhook::hooks
