// End-to-end tests of serve's operations: reload, disk full, locking, listening, metrics.
#include <catch2/catch.hpp>
#include <csignal>
#include <fmt/format.h>
#include <thread>

#include "support/serve_process.hpp"

using namespace bbbhook;
using namespace std::chrono_literals;
using test::bearer_body;
using test::eventually;
using test::fill_disk;
using test::post_bearer;
using test::Serve;
using test::SmallDisk;

TEST_CASE("SIGHUP reloads the secrets and starts a new journal file", "[serve][signals]") {
    Serve serve;
    serve.start();
    REQUIRE(post_bearer(serve.port, bearer_body(1)).status == 200);
    CHECK(post_bearer(serve.port, bearer_body(2), "rotatedSecret").status == 401);

    // The BBB secret was rotated: the config now says so; SIGHUP picks it up without a restart.
    auto config = test::read_text(serve.config());
    std::string rotated;
    for (size_t pos = 0;;) {
        size_t at = config.find(test::k_fixture_secret, pos);
        rotated += config.substr(pos, at - pos);
        if (at == std::string::npos) break;
        rotated += "rotatedSecret";
        pos = at + test::k_fixture_secret.size();
    }
    test::write_text(serve.config(), rotated);
    serve.signal(SIGHUP);
    CHECK(eventually([&] { return post_bearer(serve.port, bearer_body(3), "rotatedSecret").status == 200; }));
    CHECK(post_bearer(serve.port, bearer_body(4)).status == 401);

    // A broken config on reload keeps the previous sources and says why.
    test::write_text(serve.config(), rotated + "\n[source.broken]\nauth = \"nope\"\n");
    serve.signal(SIGHUP);
    CHECK(eventually([&] { return serve.log().find("keeping the previous configuration") != std::string::npos; }));
    CHECK(post_bearer(serve.port, bearer_body(5), "rotatedSecret").status == 200);
    CHECK(serve.stop() == 0);

    auto journal = serve.journal();
    REQUIRE(journal.records.size() == 3);
    CHECK(journal.records[0].body == bearer_body(1));
    CHECK(journal.records[1].body == bearer_body(3));
    CHECK(journal.records[1].file > journal.records[0].file); // reopened: a new file after SIGHUP
}

TEST_CASE("a full disk answers 503 and flips /healthz, it recovers by itself when space returns",
          "[serve][durability]") {
    test::TempDir tmp;
    auto disk = tmp / "disk";
    SmallDisk small(disk, "512k");
    if (!small.mounted()) {
        WARN("cannot mount a tmpfs here (needs CAP_SYS_ADMIN): the full-disk case is covered by the file-size "
             "limit test below");
        return;
    }
    Serve serve("", fmt::format("[journal]\ndir = \"{}\"", (disk / "journal").string()));
    serve.start();
    REQUIRE(post_bearer(serve.port, bearer_body(0)).status == 200);
    fill_disk(disk / "filler", 8 * 1024);

    std::vector<std::string> acknowledged{bearer_body(0)};
    int refused = 0;
    for (int i = 1; i < 200 && refused == 0; ++i) {
        auto res = post_bearer(serve.port, bearer_body(i, 2000));
        if (res.status == 200)
            acknowledged.push_back(bearer_body(i, 2000));
        else if (res.status == 503)
            ++refused;
        else
            FAIL("unexpected status " << res.status);
    }
    REQUIRE(refused == 1);
    auto health = test::http(serve.port, "GET", "/healthz");
    CHECK(health.status == 503);
    CHECK(health.body.find("No space left on device") != std::string::npos);
    CHECK(test::http(serve.port, "GET", "/metrics").body.find("bbbhook_journal_healthy 0") != std::string::npos);
    CHECK(post_bearer(serve.port, bearer_body(1000, 2000)).status == 503);

    // Space comes back: serve notices on its own (no request needed) and accepts again.
    std::filesystem::remove(disk / "filler");
    CHECK(eventually([&] { return test::http(serve.port, "GET", "/healthz").status == 200; }, 5s));
    REQUIRE(post_bearer(serve.port, bearer_body(2000, 2000)).status == 200);
    acknowledged.push_back(bearer_body(2000, 2000));
    CHECK(serve.stop() == 0);

    auto journal = test::read_journal(disk / "journal");
    std::vector<std::string> bodies;
    for (const auto& r : journal.records)
        bodies.push_back(r.body);
    CHECK(bodies == acknowledged); // everything acknowledged, nothing refused, in order
}

