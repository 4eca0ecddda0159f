#include "support.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <fstream>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sstream>
#include <stdexcept>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "bbbhook/util/text.hpp"

extern char** environ;

namespace bbbhook::test {

TempDir::TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/bbbhook-test-XXXXXX";
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    m_path = tmpl;
}

TempDir::~TempDir() {
    std::error_code ec;
    // Sealed journal files are read-only; remove_all copes because the folder is writable.
    std::filesystem::remove_all(m_path, ec);
}

std::filesystem::path source_dir() {
    return BBBHOOK_SOURCE_DIR;
}
std::filesystem::path fixtures_dir() {
    return source_dir() / "tests" / "fixtures";
}
std::filesystem::path bbbhook_binary() {
    return BBBHOOK_BINARY;
}

int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("bind failed");
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

namespace {
std::vector<std::string> merged_environment(const std::map<std::string, std::string>& env) {
    std::map<std::string, std::string> all;
    for (char** e = environ; *e; ++e) {
        std::string kv(*e);
        auto eq = kv.find('=');
        if (eq != std::string::npos) all[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    for (const auto& [k, v] : env)
        all[k] = v;
    std::vector<std::string> out;
    for (const auto& [k, v] : all)
        out.push_back(k + "=" + v);
    return out;
}

void redirect(int target_fd, const std::filesystem::path& file) {
    int fd = file.empty() ? ::open("/dev/null", O_WRONLY) : ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
        ::dup2(fd, target_fd);
        ::close(fd);
    }
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
    std::vector<char*> out;
    for (auto& s : v)
        out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}
} // namespace

Process Process::start(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                       const std::filesystem::path& out, const std::filesystem::path& err) {
    auto envs = merged_environment(env);
    std::vector<std::string> args = argv;
    auto cargs = c_strings(args);
    auto cenv = c_strings(envs);
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        redirect(1, out);
        redirect(2, err);
        ::execve(cargs[0], cargs.data(), cenv.data());
        ::_exit(127);
    }
    return Process(pid);
}

Process::~Process() {
    if (m_pid > 0) {
        ::kill(m_pid, SIGKILL);
        ::waitpid(m_pid, nullptr, 0);
    }
}

void Process::signal(int sig) const {
    if (m_pid > 0) ::kill(m_pid, sig);
}

bool Process::running() {
    if (m_pid <= 0) return false;
    int status = 0;
    pid_t r = ::waitpid(m_pid, &status, WNOHANG);
    if (r == m_pid) {
        m_pid = -1;
        return false;
    }
    return true;
}

