#pragma once
// A `bbbhook serve` process for end-to-end tests: the fixture sources on a free loopback port,
// in its own temp folder, stopped by PID. And the journal read back with the library's reader.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "bbbhook/bbb/callback_auth.hpp"
#include "support/support.hpp"

namespace bbbhook::test {

struct Journaled {
    std::string file;
    uint64_t offset = 0;
    std::string source, remote, target, body;
    bbb::AuthMethod auth = bbb::AuthMethod::none;
};

struct JournalContents {
    std::vector<Journaled> records;
    size_t problems = 0; // corrupt regions and torn tails
};
// Reads a whole journal folder (REQUIREs that it can be read).
JournalContents read_journal(const std::filesystem::path& dir);

class Serve {
public:
    // `serve_extra` lines go into [serve]; `tables` are whole TOML tables appended.
    explicit Serve(std::string serve_extra = {}, std::string tables = {});
    ~Serve();

    // Starts serve (`prefix` goes before the binary, e.g. {"/usr/bin/prlimit", "--fsize=…"}) and
    // waits until /healthz answers 200; FAILs with the log if it exits or never gets healthy.
    void start(const std::vector<std::string>& extra = {}, const std::vector<std::string>& prefix = {});
    // Sends `sig` and waits for exit; returns the exit status (128+signal when killed).
    int stop(int sig = 15);
    // Waits for an exit that was caused elsewhere (e.g. a signal sent by the test).
    std::optional<int> wait_exit();
    void signal(int sig);

    void rewrite_config(const std::string& serve_extra = {}, const std::string& tables = {});
    std::filesystem::path data_dir() const { return m_tmp.path() / "data"; }
    std::filesystem::path journal_dir() const { return data_dir() / "journal"; }
    const std::filesystem::path& config() const { return m_config; }
    std::string log() const { return read_text(m_log); }
    JournalContents journal() const { return read_journal(journal_dir()); }

    const int port = free_port();

private:
    TempDir m_tmp;
    std::filesystem::path m_config = m_tmp.path() / "bbbhook.conf";
    std::filesystem::path m_log = m_tmp.path() / "serve.log";
    std::optional<Process> m_proc;
};

// A ~`size`-byte user-joined callback body, unique per n.
std::string bearer_body(int n, size_t size = 600);
// POSTs `body` to the bearer-global fixture source with the given bearer secret.
RawResponse post_bearer(int port, const std::string& body, std::string_view secret = k_fixture_secret);

} // namespace bbbhook::test
