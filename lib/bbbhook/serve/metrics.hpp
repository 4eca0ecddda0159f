#pragma once
// Counters of `serve`, rendered in Prometheus text format for GET /metrics. The request path only
// touches atomics: each source's counters are created once and live as long as the process.
#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace bbbhook::serve {

class Metrics {
public:
    // The statuses serve answers; anything else is counted as "other".
    static constexpr std::array<int, 10> k_statuses{200, 400, 401, 404, 405, 413, 415, 431, 500, 503};

    struct SourceCounters {
        std::array<std::atomic<uint64_t>, k_statuses.size() + 1> by_status{};
        std::atomic<uint64_t> body_bytes{0};
        void count(int status);
    };

    // The counters of a source ("" for requests that matched none); the reference stays valid.
    SourceCounters& counters(std::string_view source);
    void count_auth_failure(std::string_view source, std::string_view kind);

    void render(std::string& out) const;

private:
    mutable std::mutex m_mutex;
    std::map<std::string, std::unique_ptr<SourceCounters>, std::less<>> m_sources;
    std::map<std::pair<std::string, std::string>, uint64_t> m_auth_failures;
};

} // namespace bbbhook::serve
