// End-to-end tests of `bbbhook serve`: the real binary on a free loopback port, real HTTP,
// real journal files read back with the library's reader.
#include <catch2/catch.hpp>
#include <csignal>
#include <fmt/format.h>
#include <map>
#include <mutex>
#include <set>
#include <sys/mount.h>
#include <thread>

#include "bbbhook/bbb/callback_auth.hpp"
#include "bbbhook/journal/reader.hpp"
#include "support/serve_process.hpp"

using namespace bbbhook;
using namespace std::chrono_literals;
using test::bearer_body;
using test::post_bearer;
using test::read_journal;
using test::Serve;

namespace {

const auto k_callbacks = test::fixtures_dir() / "bbb-webhooks" / "captured" / "callbacks";

std::vector<test::Capture> all_captures() {
    std::vector<test::Capture> all;
    for (auto scenario : {"checksum-sha1", "checksum-sha1-retries", "checksum-sha256", "bearer"}) {
        auto v = test::load_captures(k_callbacks / scenario);
        all.insert(all.end(), v.begin(), v.end());
    }
    return all;
}

std::string metrics(int port) {
    return test::http(port, "GET", "/metrics").body;
}

} // namespace

TEST_CASE("serve journals every captured callback, byte for byte", "[serve][fixtures]") {
    Serve serve;
    serve.start();
    auto captures = all_captures();
    REQUIRE(captures.size() == 336);
    for (const auto& c : captures) {
        auto res = test::send_raw(serve.port, c.raw);
        INFO(c.file.string() << " -> " << res.status << " " << res.body);
        REQUIRE(res.status == 200);
    }
    CHECK(serve.stop() == 0);

    auto journal = serve.journal();
    CHECK(journal.problems == 0);
    REQUIRE(journal.records.size() == captures.size());
    // Each accepted request is in the journal with its body byte-identical, in arrival order
    // (they were sent one at a time), its target without the checksum, and how it proved itself.
    for (size_t i = 0; i < captures.size(); ++i) {
        const auto& c = captures[i];
        const auto& r = journal.records[i];
        INFO(c.file.string());
        CHECK(r.body == c.body);
        auto target = bbb::split_callback_target(c.target);
        CHECK(r.target == target.without_checksum);
        CHECK(r.source == std::string(target.path.substr(target.path.rfind('/') + 1)));
        CHECK(r.auth == (target.checksum ? bbb::AuthMethod::checksum : bbb::AuthMethod::bearer));
        CHECK(r.remote.starts_with("127.0.0.1:"));
    }
}

