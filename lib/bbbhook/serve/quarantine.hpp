#pragma once
// The quarantine folder: requests that failed authentication or decoding, kept (when enabled)
// so that a misconfigured secret loses nothing. Each request becomes one file, written
// atomically and synced, holding the request as received (request line, headers, body) with
// the Authorization header's token replaced by its SHA-256 fingerprint, plus
// X-Bbbhook-Quarantine-* headers saying why and when. The folder is capped in size: when full,
// further requests are not kept (and counted).
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bbbhook/util/error.hpp"

namespace bbbhook::serve {

struct QuarantinedRequest {
    std::string_view source;
    std::string_view reason;
    std::string_view remote;
    std::string_view method;
    std::string_view target;
    const std::vector<std::pair<std::string, std::string>>* headers = nullptr;
    std::string_view body;
    int64_t received_ms = 0;
};

class Quarantine {
public:
    // Creates the folder if needed and adds up what it already holds.
    static Result<std::unique_ptr<Quarantine>> open(std::filesystem::path dir, uint64_t max_bytes);

    // Keeps the request. Fails (without writing) when the cap would be exceeded, or on I/O errors.
    Status keep(const QuarantinedRequest& request);

    uint64_t size_bytes() const { return m_size.load(); }
    uint64_t kept() const { return m_kept.load(); }
    uint64_t dropped() const { return m_dropped.load(); }
    const std::filesystem::path& dir() const { return m_dir; }

private:
    Quarantine(std::filesystem::path dir, uint64_t max_bytes) : m_dir(std::move(dir)), m_max(max_bytes) {}
    std::filesystem::path m_dir;
    uint64_t m_max;
    std::atomic<uint64_t> m_size{0};
    std::atomic<uint64_t> m_kept{0};
    std::atomic<uint64_t> m_dropped{0};
    std::atomic<uint64_t> m_counter{0};
};

} // namespace bbbhook::serve