TEST_CASE("a file-size limit fails writes with 503 without losing acknowledged requests", "[serve][durability]") {
    // RLIMIT_FSIZE makes the kernel refuse to grow a file (EFBIG): the same path as ENOSPC.
    Serve serve;
    serve.start({}, {"/usr/bin/prlimit", "--fsize=20000", "--"});
    std::vector<std::string> acknowledged;
    int refused = 0;
    for (int i = 0; i < 60; ++i) {
        auto res = post_bearer(serve.port, bearer_body(i, 1500));
        if (res.status == 200)
            acknowledged.push_back(bearer_body(i, 1500));
        else if (res.status == 503)
            ++refused;
        else
            FAIL("unexpected status " << res.status);
    }
    CHECK(refused >= 1);
    CHECK(acknowledged.size() >= 40); // each refusal starts a fresh file, which takes ~12 more
    CHECK(serve.stop() == 0);
    auto journal = serve.journal();
    std::vector<std::string> bodies;
    for (const auto& r : journal.records)
        bodies.push_back(r.body);
    CHECK(bodies == acknowledged);
    CHECK(journal.problems == 0); // the refused writes left no partial records
}

TEST_CASE("a second serve on the same journal folder exits 75 (temporary failure)", "[serve]") {
    Serve serve;
    serve.start();
    auto second = test::run({test::bbbhook_binary().string(), "--config", serve.config().string(), "serve", "--listen",
                             fmt::format("127.0.0.1:{}", test::free_port())});
    CHECK(second.code == 75);
    CHECK(second.err.find("is in use by another process") != std::string::npos);
    CHECK(serve.stop() == 0);
}

TEST_CASE("an address already in use exits 69 and names the address", "[serve]") {
    Serve serve;
    serve.start();
    test::TempDir other;
    auto second = test::run({test::bbbhook_binary().string(), "--config", serve.config().string(), "serve",
                             "--journal-dir", (other / "j").string()});
    CHECK(second.code == 69);
    CHECK(second.err.find(fmt::format("cannot listen on 127.0.0.1:{}", serve.port)) != std::string::npos);
    CHECK(serve.stop() == 0);
}

TEST_CASE("serve listens on several addresses, IPv4 and IPv6", "[serve]") {
    Serve serve;
    int port6 = test::free_port();
    serve.start({"--listen", fmt::format("127.0.0.1:{}", serve.port), "--listen", fmt::format("[::1]:{}", port6)});
    CHECK(test::send_raw(port6, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 5s, true).status ==
          200);
    auto body = bearer_body(1);
    std::string req = fmt::format(
        "POST /hooks/bearer-global HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        "Authorization: Bearer {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        test::k_fixture_secret, body.size(), body);
    CHECK(test::send_raw(port6, req, 5s, true).status == 200);
    CHECK(serve.stop() == 0);
    auto journal = serve.journal();
    REQUIRE(journal.records.size() == 1);
    CHECK(journal.records[0].remote.starts_with("[::1]:"));
}

TEST_CASE("with durability none every request is still journaled", "[serve][durability]") {
    Serve serve;
    serve.start({"--durability", "none"});
    for (int i = 0; i < 20; ++i)
        REQUIRE(post_bearer(serve.port, bearer_body(i)).status == 200);
    CHECK(serve.stop() == 0);
    CHECK(serve.journal().records.size() == 20);
    CHECK(serve.log().find("durability none") != std::string::npos);
}

TEST_CASE("/healthz and /metrics describe the running serve", "[serve][metrics]") {
    Serve serve;
    serve.start();
    for (int i = 0; i < 5; ++i)
        REQUIRE(post_bearer(serve.port, bearer_body(i)).status == 200);
    auto health = test::http(serve.port, "GET", "/healthz");
    CHECK(health.status == 200);
    CHECK(health.body.starts_with(R"({"status":"ok","journal":"000000000001-)"));
    auto m = test::http(serve.port, "GET", "/metrics");
    CHECK(m.status == 200);
    CHECK(m.head.find("text/plain; version=0.0.4") != std::string::npos);
    for (auto expected : {"bbbhook_requests_total{source=\"bearer-global\",status=\"200\"} 5",
                          "bbbhook_received_bytes_total{source=\"bearer-global\"} 3000",
                          "bbbhook_journal_records_total 5", "bbbhook_journal_healthy 1", "bbbhook_journal_files 1",
                          "bbbhook_journal_sync_seconds_bucket{le=", "bbbhook_journal_sync_seconds_count ",
                          "bbbhook_journal_batch_records_bucket{le=\"1\"}", "bbbhook_journal_size_bytes ",
                          "bbbhook_journal_free_bytes ", "bbbhook_build_info{version=",
                          // 5 small callbacks: no spare file prepared (journal.preallocate), none used.
                          "bbbhook_journal_files_from_spares_total 0", "bbbhook_journal_spare_ready 0"}) {
        INFO(expected);
        CHECK(m.body.find(expected) != std::string::npos);
    }
    // HEAD works as GET without a body.
    CHECK(test::send_raw(serve.port, "HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").status == 200);
    CHECK(serve.stop() == 0);
}