TEST_CASE("bad requests get precise answers and leave the journal unchanged", "[serve]") {
    Serve serve("max_body = \"64KiB\"");
    serve.start();
    test::Capture good; // a valid callback of the global-mapped hook
    for (auto& c : test::load_captures(k_callbacks / "checksum-sha1"))
        if (c.target.starts_with("/hooks/global-mapped?")) {
            good = c;
            break;
        }
    REQUIRE(!good.body.empty());
    const std::string form = "application/x-www-form-urlencoded;charset=UTF-8";
    const auto target = good.target;
    const std::string bearer = fmt::format("Bearer {}", test::k_fixture_secret);

    struct Case {
        std::string name, method, target, body;
        std::vector<std::pair<std::string, std::string>> headers;
        int status;
        std::string allow;
    };
    std::string flipped = good.body;
    flipped[10] = static_cast<char>(flipped[10] ^ 1);
    std::vector<Case> cases = {
        {"GET on a source", "GET", target, "", {}, 405, "POST"},
        {"PUT on a source", "PUT", target, good.body, {{"Content-Type", form}}, 405, "POST"},
        {"DELETE on a source", "DELETE", "/hooks/bearer-global", "", {}, 405, "POST"},
        {"POST on /healthz", "POST", "/healthz", "x", {{"Content-Type", form}}, 405, "GET, HEAD"},
        {"POST to an unknown source", "POST", "/hooks/nope", good.body, {{"Content-Type", form}}, 404, ""},
        {"GET of an unknown path", "GET", "/", "", {}, 404, ""},
        {"body over max_body", "POST", target, std::string(65 * 1024, 'a'), {{"Content-Type", form}}, 413, ""},
        {"JSON content type", "POST", target, good.body, {{"Content-Type", "application/json"}}, 415, ""},
        {"no content type", "POST", target, good.body, {}, 415, ""},
        {"flipped body byte", "POST", target, flipped, {{"Content-Type", form}}, 401, ""},
        {"no credentials", "POST", "/hooks/global-raw", good.body, {{"Content-Type", form}}, 401, ""},
        {"wrong bearer",
         "POST",
         "/hooks/bearer-global",
         good.body,
         {{"Content-Type", form}, {"Authorization", "Bearer nope"}},
         401,
         ""},
        {"bearer where checksum is required",
         "POST",
         "/hooks/global-mapped",
         good.body,
         {{"Content-Type", form}, {"Authorization", bearer}},
         401,
         ""},
        {"malformed percent-escape",
         "POST",
         "/hooks/bearer-global",
         "domain=x&event=%zz&timestamp=1",
         {{"Content-Type", form}, {"Authorization", bearer}},
         400,
         ""},
        {"no event field",
         "POST",
         "/hooks/bearer-global",
         "domain=x&timestamp=1",
         {{"Content-Type", form}, {"Authorization", bearer}},
         400,
         ""},
        {"empty body",
         "POST",
         "/hooks/bearer-global",
         "",
         {{"Content-Type", form}, {"Authorization", bearer}},
         400,
         ""},
    };
    for (const auto& c : cases) {
        auto res = test::http(serve.port, c.method, c.target, c.body, c.headers);
        INFO(c.name << ": " << res.head << "\n" << res.body);
        CHECK(res.status == c.status);
        CHECK_FALSE(res.body.empty()); // every answer says why
        if (!c.allow.empty()) CHECK(res.head.find("Allow: " + c.allow) != std::string::npos);
    }
    // An unknown method on a source is not allowed; malformed HTTP is a bad request.
    auto brew = test::send_raw(serve.port, "BREW /hooks/global-mapped HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(brew.status == 405);
    CHECK(brew.head.find("Allow: POST") != std::string::npos);
    CHECK(test::send_raw(serve.port, "POST /hooks/global-mapped HTTP/9.9\r\nHost: x\r\n\r\n").status == 400);
    CHECK(test::send_raw(serve.port, "GARBAGE\r\n\r\n").status == 400);
    CHECK(test::send_raw(serve.port, "GET /healthz HTTP/1.1\r\nX: " + std::string(20000, 'x') + "\r\n\r\n").status ==
          431);

    auto m = metrics(serve.port);
    CHECK(m.find("bbbhook_auth_failures_total{source=\"global-mapped\",reason=\"checksum_mismatch\"} 1") !=
          std::string::npos);
    CHECK(m.find("bbbhook_auth_failures_total{source=\"bearer-global\",reason=\"bearer_mismatch\"} 1") !=
          std::string::npos);
    CHECK(m.find("bbbhook_requests_total{source=\"global-mapped\",status=\"413\"} 1") != std::string::npos);
    CHECK(m.find("bbbhook_requests_total{source=\"(none)\",status=\"404\"} 2") != std::string::npos);
    CHECK(serve.stop() == 0);
    CHECK(serve.journal().records.empty());
    // The log names the problem but never the secret.
    CHECK(serve.log().find("checksum mismatch") != std::string::npos);
    CHECK(serve.log().find(std::string(test::k_fixture_secret)) == std::string::npos);
}

TEST_CASE("the quarantine keeps rejected requests, without the token, up to its size cap", "[serve][quarantine]") {
    Serve serve("quarantine = true\nquarantine_max = \"6KiB\"");
    serve.start();
    auto wrong = post_bearer(serve.port, bearer_body(1), "theRealSecretFromBBB");
    CHECK(wrong.status == 401);
    auto qdir = serve.data_dir() / "quarantine";
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(qdir))
        files.push_back(e.path());
    REQUIRE(files.size() == 1);
    auto text = test::read_text(files.front());
    CHECK(text.starts_with("POST /hooks/bearer-global HTTP/1.1\r\n"));
    CHECK(text.find("X-Bbbhook-Quarantine-Reason: bearer token does not match") != std::string::npos);
    CHECK(text.ends_with("\r\n\r\n" + bearer_body(1)));
    CHECK(text.find("theRealSecretFromBBB") == std::string::npos);
    CHECK(text.find("<redacted sha256:") != std::string::npos);

    // Malformed but authenticated requests are kept too; beyond the cap nothing more is written.
    for (int i = 0; i < 20; ++i)
        post_bearer(serve.port, "domain=x&event=%zz&n=" + std::to_string(i) + std::string(500, 'p'));
    uint64_t total = 0;
    for (const auto& e : std::filesystem::directory_iterator(qdir))
        total += e.file_size();
    CHECK(total <= 6 * 1024);
    auto m = metrics(serve.port);
    CHECK(m.find("bbbhook_quarantine_dropped_total 0") == std::string::npos);
    CHECK(m.find("bbbhook_quarantine_kept_total ") != std::string::npos);
    CHECK(serve.stop() == 0);
    CHECK(serve.journal().records.empty());
}

