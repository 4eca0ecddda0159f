#include "bbbhook/serve/metrics.hpp"

#include <fmt/format.h>

namespace bbbhook::serve {

namespace {
// Source names are restricted to [A-Za-z0-9._-] by the config; "" becomes a readable label.
std::string_view label(std::string_view source) {
    return source.empty() ? "(none)" : source;
}
} // namespace

void Metrics::count_request(std::string_view source, int status) {
    std::lock_guard lk(m_mutex);
    ++m_requests[{std::string(label(source)), status}];
}

void Metrics::count_body_bytes(std::string_view source, uint64_t bytes) {
    std::lock_guard lk(m_mutex);
    m_bytes[std::string(label(source))] += bytes;
}

void Metrics::count_auth_failure(std::string_view source, std::string_view kind) {
    std::lock_guard lk(m_mutex);
    ++m_auth_failures[{std::string(label(source)), std::string(kind)}];
}

void Metrics::render(std::string& out) const {
    std::lock_guard lk(m_mutex);
    out += "# HELP bbbhook_requests_total HTTP requests answered, by source and status.\n"
           "# TYPE bbbhook_requests_total counter\n";
    for (const auto& [k, v] : m_requests)
        out += fmt::format("bbbhook_requests_total{{source=\"{}\",status=\"{}\"}} {}\n", k.first, k.second, v);
    out += "# HELP bbbhook_received_bytes_total Body bytes of journaled callbacks, by source.\n"
           "# TYPE bbbhook_received_bytes_total counter\n";
    for (const auto& [k, v] : m_bytes)
        out += fmt::format("bbbhook_received_bytes_total{{source=\"{}\"}} {}\n", k, v);
    out += "# HELP bbbhook_auth_failures_total Callbacks rejected with 401, by source and reason.\n"
           "# TYPE bbbhook_auth_failures_total counter\n";
    for (const auto& [k, v] : m_auth_failures)
        out += fmt::format("bbbhook_auth_failures_total{{source=\"{}\",reason=\"{}\"}} {}\n", k.first, k.second, v);
}

} // namespace bbbhook::serve
