#pragma once
// Counters of `serve`, rendered in Prometheus text format for GET /metrics.
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace bbbhook::serve {

class Metrics {
public:
    // `source` is the source name, or "" for requests that matched none.
    void count_request(std::string_view source, int status);
    void count_body_bytes(std::string_view source, uint64_t bytes);
    void count_auth_failure(std::string_view source, std::string_view kind);

    void render(std::string& out) const;

private:
    mutable std::mutex m_mutex;
    std::map<std::pair<std::string, int>, uint64_t> m_requests;
    std::map<std::string, uint64_t> m_bytes;
    std::map<std::pair<std::string, std::string>, uint64_t> m_auth_failures;
};

} // namespace bbbhook::serve