std::optional<int> Process::wait(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (m_pid > 0) {
        int status = 0;
        pid_t r = ::waitpid(m_pid, &status, WNOHANG);
        if (r == m_pid) {
            m_pid = -1;
            if (WIFEXITED(status)) return WEXITSTATUS(status);
            if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
            return -1;
        }
        if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return std::nullopt;
}

RunResult run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
              std::string_view stdin_data, std::chrono::milliseconds timeout) {
    TempDir tmp;
    auto out = tmp / "out", err = tmp / "err", in = tmp / "in";
    write_text(in, stdin_data);
    auto envs = merged_environment(env);
    std::vector<std::string> args = argv;
    auto cargs = c_strings(args);
    auto cenv = c_strings(envs);
    pid_t pid = ::fork();
    if (pid == 0) {
        int fd = ::open(in.c_str(), O_RDONLY);
        ::dup2(fd, 0);
        redirect(1, out);
        redirect(2, err);
        ::execve(cargs[0], cargs.data(), cenv.data());
        ::_exit(127);
    }
    int status = 0;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (::waitpid(pid, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    RunResult r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = read_text(out);
    r.err = read_text(err);
    return r;
}

namespace {

int connect_loopback(int port, bool ipv6) {
    int fd = ::socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int rc;
    if (ipv6) {
        sockaddr_in6 a{};
        a.sin6_family = AF_INET6;
        a.sin6_addr = in6addr_loopback;
        a.sin6_port = htons(static_cast<uint16_t>(port));
        rc = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    } else {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons(static_cast<uint16_t>(port));
        rc = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    }
    if (rc != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

void send_all(int fd, std::string_view bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
        ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break; // the server may answer (e.g. 413) before reading everything
        sent += static_cast<size_t>(n);
    }
}

enum class Received { bytes, closed, timeout };
// Waits until `deadline` for bytes on `fd` and appends what one recv() gives.
Received receive_some(int fd, std::chrono::steady_clock::time_point deadline, std::string& into) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return Received::timeout;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return Received::timeout;
    char buf[65536];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return Received::closed;
    into.append(buf, static_cast<size_t>(n));
    return Received::bytes;
}

// Reads one Content-Length framed response, then closes the connection.
RawResponse read_response(int fd, std::chrono::milliseconds timeout) {
    RawResponse res;
    std::string in;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    size_t need = std::string::npos;
    for (;;) {
        if (need != std::string::npos && in.size() >= need) break;
        if (receive_some(fd, deadline, in) != Received::bytes) break;
        size_t end = in.find("\r\n\r\n");
        // An interim 1xx answer precedes the real one: keep it aside and read on.
        while (need == std::string::npos && end != std::string::npos && in.starts_with("HTTP/1.1 1")) {
            res.interim += in.substr(0, end + 4);
            in.erase(0, end + 4);
            end = in.find("\r\n\r\n");
        }
        if (need == std::string::npos && end != std::string::npos) {
            size_t len = 0;
            std::istringstream lines(in.substr(0, end));
            std::string line;
            while (std::getline(lines, line)) {
                if (util::istarts_with(line, "content-length:")) len = std::stoul(line.substr(15));
            }
            need = end + 4 + len;
        }
    }
    ::close(fd);
    size_t end = in.find("\r\n\r\n");
    if (in.starts_with("HTTP/1.") && in.size() > 12) res.status = std::atoi(in.c_str() + 9);
    if (end != std::string::npos) {
        res.head = in.substr(0, end);
        res.body = in.substr(end + 4);
    }
    return res;
}

} // namespace

RawResponse send_raw(int port, std::string_view bytes, std::chrono::milliseconds timeout, bool ipv6) {
    int fd = connect_loopback(port, ipv6);
    if (fd < 0) return {};
    send_all(fd, bytes);
    return read_response(fd, timeout);
}

RawResponse send_raw_slowly(int port, std::string_view first, std::string_view rest, std::chrono::milliseconds pause) {
    int fd = connect_loopback(port, false);
    if (fd < 0) return {};
    send_all(fd, first);
    std::this_thread::sleep_for(pause);
    send_all(fd, rest);
    return read_response(fd, std::chrono::seconds(10));
}

Conversation converse(int port, const std::vector<std::string>& pieces, std::chrono::milliseconds pause,
                      std::chrono::milliseconds timeout) {
    Conversation c;
    int fd = connect_loopback(port, false);
    if (fd < 0) return c;
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto start = std::chrono::steady_clock::now();
    for (size_t i = 0; i < pieces.size(); ++i) {
        if (i > 0 && pause.count() > 0) std::this_thread::sleep_for(pause);
        send_all(fd, pieces[i]);
    }
    auto deadline = start + timeout;
    Received r;
    while ((r = receive_some(fd, deadline, c.received)) == Received::bytes) {
    }
    c.closed_by_peer = r == Received::closed;
    c.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    ::close(fd);
    return c;
}

RawResponse http(int port, std::string_view method, std::string_view target, std::string_view body,
                 const std::vector<std::pair<std::string, std::string>>& headers) {
    std::string req =
        fmt::format("{} {} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n", method, target, port);
    for (const auto& [k, v] : headers)
        req += fmt::format("{}: {}\r\n", k, v);
    if (!body.empty() || method == "POST" || method == "PUT") req += fmt::format("Content-Length: {}\r\n", body.size());
    req += "\r\n";
    req += body;
    return send_raw(port, req);
}

bool wait_healthy(int port, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (http(port, "GET", "/healthz").status == 200) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

std::string Capture::header(std::string_view name) const {
    for (const auto& [k, v] : headers)
        if (util::iequals(k, name)) return v;
    return {};
}

Capture load_capture(const std::filesystem::path& file) {
    Capture c;
    c.file = file;
    c.raw = read_text(file);
    size_t end = c.raw.find("\r\n\r\n");
    if (end == std::string::npos) throw std::runtime_error("not an HTTP request: " + file.string());
    c.body = c.raw.substr(end + 4);
    std::string head = c.raw.substr(0, end);
    size_t line_end = head.find("\r\n");
    std::string request_line = head.substr(0, line_end);
    auto sp1 = request_line.find(' '), sp2 = request_line.rfind(' ');
    c.method = request_line.substr(0, sp1);
    c.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
    size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
        size_t e = head.find("\r\n", pos);
        if (e == std::string::npos) e = head.size();
        std::string line = head.substr(pos, e - pos);
        auto colon = line.find(':');
        if (colon != std::string::npos)
            c.headers.emplace_back(line.substr(0, colon), std::string(util::trim(line.substr(colon + 1))));
        pos = e + 2;
    }
    return c;
}

std::vector<Capture> load_captures(const std::filesystem::path& dir) {
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        if (e.path().extension() == ".http") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    std::vector<Capture> out;
    for (const auto& f : files)
        out.push_back(load_capture(f));
    return out;
}

std::string read_text(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void write_text(const std::filesystem::path& file, std::string_view text) {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

std::string fixture_config(int port, const std::filesystem::path& data_dir, std::string_view serve_extra,
                           std::string_view tables) {
    // The demo config's sources, with this test's port and data folder.
    std::string demo = read_text(source_dir() / "share" / "demo" / "bbbhook-demo.conf");
    std::string out = fmt::format("data_dir = \"{}\"\n", data_dir.string());
    std::istringstream lines(demo);
    std::string line;
    bool in_serve = false;
    while (std::getline(lines, line)) {
        if (line.starts_with("data_dir")) continue;
        if (line.starts_with("[")) in_serve = line == "[serve]";
        if (in_serve && line.starts_with("listen")) line = fmt::format("listen = [\"127.0.0.1:{}\"]", port);
        if (line.starts_with("secret_file")) line = fmt::format("secret = \"{}\"", k_fixture_secret);
        out += line + "\n";
        if (line == "[serve]" && !serve_extra.empty()) out += fmt::format("{}\n", serve_extra);
    }
    if (!tables.empty()) out += fmt::format("\n{}\n", tables);
    return out;
}

SmallDisk::SmallDisk(const std::filesystem::path& where, std::string_view size) : m_where(where) {
    std::filesystem::create_directories(where);
    auto opts = fmt::format("size={},mode=0755", size);
    m_mounted = ::mount("tmpfs", where.c_str(), "tmpfs", 0, opts.c_str()) == 0;
}

SmallDisk::~SmallDisk() {
    if (m_mounted) ::umount2(m_where.c_str(), MNT_DETACH);
}

void fill_disk(const std::filesystem::path& filler, uint64_t leave) {
    auto space = std::filesystem::space(filler.parent_path());
    uint64_t to_write = space.available > leave ? space.available - leave : 0;
    std::ofstream out(filler, std::ios::binary);
    std::string block(4096, 'f');
    for (uint64_t n = 0; n < to_write && out; n += block.size())
        out.write(block.data(), static_cast<std::streamsize>(block.size()));
}

} // namespace bbbhook::test
