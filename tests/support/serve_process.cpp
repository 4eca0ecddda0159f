#include "support/serve_process.hpp"

#include <catch2/catch.hpp>
#include <csignal>
#include <fmt/format.h>
#include <thread>

#include "bbbhook/journal/reader.hpp"

namespace bbbhook::test {

using namespace std::chrono_literals;

JournalContents read_journal(const std::filesystem::path& dir) {
    JournalContents out;
    auto reader = journal::Reader::open(dir);
    REQUIRE(reader);
    for (;;) {
        auto item = reader->next();
        REQUIRE(item);
        if (item->kind == journal::ReadItem::Kind::end) return out;
        if (item->kind != journal::ReadItem::Kind::record) {
            ++out.problems;
            continue;
        }
        const auto& r = item->record;
        out.records.push_back({item->at.file, item->at.offset, std::string(r.source), std::string(r.remote),
                               std::string(r.target), std::string(r.body), r.auth});
    }
}

Serve::Serve(std::string serve_extra, std::string tables) {
    rewrite_config(serve_extra, tables);
}

Serve::~Serve() = default; // the Process destructor SIGKILLs a running serve by its PID

void Serve::rewrite_config(const std::string& serve_extra, const std::string& tables) {
    write_text(m_config, fixture_config(port, data_dir(), serve_extra, tables));
}

void Serve::start(const std::vector<std::string>& extra, const std::vector<std::string>& prefix) {
    std::vector<std::string> argv = prefix;
    argv.insert(argv.end(), {bbbhook_binary().string(), "--config", m_config.string(), "serve"});
    argv.insert(argv.end(), extra.begin(), extra.end());
    m_proc.emplace(Process::start(argv, {}, m_log, m_log));
    auto deadline = std::chrono::steady_clock::now() + 15s;
    while (http(port, "GET", "/healthz").status != 200) {
        if (!m_proc->running()) FAIL("serve exited at start:\n" << log());
        if (std::chrono::steady_clock::now() > deadline) FAIL("serve did not become healthy:\n" << log());
        std::this_thread::sleep_for(10ms);
    }
}

void Serve::signal(int sig) {
    REQUIRE(m_proc);
    m_proc->signal(sig);
}

std::optional<int> Serve::wait_exit() {
    REQUIRE(m_proc);
    auto rc = m_proc->wait(30s);
    m_proc.reset();
    return rc;
}

int Serve::stop(int sig) {
    signal(sig);
    auto rc = wait_exit();
    REQUIRE(rc);
    return *rc;
}

std::string bearer_body(int n, size_t size) {
    std::string b = fmt::format(
        "domain=bbb.example.test&event=%5B%7B%22data%22%3A%7B%22type%22%3A%22event%22%2C%22id%22%3A%22user-joined%22%2C"
        "%22n%22%3A{}%7D%7D%5D&timestamp={}",
        n, 1795551035614 + n);
    if (b.size() + 5 < size) b += "&pad=" + std::string(size - b.size() - 5, 'x');
    return b;
}

RawResponse post_bearer(int port, const std::string& body, std::string_view secret) {
    return http(port, "POST", "/hooks/bearer-global", body,
                {{"Content-Type", "application/x-www-form-urlencoded;charset=UTF-8"},
                 {"Authorization", fmt::format("Bearer {}", secret)}});
}

} // namespace bbbhook::test
