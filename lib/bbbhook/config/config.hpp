#pragma once
// Typed configuration, resolved from the layers with every problem collected (not just the first).
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "bbbhook/bbb/callback_auth.hpp"
#include "bbbhook/config/layers.hpp"
#include "bbbhook/journal/writer.hpp"
#include "bbbhook/util/hash.hpp"
#include "bbbhook/util/log.hpp"

namespace bbbhook::config {

struct Endpoint {
    std::string host;         // "127.0.0.1", "::1" (without brackets)
    int port = 0;             // 0 = any free port
    std::string text() const; // "127.0.0.1:8090", "[::1]:8090"
};

// What `bbbhook hooks` registers on a source's BBB server (from the same [source.NAME] table).
struct SourceHooks {
    std::string api_url; // normalized ("https://bbb.example.org/bigbluebutton/api"); "" = not managed
    util::HashAlg algorithm = util::HashAlg::sha256;
    std::vector<std::string> event_ids;
    std::optional<bool> get_raw;
    std::optional<std::string> meeting_id;
};

struct SourceConfig {
    std::string name;
    std::string path; // request path, e.g. "/bbb/moodle1"
    bbb::SourceAuth auth;
    std::string secret_origin; // "inline at FILE:LINE" or the secret file's path (never the secret)
    std::string where;         // file:line of the [source.NAME] table
    SourceHooks hooks;
};

struct HooksConfig {
    std::chrono::milliseconds timeout{15000};
    std::chrono::milliseconds connect_timeout{5000};
    int retries = 2;
    std::filesystem::path ca_file; // empty = the system's CA store
};

struct ServeConfig {
    std::vector<Endpoint> listen;
    uint64_t max_body = 1u << 20;
    int threads = 1;
    std::chrono::milliseconds read_timeout{10000};
    bool quarantine = false;
    std::filesystem::path quarantine_dir;
    uint64_t quarantine_max = 256ull << 20;
};

struct IngestConfig {
    std::chrono::milliseconds idle_close = std::chrono::hours(6);
    int64_t batch = 20000;
};

struct Config {
    std::filesystem::path data_dir;
    std::filesystem::path database;
    IngestConfig ingest;
    util::LogLevel log_level = util::LogLevel::info;
    journal::WriterOptions journal;
    ServeConfig serve;
    HooksConfig hooks;
    std::vector<SourceConfig> sources;
};

struct Resolved {
    Config config;
    std::vector<Problem> problems; // empty = valid
    std::vector<Problem> warnings; // worth saying, not fatal
};

Resolved resolve(const Layers& layers);

// Parses "HOST:PORT" / "[V6]:PORT".
std::optional<Endpoint> parse_endpoint(std::string_view text);

} // namespace bbbhook::config
