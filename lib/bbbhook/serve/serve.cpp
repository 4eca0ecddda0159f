#include "bbbhook/serve/serve.hpp"

#include <csignal>
#include <ctime>
#include <fmt/format.h>
#include <pthread.h>
#include <spdlog/spdlog.h>

#include "bbbhook/serve/server.hpp"
#include "bbbhook/util/sd_notify.hpp"

namespace bbbhook::serve {

namespace {

// Blocks the signals we handle in this thread and (by inheritance) in every thread started
// after it, so that only the main loop's sigtimedwait sees them.
sigset_t block_handled_signals() {
    sigset_t set;
    sigemptyset(&set);
    for (int s : {SIGTERM, SIGINT, SIGHUP})
        sigaddset(&set, s);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
    // A file-size limit (RLIMIT_FSIZE) must fail the write (and answer 503), not kill serve.
    std::signal(SIGXFSZ, SIG_IGN);
    return set;
}

void reload(const ServeOptions& options, CallbackServer& server, journal::Writer& writer) {
    util::sd_notify("RELOADING=1");
    // Rotate first: callbacks accepted under the reloaded configuration go to the new file.
    writer.rotate();
    if (auto fresh = options.reload ? options.reload() : Result<config::Config>(options.config); !fresh) {
        spdlog::error("reload: {}; keeping the previous configuration", fresh.error().message);
    } else if (fresh->sources.empty()) {
        spdlog::error("reload: the new configuration has no [source.NAME]; keeping the previous sources");
    } else {
        server.set_sources(fresh->sources);
        spdlog::info("reload: {} source(s) now served", fresh->sources.size());
    }
    util::sd_notify("READY=1");
}

} // namespace

ExitCode run(const ServeOptions& options) {
    const config::Config& cfg = options.config;
    if (cfg.sources.empty())
        throw Failure(ExitCode::config, "no sources configured: add a [source.NAME] table to the config file");

    // 1. Signals are taken by this thread only.
    sigset_t signals = block_handled_signals();

    // 2. The journal: lock the folder and open a new file, before anything is accepted.
    auto writer = value_or_throw(journal::Writer::open(cfg.journal));

    // 3. The quarantine, when enabled.
    std::unique_ptr<Quarantine> quarantine;
    if (cfg.serve.quarantine)
        quarantine = value_or_throw(Quarantine::open(cfg.serve.quarantine_dir, cfg.serve.quarantine_max));

    // 4. Bind every address before announcing readiness.
    Metrics metrics;
    CallbackServer server(cfg.serve, *writer, quarantine.get(), metrics);
    server.set_sources(cfg.sources);
    auto bound = value_or_throw(server.bind(cfg.serve.listen));
    server.start();
    for (const auto& ep : bound)
        spdlog::info("listening on http://{}", ep.text());
    for (const auto& s : cfg.sources)
        spdlog::info("source {}: POST {} (auth {}{})", s.name, s.path, bbb::auth_mode_name(s.auth.mode),
                     s.auth.legacy_v2 || s.auth.legacy_v3_constant ? ", legacy checksums" : "");
    spdlog::info("journal {} (durability {})", cfg.journal.dir.string(),
                 cfg.journal.durability == journal::Durability::sync ? "sync" : "none");
    util::sd_notify(fmt::format("READY=1\nSTATUS=listening on {}", bound.front().text()));

    // 5. Serve until SIGTERM/SIGINT; SIGHUP reloads the sources and starts a new journal file.
    for (;;) {
        timespec tick{1, 0};
        int sig = sigtimedwait(&signals, nullptr, &tick);
        if (sig == SIGHUP) {
            spdlog::info("SIGHUP: reloading the configuration and reopening the journal");
            reload(options, server, *writer);
        } else if (sig == SIGTERM || sig == SIGINT) {
            spdlog::info("{}: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
            break;
        }
        if (server.listener_failed()) {
            server.stop();
            writer->close();
            throw Failure(ExitCode::unavailable, "a listening socket failed");
        }
    }

    // 6. Stop: no new connections, let in-flight requests finish, then seal the journal.
    util::sd_notify("STOPPING=1");
    server.stop();
    writer->close();
    spdlog::info("stopped; journal sealed");
    return ExitCode::ok;
}

} // namespace bbbhook::serve
