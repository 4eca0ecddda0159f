#pragma once
// A fake BBB hooks API (tests/tools/fake_bbb_api.cpp: bbb-webhooks v3.5.0 as described in
// shared/docs/bbb-webhooks.md §2) run as a real process for end-to-end tests: its own temp folder,
// a free port on 127.0.0.1, optionally HTTPS with a self-signed certificate, stopped by PID.
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "support/support.hpp"

namespace bbbhook::test {

struct FakeBbbOptions {
    std::string secret{k_fixture_secret};
    std::vector<std::string> algorithms{"sha1", "sha256", "sha384", "sha512"}; // accepted checksums
    bool tls = false;                     // HTTPS with a fresh self-signed certificate for IP 127.0.0.1
    std::vector<std::string> permanent{}; // callback URLs of preloaded permanent hooks (listed first)
    int fail_first = 0;                   // the first N create/list/destroy calls get fail_status
    int fail_status = 503;                // with an nginx-style HTML page; the hooks are untouched
    int delay_ms = 0;                     // wait before every answer (client timeouts)
    bool storage_error = false;           // create/list/destroy answer *HookError after a good checksum
};

class FakeBbb {
public:
    // Starts fake-bbb-api and waits until it has written its port. FAILs the running test (with
    // the fake's output) if the process exits first or 10 s pass; REQUIREs that openssl makes the
    // certificate when tls is set.
    explicit FakeBbb(FakeBbbOptions options = {});
    // SIGKILLs the process by PID if it is still running; removes the temp folder.
    ~FakeBbb();
    FakeBbb(const FakeBbb&) = delete;
    FakeBbb& operator=(const FakeBbb&) = delete;

    int port() const { return m_port; }
    // "http://127.0.0.1:PORT/bigbluebutton/api" (https:// with tls).
    std::string api_base() const;
    // The request log: one line per request, "METHOD target -> STATUS messageKey" ('-' when the
    // answer has none), the checksum value shown as REDACTED. A line is written before its answer
    // is sent, so it is there when the client has the answer.
    std::string log() const;
    // The number of logged requests other than hooks/ping (create, list, destroy, and any other
    // path or method, which gets a 404).
    size_t requests() const;
    // The certificate to trust (curl --cacert, CURLOPT_CAINFO) with tls; empty without.
    std::filesystem::path ca_file() const;
    const FakeBbbOptions& options() const { return m_options; }
    const std::filesystem::path& dir() const { return m_tmp.path(); }

    // Sends SIGTERM by PID and waits (30 s at most, REQUIREd); returns the exit code (0 on a clean
    // stop, 128+signal if it died of one). Only once: the process is gone afterwards.
    int stop();

private:
    FakeBbbOptions m_options;
    TempDir m_tmp;
    std::filesystem::path m_log = m_tmp / "requests.log";
    std::filesystem::path m_output = m_tmp / "fake-bbb-api.out";
    std::optional<Process> m_proc; // declared after m_tmp: killed before the folder is removed
    int m_port = 0;
};

// The fake-bbb-api binary built with the tests.
std::filesystem::path fake_bbb_api_binary();

} // namespace bbbhook::test
