// End-to-end tests of `bbbhook simulate`: live POSTs to a real `serve` with bearer and checksum
// authentication, and journal output, both read back with the library's journal reader.
#include <algorithm>
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "bbbhook/journal/reader.hpp"
#include "bbbhook/simulate/generator.hpp"
#include "support/serve_process.hpp"

using namespace bbbhook;
using test::Serve;

namespace {

// libcurl would honour a proxy from the environment; these tests talk to loopback only.
const std::map<std::string, std::string> k_env = {{"no_proxy", "127.0.0.1"}, {"NO_PROXY", "127.0.0.1"}};

simulate::GeneratorOptions options(uint64_t seed, int meetings) {
    simulate::GeneratorOptions o;
    o.seed = seed;
    o.meetings = meetings;
    return o;
}

std::vector<std::string> generator_args(const simulate::GeneratorOptions& o) {
    return {"--seed", std::to_string(o.seed), "--meetings", std::to_string(o.meetings)};
}

test::RunResult simulate_run(std::vector<std::string> args) {
    args.insert(args.begin(), {test::bbbhook_binary().string(), "simulate"});
    return test::run(args, k_env);
}

std::vector<std::string> bodies(const std::vector<simulate::SimulatedCallback>& cbs) {
    std::vector<std::string> out;
    for (const auto& cb : cbs)
        out.push_back(cb.body);
    return out;
}

} // namespace

TEST_CASE("simulate --post with bearer auth: every callback is answered 200 and journaled in order",
          "[simulate][serve]") {
    Serve serve;
    serve.start();
    auto o = options(4, 3);
    auto expected = simulate::generate_all(o);
    auto args = generator_args(o);
    args.insert(args.end(), {"--post", fmt::format("http://127.0.0.1:{}/hooks/bearer-global", serve.port), "--secret",
                             std::string(test::k_fixture_secret), "--concurrency", "1"});
    auto r = simulate_run(args);
    INFO(r.out << r.err);
    REQUIRE(r.code == 0);
    CHECK(r.out.find(fmt::format("200: {}, other: 0", expected.size())) != std::string::npos);
    CHECK(serve.stop() == 0);

    auto journal = serve.journal();
    CHECK(journal.problems == 0);
    REQUIRE(journal.records.size() == expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
        const auto& rec = journal.records[i];
        REQUIRE(rec.body == expected[i].body); // one connection: the arrival order is kept
        CHECK(rec.auth == bbb::AuthMethod::bearer);
        CHECK(rec.source == "bearer-global");
    }
}

TEST_CASE("simulate --post with checksums over the registered callback URL, concurrently", "[simulate][serve]") {
    Serve serve;
    serve.start();
    auto o = options(5, 4);
    auto expected = bodies(simulate::generate_all(o));
    auto args = generator_args(o);
    args.insert(args.end(), {"--post", fmt::format("http://127.0.0.1:{}/hooks/global-mapped", serve.port), "--auth",
                             "checksum", "--callback-url", "http://127.0.0.1:18081/hooks/global-mapped", "--secret",
                             std::string(test::k_fixture_secret), "--concurrency", "4"});
    auto r = simulate_run(args);
    INFO(r.out << r.err << serve.log());
    REQUIRE(r.code == 0);
    CHECK(r.out.find(fmt::format("200: {}, other: 0", expected.size())) != std::string::npos);
    CHECK(serve.stop() == 0);

    auto journal = serve.journal();
    CHECK(journal.problems == 0);
    std::vector<std::string> got;
    for (const auto& rec : journal.records) {
        got.push_back(rec.body);
        CHECK(rec.auth == bbb::AuthMethod::checksum);
        CHECK(rec.target == "/hooks/global-mapped");
    }
    // Four requests in flight: the same callbacks, not necessarily in the same order.
    std::ranges::sort(got);
    std::ranges::sort(expected);
    CHECK(got == expected);
}

TEST_CASE("simulate --journal-dir writes the generator's stream as journal records", "[simulate]") {
    test::TempDir tmp;
    auto o = options(6, 5);
    o.servers = 2;
    auto expected = simulate::generate_all(o);
    auto args = generator_args(o);
    args.insert(args.end(), {"--servers", "2", "--journal-dir", (tmp / "journal").string()});
    auto r = simulate_run(args);
    INFO(r.out << r.err);
    REQUIRE(r.code == 0);
    CHECK(r.out.starts_with("simulated 5 meetings ("));
    CHECK(r.out.find(fmt::format(": {} callbacks (", expected.size())) != std::string::npos);
    CHECK(r.out.find("written to " + (tmp / "journal").string()) != std::string::npos);

    auto reader = journal::Reader::open(tmp / "journal");
    REQUIRE(reader);
    size_t i = 0;
    for (;; ++i) {
        auto item = reader->next();
        REQUIRE(item);
        REQUIRE(item->kind != journal::ReadItem::Kind::corrupt);
        REQUIRE(item->kind != journal::ReadItem::Kind::torn_tail);
        if (item->kind == journal::ReadItem::Kind::end) break;
        REQUIRE(i < expected.size());
        const auto& rec = item->record;
        const auto& cb = expected[i];
        REQUIRE(rec.body == cb.body);
        CHECK(rec.received_ms == cb.received_ms);
        CHECK(rec.source == fmt::format("sim-{}", cb.server_index));
        CHECK(rec.target == fmt::format("/bbb/sim-{}", cb.server_index));
        CHECK(rec.remote == "127.0.0.1:0");
        CHECK(rec.auth == bbb::AuthMethod::none);
    }
    CHECK(i == expected.size());
}

TEST_CASE("simulate exit codes: usage, wrong secret, journal in use, unreachable", "[simulate][serve]") {
    CHECK(simulate_run({"--meetings", "1"}).code == 64); // no output
    CHECK(simulate_run({"--meetings", "1", "--reorder", "2", "--journal-dir", "x"}).code == 64);
    CHECK(simulate_run({"--start", "tomorrow", "--journal-dir", "x"}).code == 64);
    CHECK(simulate_run({"--post", "http://127.0.0.1:9/x"}).code == 64); // no secret

    Serve serve;
    serve.start();
    // 401 is final (bbb-webhooks would drop the event): a protocol error, nothing journaled.
    auto r = simulate_run({"--meetings", "1", "--post",
                           fmt::format("http://127.0.0.1:{}/hooks/bearer-global", serve.port), "--secret", "wrong"});
    CHECK(r.code == 76);
    CHECK(r.out.find("(401: ") != std::string::npos);
    CHECK(r.err.find("wrong") == std::string::npos); // the secret is never printed
    // serve holds the journal folder.
    CHECK(simulate_run({"--meetings", "1", "--journal-dir", serve.journal_dir().string()}).code == 75);
    CHECK(serve.stop() == 0);
    CHECK(serve.journal().records.empty());

    // Nobody listens any more: after bbb-webhooks-like retries (7.6 s), exit 69.
    r = simulate_run({"--meetings", "1", "--concurrency", "1", "--post",
                      fmt::format("http://127.0.0.1:{}/hooks/bearer-global", serve.port), "--secret", "s"});
    CHECK(r.code == 69);
    CHECK(r.err.find("cannot reach") != std::string::npos);
}
