#pragma once
// `bbbhook hooks register|list|destroy|ensure`: which BBB servers to talk to (the configured
// sources with an api_url, or one server given by flags or by `bbb-conf --secret`), the calls,
// and the output (a table, or JSON for scripts). Secrets and checksums are never printed.
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "bbbhook/config/config.hpp"
#include "bbbhook/hooks/client.hpp"
#include "bbbhook/hooks/hook_spec.hpp"
#include "bbbhook/util/exit_code.hpp"

namespace bbbhook::hooks {

// One server named on the command line instead of the configuration.
struct OneShot {
    std::string name;                         // --name; default: the API URL's host
    std::string api_url;                      // --api-url
    std::string secret_file;                  // --secret-file ("-" = standard input)
    std::optional<std::string> from_bbb_conf; // --from-bbb-conf[=FILE]: "" runs `bbb-conf --secret`
    std::string algorithm;                    // --algorithm; default sha256
    HookSpec spec;                            // --callback-url, --meeting-id, --event-id, --get-raw
    bool given() const { return !api_url.empty() || from_bbb_conf.has_value(); }
};

enum class Verb { register_hook, list, destroy, ensure };

struct CommandOptions {
    Verb verb = Verb::list;
    std::vector<std::string> servers; // --server NAME: only these configured sources
    OneShot one_shot;
    std::string hook_id; // destroy
    bool json = false;
    std::string bbb_conf = "bbb-conf"; // the program run by --from-bbb-conf without FILE
};

// A BBB server to call, with the hook it should have.
struct Target {
    std::string name;
    Server server;
    HookSpec spec; // spec.callback_url may be empty for list and destroy
};

// The servers a command talks to: from the one-shot flags when given, else every configured
// source with an api_url (or those named by --server). Fails with usage or config errors that
// say what to set.
Result<std::vector<Target>> select_targets(const CommandOptions& options, const config::Config& config);

// Runs the command on every target (continuing after a failed one), prints the table or JSON to
// `out` and one "bbbhook: error: server NAME: …" line per failure to `err`. Returns ok, or the
// exit code of the first failed server.
ExitCode run(const CommandOptions& options, const config::Config& config, std::FILE* out, std::FILE* err);

} // namespace bbbhook::hooks