TEST_CASE("kill -9 during concurrent load: every request that got a 2xx is in the journal", "[serve][durability]") {
    // With 64 KiB files, most are spares prepared with zeros ahead (journal.preallocate = zeros),
    // and serve is killed while it writes them; with reserve, plain appends.
    const std::string preallocate = GENERATE("zeros", "reserve");
    Serve serve("", fmt::format("[journal]\nrotate_size = \"64KiB\"\npreallocate = \"{}\"", preallocate));
    std::mutex mutex;
    std::multiset<std::string> acknowledged;
    std::atomic<int> next{0};
    for (int round = 0; round < 3; ++round) {
        serve.start();
        std::atomic<bool> go{true};
        std::vector<std::thread> clients;
        for (int t = 0; t < 16; ++t)
            clients.emplace_back([&] {
                while (go) {
                    std::string body = bearer_body(next++);
                    auto res = post_bearer(serve.port, body);
                    if (res.status >= 200 && res.status < 300) {
                        std::lock_guard lk(mutex);
                        acknowledged.insert(body);
                    }
                }
            });
        std::this_thread::sleep_for(std::chrono::milliseconds(300 + 200 * round));
        CHECK(serve.stop(SIGKILL) == 128 + SIGKILL);
        go = false;
        for (auto& c : clients)
            c.join();
    }
    REQUIRE(acknowledged.size() > 100);
    // Restarted after the last kill, serve still starts on the same folder.
    serve.start();
    CHECK(serve.stop() == 0);
    auto journal = serve.journal();
    std::multiset<std::string> journaled;
    for (const auto& r : journal.records)
        journaled.insert(r.body);
    size_t missing = 0;
    for (const auto& body : acknowledged)
        if (!journaled.contains(body)) ++missing;
    INFO(acknowledged.size() << " acknowledged, " << journaled.size() << " journaled");
    CHECK(missing == 0);
    // A killed serve's zeros are not damage; at most the write a kill interrupted is torn.
    CHECK(journal.problems <= 3);
    size_t zero_filled = 0;
    for (const auto& e : std::filesystem::directory_iterator(serve.journal_dir())) {
        auto head = test::read_text(e.path()).substr(0, journal::k_file_header_size);
        zero_filled +=
            journal::is_valid_file_header(head) && (journal::file_header_flags(head) & journal::k_flag_zero_filled);
    }
    CHECK((preallocate == "zeros") == (zero_filled > 0));
}

