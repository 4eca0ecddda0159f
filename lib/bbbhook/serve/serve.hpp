#pragma once
// `bbbhook serve`: receive BBB webhook callbacks and journal them durably.
#include <functional>
#include <vector>

#include "bbbhook/config/config.hpp"
#include "bbbhook/util/error.hpp"

namespace bbbhook::serve {

struct ServeOptions {
    config::Config config;
    // Re-reads the configuration for SIGHUP; its sources replace the served ones.
    std::function<Result<config::Config>()> reload;
};

// Serves until SIGTERM or SIGINT, then stops accepting, finishes in-flight requests, seals the
// journal and returns ok. Throws Failure when it cannot start (journal folder locked:
// temp_fail; address in use: unavailable; folder not writable: cant_create; no sources: config).
ExitCode run(const ServeOptions& options);

} // namespace bbbhook::serve
