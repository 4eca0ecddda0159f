#pragma once
// `bbbhook simulate` (bbbhook-simulate(1)): generated BBB webhook traffic (generator.hpp),
// either written into a journal folder as `serve` would have written it, or POSTed to a running
// `serve` the way bbb-webhooks does it (form body, bearer or checksum authentication, keep-alive
// connections, retries of 5xx answers and connection failures).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "bbbhook/simulate/generator.hpp"
#include "bbbhook/util/exit_code.hpp"

namespace bbbhook::simulate {

enum class PostAuth { bearer, checksum };

struct SimulateOptions {
    GeneratorOptions generator;
    // Exactly one output: a journal folder, or a URL to POST to.
    std::filesystem::path journal_dir;
    std::string post_url; // e.g. http://127.0.0.1:8090/hooks/bearer-global
    // For post_url: the shared secret, given directly or in a file (first line).
    std::string secret;
    std::filesystem::path secret_file;
    PostAuth auth = PostAuth::bearer;
    std::string callback_url; // checksum mode: the URL as registered with BBB; empty = post_url
    int concurrency = 8;      // requests in flight
    bool stats = false;       // also print the number of events of each id
};

// Checks the options (the generator's too). Fails with usage, naming the option.
Status validate(const SimulateOptions& options);

// Generates the traffic and writes or posts it; prints a one-line summary on stdout, and
// progress on stderr when stderr is a terminal. Returns ok. Throws Failure with: usage (bad
// options), no_input (unreadable secret file), cant_create / temp_fail / no_perm (journal folder
// cannot be created or is in use), io (a journal write failed), unavailable (the URL cannot be
// reached even after retries), protocol (some callbacks were answered with a non-2xx status).
ExitCode run(const SimulateOptions& options);

// "2026-10-05T08:00:00Z", "2026-10-05T08:00:00.250Z", "2026-10-05T08:00Z" or "2026-10-05"
// (midnight), all UTC, to milliseconds since the epoch; nullopt if it is not one of those.
std::optional<int64_t> parse_utc_time(std::string_view text);

} // namespace bbbhook::simulate
