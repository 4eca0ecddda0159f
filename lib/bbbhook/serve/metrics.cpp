#include "bbbhook/serve/metrics.hpp"

#include <fmt/format.h>

namespace bbbhook::serve {

namespace {
// Source names are restricted to [A-Za-z0-9._-] by the config; "" becomes a readable label.
std::string_view label(std::string_view source) {
    return source.empty() ? "(none)" : source;
}
} // namespace

void Metrics::SourceCounters::count(int status) {
    size_t i = 0;
    while (i < k_statuses.size() && k_statuses[i] != status)
        ++i;
    by_status[i].fetch_add(1, std::memory_order_relaxed);
}

Metrics::SourceCounters& Metrics::counters(std::string_view source) {
    std::lock_guard lk(m_mutex);
    auto it = m_sources.find(source);
    if (it == m_sources.end()) it = m_sources.emplace(std::string(source), std::make_unique<SourceCounters>()).first;
    return *it->second;
}

void Metrics::count_auth_failure(std::string_view source, std::string_view kind) {
    std::lock_guard lk(m_mutex);
    ++m_auth_failures[{std::string(label(source)), std::string(kind)}];
}

void Metrics::render(std::string& out) const {
    std::lock_guard lk(m_mutex);
    out += "# HELP bbbhook_requests_total HTTP requests answered, by source and status.\n"
           "# TYPE bbbhook_requests_total counter\n";
    for (const auto& [name, c] : m_sources)
        for (size_t i = 0; i < c->by_status.size(); ++i)
            if (auto n = c->by_status[i].load(std::memory_order_relaxed))
                out += fmt::format("bbbhook_requests_total{{source=\"{}\",status=\"{}\"}} {}\n", label(name),
                                   i < k_statuses.size() ? std::to_string(k_statuses[i]) : "other", n);
    out += "# HELP bbbhook_received_bytes_total Body bytes of journaled callbacks, by source.\n"
           "# TYPE bbbhook_received_bytes_total counter\n";
    for (const auto& [name, c] : m_sources)
        if (!name.empty())
            out += fmt::format("bbbhook_received_bytes_total{{source=\"{}\"}} {}\n", name,
                               c->body_bytes.load(std::memory_order_relaxed));
    out += "# HELP bbbhook_auth_failures_total Callbacks rejected with 401, by source and reason.\n"
           "# TYPE bbbhook_auth_failures_total counter\n";
    for (const auto& [k, v] : m_auth_failures)
        out += fmt::format("bbbhook_auth_failures_total{{source=\"{}\",reason=\"{}\"}} {}\n", k.first, k.second, v);
}

} // namespace bbbhook::serve
