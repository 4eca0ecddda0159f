#pragma once
// Test support: temp folders, child processes stopped by PID, free loopback ports, raw HTTP
// requests and the captured fixture requests. Network traffic goes to 127.0.0.1 only.
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <thread>
#include <utility>
#include <vector>

namespace bbbhook::test {

// A fresh folder under $TMPDIR, removed with everything in it on destruction.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return m_path; }
    std::filesystem::path operator/(std::string_view name) const { return m_path / name; }

private:
    std::filesystem::path m_path;
};

std::filesystem::path fixtures_dir();   // tests/fixtures
std::filesystem::path source_dir();     // the repository
std::filesystem::path bbbhook_binary(); // the built bbbhook

// A port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
int free_port();

// A child process. The destructor SIGKILLs it (by PID) if it is still running, and reaps it.
class Process {
public:
    // Starts argv[0] with stdout/stderr to the given files (or /dev/null), with `env` added to
    // (or overriding) this process's environment.
    static Process start(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
                         const std::filesystem::path& out = {}, const std::filesystem::path& err = {});
    Process(Process&& o) noexcept : m_pid(std::exchange(o.m_pid, -1)) {}
    Process& operator=(Process&&) = delete;
    ~Process();

    pid_t pid() const { return m_pid; }
    void signal(int sig) const;
    // Waits for exit; returns the exit code, or 128+signal. nullopt on timeout.
    std::optional<int> wait(std::chrono::milliseconds timeout = std::chrono::seconds(30));
    bool running();

private:
    explicit Process(pid_t pid) : m_pid(pid) {}
    pid_t m_pid = -1;
};

struct RunResult {
    int code = -1;
    std::string out, err;
};
// Runs a command to completion (SIGKILLed after `timeout`, code 137); returns exit code and output.
RunResult run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
              std::string_view stdin_data = {}, std::chrono::milliseconds timeout = std::chrono::seconds(60));

struct RawResponse {
    int status = 0;   // 0 when the connection failed or no status line came
    std::string head; // status line and headers
    std::string body;
    std::string interim; // 1xx answers (e.g. "HTTP/1.1 100 Continue") that came before, verbatim
};
// Sends `bytes` as-is on a new connection to 127.0.0.1:port and reads one response
// (Content-Length framed). Closes the connection.
// With ipv6, connects to [::1] instead of 127.0.0.1.
RawResponse send_raw(int port, std::string_view bytes, std::chrono::milliseconds timeout = std::chrono::seconds(10),
                     bool ipv6 = false);
// Like send_raw, but writes `first`, waits `pause`, then writes `rest` (a slow client).
RawResponse send_raw_slowly(int port, std::string_view first, std::string_view rest, std::chrono::milliseconds pause);
// What a connection received until the peer closed it (or the timeout passed).
struct Conversation {
    std::string received;
    bool closed_by_peer = false;
    std::chrono::milliseconds elapsed{0}; // from the first byte sent to the close (or the timeout)
};
// Connects to 127.0.0.1:port, sends `pieces` one after the other (`pause` between them) and
// reads everything until the server closes the connection or `timeout` passes.
Conversation converse(int port, const std::vector<std::string>& pieces,
                      std::chrono::milliseconds pause = std::chrono::milliseconds(0),
                      std::chrono::milliseconds timeout = std::chrono::seconds(10));
// A request built from parts, sent with send_raw.
RawResponse http(int port, std::string_view method, std::string_view target, std::string_view body = {},
                 const std::vector<std::pair<std::string, std::string>>& headers = {});

// Polls GET /healthz until it answers 200 (true) or the timeout passes (false).
bool wait_healthy(int port, std::chrono::milliseconds timeout = std::chrono::seconds(15));

// One captured callback request (captured/callbacks/<scenario>/NNN-*.http), byte for byte.
struct Capture {
    std::filesystem::path file;
    std::string raw; // the whole request as captured
    std::string method, target, body;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string header(std::string_view name) const; // case-insensitive, "" if absent
};
Capture load_capture(const std::filesystem::path& file);
// Every NNN-*.http of a scenario folder, in file-name order.
std::vector<Capture> load_captures(const std::filesystem::path& dir);

std::string read_text(const std::filesystem::path& file);
void write_text(const std::filesystem::path& file, std::string_view text);

// A config file for serve listening on 127.0.0.1:port with the fixture sources (the same as
// share/demo/bbbhook-demo.conf, secrets inline); `serve_extra` lines go into [serve] and
// `tables` (whole TOML tables such as [journal]) at the end.
std::string fixture_config(int port, const std::filesystem::path& data_dir, std::string_view serve_extra = {},
                           std::string_view tables = {});
inline constexpr std::string_view k_fixture_secret = "bbbhookFixtureSecret0123456789abcdefXYZ";

// Polls until `ok()` or the timeout; returns whether it became true.
template <class F> bool eventually(F ok, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (ok()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return ok();
}

// A small tmpfs mounted for the test and unmounted after it; not available without CAP_SYS_ADMIN.
class SmallDisk {
public:
    SmallDisk(const std::filesystem::path& where, std::string_view size);
    ~SmallDisk();
    SmallDisk(const SmallDisk&) = delete;
    SmallDisk& operator=(const SmallDisk&) = delete;
    bool mounted() const { return m_mounted; }

private:
    std::filesystem::path m_where;
    bool m_mounted = false;
};

// Fills the file system of `filler`'s folder with `filler` until only about `leave` bytes are free.
void fill_disk(const std::filesystem::path& filler, uint64_t leave);

} // namespace bbbhook::test
