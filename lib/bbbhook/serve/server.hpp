#pragma once
// The HTTP side of `serve`: an event loop (Boost.Beast/Asio, serve.threads threads) accepting on
// every listening address. A callback is answered only when the journal's group commit that
// holds it is done: no thread waits per request, so one fdatasync serves every request that
// arrived meanwhile.
//
// Request handling, in this order (each step answers and stops on failure):
//   400 malformed HTTP · 431 header over 16 KiB · 413 body over serve.max_body ·
//   404 unknown path · 405 wrong method (with Allow) · 415 not form-encoded ·
//   401 authentication failed (quarantined if enabled) ·
//   400 malformed form or no `event` field (quarantined if enabled) ·
//   503 the journal write failed · 200 once the record is durable.
// GET /healthz answers 200 or 503 (journal unhealthy); GET /metrics answers Prometheus text.
// "Expect: 100-continue" is answered, or refused early (404/405/415) without reading the body.
#include <memory>
#include <vector>

#include "bbbhook/config/config.hpp"
#include "bbbhook/journal/writer.hpp"
#include "bbbhook/serve/metrics.hpp"
#include "bbbhook/serve/quarantine.hpp"

namespace bbbhook::serve {

class CallbackServer {
public:
    // `quarantine` may be null (disabled). All references must outlive the server.
    CallbackServer(const config::ServeConfig& config, journal::Writer& writer, Quarantine* quarantine,
                   Metrics& metrics);
    ~CallbackServer();
    CallbackServer(const CallbackServer&) = delete;
    CallbackServer& operator=(const CallbackServer&) = delete;

    // Replaces the served sources; safe while serving (SIGHUP).
    void set_sources(const std::vector<config::SourceConfig>& sources);

    // Binds every address and returns them with the ports actually bound (for port 0).
    // Fails with unavailable naming the address that could not be bound.
    Result<std::vector<config::Endpoint>> bind(const std::vector<config::Endpoint>& endpoints);
    // Starts accepting on every bound address, one thread each.
    void start();
    // Stops accepting, lets in-flight requests finish, and joins the threads.
    void stop();
    // True if a listener stopped on its own (its socket failed).
    bool listener_failed() const;

    struct Impl; // opaque: Boost.Beast stays in server.cpp

private:
    std::unique_ptr<Impl> m_impl;
};

} // namespace bbbhook::serve
