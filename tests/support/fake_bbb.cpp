#include "support/fake_bbb.hpp"

#include <catch2/catch.hpp>
#include <cctype>
#include <csignal>
#include <fmt/format.h>
#include <sstream>
#include <thread>

namespace bbbhook::test {

using namespace std::chrono_literals;

std::filesystem::path fake_bbb_api_binary() {
    return BBBHOOK_FAKE_BBB_API;
}

FakeBbb::FakeBbb(FakeBbbOptions options) : m_options(std::move(options)) {
    auto port_file = m_tmp / "port";
    std::vector<std::string> argv = {fake_bbb_api_binary().string(),
                                     "--port-file",
                                     port_file.string(),
                                     "--secret",
                                     m_options.secret,
                                     "--log",
                                     m_log.string()};
    std::string algorithms;
    for (const auto& a : m_options.algorithms)
        algorithms += (algorithms.empty() ? "" : ",") + a;
    argv.insert(argv.end(), {"--algorithms", algorithms});
    if (m_options.tls) {
        // A certificate for IP 127.0.0.1, made fresh for this fake: nothing to keep in the repository.
        auto key = m_tmp / "key.pem";
        auto made =
            run({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.string(), "-out",
                 ca_file().string(), "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"});
        INFO(made.err);
        REQUIRE(made.code == 0);
        argv.insert(argv.end(), {"--tls-cert", ca_file().string(), "--tls-key", key.string()});
    }
    for (const auto& url : m_options.permanent)
        argv.insert(argv.end(), {"--permanent", url});
    if (m_options.fail_first > 0)
        argv.insert(argv.end(), {"--fail-first", std::to_string(m_options.fail_first), "--fail-status",
                                 std::to_string(m_options.fail_status)});
    if (m_options.delay_ms > 0) argv.insert(argv.end(), {"--delay-ms", std::to_string(m_options.delay_ms)});
    if (m_options.storage_error) argv.push_back("--storage-error");

    m_proc.emplace(Process::start(argv, {}, m_output, m_output));
    // The port file appears (renamed into place) only once the port is bound.
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!std::filesystem::exists(port_file)) {
        if (!m_proc->running()) FAIL("fake-bbb-api exited at start:\n" << read_text(m_output));
        if (std::chrono::steady_clock::now() > deadline) FAIL("fake-bbb-api wrote no port:\n" << read_text(m_output));
        std::this_thread::sleep_for(10ms);
    }
    m_port = std::stoi(read_text(port_file));
}

FakeBbb::~FakeBbb() = default; // the Process destructor SIGKILLs a running fake by its PID

std::string FakeBbb::api_base() const {
    return fmt::format("{}://127.0.0.1:{}/bigbluebutton/api", m_options.tls ? "https" : "http", m_port);
}

std::string FakeBbb::log() const {
    return read_text(m_log);
}

size_t FakeBbb::requests() const {
    std::istringstream lines(log());
    std::string line;
    size_t n = 0;
    while (std::getline(lines, line)) {
        // "METHOD target -> STATUS key": the ping is the path .../hooks/ping (any case, one '/' more).
        auto start = line.find(' ') + 1;
        auto path = line.substr(start, line.find_first_of("? ", start) - start);
        for (char& c : path)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (path.ends_with('/')) path.pop_back();
        if (!line.empty() && path != "/bigbluebutton/api/hooks/ping") ++n;
    }
    return n;
}

std::filesystem::path FakeBbb::ca_file() const {
    return m_options.tls ? m_tmp / "cert.pem" : std::filesystem::path();
}

int FakeBbb::stop() {
    REQUIRE(m_proc);
    m_proc->signal(SIGTERM);
    auto rc = m_proc->wait(30s);
    INFO(read_text(m_output));
    REQUIRE(rc);
    m_proc.reset();
    return *rc;
}

} // namespace bbbhook::test