TEST_CASE("SIGTERM and SIGINT let an in-flight request finish, then exit 0", "[serve][signals]") {
    const int sig = GENERATE(SIGTERM, SIGINT);
    INFO("signal " << sig);
    Serve serve;
    serve.start();
    std::string body = bearer_body(7);
    std::string head = fmt::format(
        "POST /hooks/bearer-global HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        "Authorization: Bearer {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        test::k_fixture_secret, body.size());
    // Half the request, SIGTERM while it is in flight, then the rest: it is answered and journaled.
    std::thread signaller([&] {
        std::this_thread::sleep_for(300ms);
        serve.signal(sig);
    });
    auto res =
        test::send_raw_slowly(serve.port, head + body.substr(0, body.size() / 2), body.substr(body.size() / 2), 800ms);
    signaller.join();
    CHECK(res.status == 200);
    auto rc = serve.wait_exit();
    REQUIRE(rc);
    CHECK(*rc == 0);
    auto journal = serve.journal();
    REQUIRE(journal.records.size() == 1);
    CHECK(journal.records[0].body == body);
    // New connections are refused once it has stopped.
    CHECK(test::http(serve.port, "GET", "/healthz").status == 0);
}

TEST_CASE("a large callback, up to max_body, is accepted and journaled intact", "[serve]") {
    // Raw events (a meeting with rich metadata, rap-publish-ended) easily exceed 8 KiB.
    Serve serve("max_body = \"1MiB\"");
    serve.start();
    for (size_t size : {size_t{9000}, size_t{200'000}, size_t{1u << 20}}) {
        auto body = bearer_body(static_cast<int>(size), size);
        REQUIRE(body.size() == size);
        auto res = post_bearer(serve.port, body);
        INFO(size << ": " << res.status << " " << res.body);
        CHECK(res.status == 200);
    }
    CHECK(post_bearer(serve.port, bearer_body(1, (1u << 20) + 1)).status == 413);
    CHECK(serve.stop() == 0);
    auto journal = serve.journal();
    REQUIRE(journal.records.size() == 3);
    CHECK(journal.records[2].body == bearer_body(1 << 20, 1u << 20));
}

TEST_CASE("Expect: 100-continue is answered, or refused before the body is sent", "[serve]") {
    Serve serve;
    serve.start();
    std::string body = bearer_body(3);
    auto head = [&](std::string_view path) {
        return fmt::format("POST {} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                           "Authorization: Bearer {}\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n",
                           path, test::k_fixture_secret, body.size());
    };
    // The body follows the interim answer; the final answer comes after it.
    auto res = test::send_raw_slowly(serve.port, head("/hooks/bearer-global"), body, 300ms);
    CHECK(res.interim.starts_with("HTTP/1.1 100 Continue"));
    CHECK(res.status == 200);
    // A refused request is answered at once, without waiting for a body that was never sent.
    auto refused = test::send_raw(serve.port, head("/hooks/nope"), 3s);
    CHECK(refused.status == 404);
    CHECK(serve.stop() == 0);
    CHECK(serve.journal().records.size() == 1);
}

TEST_CASE("requests on one kept-alive connection, pipelined or in pieces, are answered in order", "[serve]") {
    Serve serve;
    serve.start();
    auto callback = [&](int n, bool close) {
        std::string body = bearer_body(n);
        return fmt::format("POST /hooks/bearer-global HTTP/1.1\r\nHost: x\r\n"
                           "Content-Type: application/x-www-form-urlencoded\r\nAuthorization: Bearer {}\r\n"
                           "Content-Length: {}\r\n{}\r\n{}",
                           test::k_fixture_secret, body.size(), close ? "Connection: close\r\n" : "", body);
    };
    const std::string unknown = "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n";
    auto statuses = [](const std::string& received) {
        std::vector<int> out;
        for (size_t at = received.find("HTTP/1.1 "); at != std::string::npos; at = received.find("HTTP/1.1 ", at + 1))
            out.push_back(std::atoi(received.c_str() + at + 9));
        return out;
    };

    // Three requests in one write: the server must not lose the ones behind the first.
    auto pipelined = test::converse(serve.port, {callback(1, false) + unknown + callback(2, true)});
    CHECK(pipelined.closed_by_peer);
    CHECK(statuses(pipelined.received) == std::vector<int>{200, 404, 200});

    // The same conversation cut into 50-byte pieces: headers and bodies span many reads.
    std::string all = callback(3, false) + unknown + callback(4, true);
    std::vector<std::string> pieces;
    for (size_t i = 0; i < all.size(); i += 50)
        pieces.push_back(all.substr(i, 50));
    auto trickled = test::converse(serve.port, pieces, 2ms);
    CHECK(trickled.closed_by_peer);
    CHECK(statuses(trickled.received) == std::vector<int>{200, 404, 200});

    CHECK(serve.stop() == 0);
    auto journal = serve.journal();
    REQUIRE(journal.records.size() == 4);
    for (int i = 0; i < 4; ++i)
        CHECK(journal.records[static_cast<size_t>(i)].body == bearer_body(i + 1));
}

TEST_CASE("a connection idle or too slow for read_timeout is closed, and nothing is journaled", "[serve]") {
    Serve serve("read_timeout = \"1s\"");
    serve.start();
    // Nothing sent at all; half a header; a whole header but only half of the body.
    std::string body = bearer_body(1);
    std::string head = fmt::format("POST /hooks/bearer-global HTTP/1.1\r\nHost: x\r\n"
                                   "Content-Type: application/x-www-form-urlencoded\r\nAuthorization: Bearer {}\r\n"
                                   "Content-Length: {}\r\n\r\n",
                                   test::k_fixture_secret, body.size());
    for (const std::string& partial : {std::string(), head.substr(0, 30), head + body.substr(0, body.size() / 2)}) {
        INFO("sent: " << partial.size() << " bytes");
        auto c = test::converse(serve.port, {partial}, 0ms, 10s);
        CHECK(c.closed_by_peer);
        CHECK(c.received.empty()); // closed without an answer: there is no request to answer
        CHECK(c.elapsed >= 900ms);
    }
    // A kept-alive connection is answered, then closed once it has been idle for read_timeout.
    auto kept = test::converse(serve.port, {head + body}, 0ms, 10s);
    CHECK(kept.closed_by_peer);
    CHECK(kept.received.starts_with("HTTP/1.1 200 OK"));
    CHECK(kept.elapsed >= 900ms);
    CHECK(serve.stop() == 0);
    CHECK(serve.journal().records.size() == 1);
}
