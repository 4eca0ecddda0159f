// End-to-end tests of `bbbhook hooks`: the real binary against the fake bbb-webhooks API
// (tests/tools/fake_bbb_api.cpp) on free loopback ports: every success and error path, retries,
// ensure's idempotence, TLS verification, a server that is down, and secrets never shown.
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "support/fake_bbb.hpp"
#include "support/support.hpp"

using namespace bbbhook;
using json = nlohmann::json;

namespace {

const std::string k_secret(test::k_fixture_secret);

bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

size_t count_of(std::string_view haystack, std::string_view needle) {
    size_t n = 0;
    for (size_t pos = haystack.find(needle); pos != std::string_view::npos; pos = haystack.find(needle, pos + 1))
        ++n;
    return n;
}

// A configuration folder with [source.NAME] tables, and `bbbhook hooks …` run against it.
struct Hooks {
    test::TempDir dir;
    std::filesystem::path conf = dir / "bbbhook.conf";

    explicit Hooks(std::string tables = {}) { write(std::move(tables)); }
    void write(std::string tables) {
        // Short timeouts and pauses keep failing cases fast; the retry count is per test.
        test::write_text(conf, fmt::format("data_dir = \"{}\"\n[hooks]\nconnect_timeout = \"2s\"\ntimeout = "
                                           "\"5s\"\nretries = 0\n{}",
                                           (dir / "data").string(), tables));
    }

    test::RunResult run(std::vector<std::string> args, std::map<std::string, std::string> env = {},
                        std::string_view stdin_data = {}) const {
        args.insert(args.begin(), {test::bbbhook_binary().string(), "--config", conf.string(), "hooks"});
        auto r = test::run(args, env, stdin_data);
        // Whatever happened, the secret is never printed.
        CHECK_FALSE(contains(r.out, k_secret));
        CHECK_FALSE(contains(r.err, k_secret));
        return r;
    }
};

std::string source(std::string_view name, const test::FakeBbb& fake, std::string_view extra = {},
                   std::string_view secret = k_secret) {
    return fmt::format("[source.{}]\nsecret = \"{}\"\nauth = \"bearer\"\ncallback_url = "
                       "\"https://hooks.example.org/bbb/{}\"\napi_url = \"{}\"\n{}\n",
                       name, secret, name, fake.api_base(), extra);
}

json parse_json(const test::RunResult& r) {
    INFO(r.out << r.err);
    REQUIRE_NOTHROW(json::parse(r.out));
    return json::parse(r.out);
}

} // namespace

TEST_CASE("hooks ensure creates missing hooks once and is idempotent across runs", "[hooks][e2e]") {
    test::FakeBbb a;
    test::FakeBbb b({.algorithms = {"sha1"}, .permanent = {"https://other.example.org/permanent"}});
    Hooks h(source("bbb1", a) + source("bbb2", b, "checksum_algorithm = \"sha1\""));

    auto first = h.run({"ensure"});
    INFO(first.out << first.err);
    REQUIRE(first.code == 0);
    CHECK(contains(first.out, "SERVER"));
    CHECK(count_of(first.out, "created") == 2);
    CHECK(count_of(a.log(), "hooks/create?") == 1);
    CHECK(count_of(b.log(), "hooks/create?") == 1);

    for (int run = 0; run < 2; ++run) {
        auto again = h.run({"ensure", "--json"});
        INFO(again.out << again.err);
        REQUIRE(again.code == 0);
        auto j = parse_json(again);
        REQUIRE(j["servers"].size() == 2);
        for (const auto& s : j["servers"]) {
            CHECK(s["ok"] == true);
            CHECK(s["status"] == "present");
            CHECK_FALSE(s["hook_id"].get<std::string>().empty());
        }
        CHECK(j["servers"][0]["server"] == "bbb1");
        CHECK(j["servers"][1]["callback_url"] == "https://hooks.example.org/bbb/bbb2");
    }
    // No second create: each later run only listed.
    CHECK(count_of(a.log(), "hooks/create?") == 1);
    CHECK(count_of(b.log(), "hooks/create?") == 1);
    CHECK(count_of(a.log(), "hooks/list?") == 3);

    // list: ours marked, the permanent hook of bbb2 shown too.
    auto list = h.run({"list", "--json"});
    REQUIRE(list.code == 0);
    auto j = parse_json(list);
    const auto& hooks2 = j["servers"][1]["hooks"];
    REQUIRE(hooks2.size() == 2);
    CHECK(hooks2[0]["permanent"] == true);
    CHECK(hooks2[0]["ours"] == false);
    CHECK(hooks2[1]["callback_url"] == "https://hooks.example.org/bbb/bbb2");
    CHECK(hooks2[1]["ours"] == true);
    CHECK(hooks2[1]["raw"] == false);
    CHECK(hooks2[1]["meeting_id"].is_null());
    auto table = h.run({"list", "--server", "bbb2"});
    REQUIRE(table.code == 0);
    CHECK(contains(table.out, "OURS"));
    CHECK(contains(table.out, "https://other.example.org/permanent"));
    CHECK_FALSE(contains(table.out, "bbb1"));

    // A hook lost on one server (bbb-webhooks gave up on it) is put back there only.
    std::string id = j["servers"][0]["hooks"][0]["hook_id"];
    REQUIRE(h.run({"destroy", id, "--server", "bbb1"}).code == 0);
    auto back = h.run({"ensure", "--json"});
    REQUIRE(back.code == 0);
    auto jb = parse_json(back);
    CHECK(jb["servers"][0]["status"] == "created");
    CHECK(jb["servers"][0]["hook_id"] != id);
    CHECK(jb["servers"][1]["status"] == "present");
}

TEST_CASE("hooks register: created, then already registered (duplicateWarning) is success", "[hooks][e2e]") {
    test::FakeBbb fake;
    Hooks h(source("bbb1", fake, "event_id = [\"user-joined\", \"User-Left\"]\nget_raw = false"));
    auto r = h.run({"register"});
    INFO(r.out << r.err);
    REQUIRE(r.code == 0);
    CHECK(contains(r.out, "created"));
    CHECK(contains(fake.log(), "eventID=user-joined%2Cuser-left&getRaw=false&checksum=REDACTED"));

    auto again = h.run({"register", "--json"});
    INFO(again.out << again.err);
    REQUIRE(again.code == 0);
    auto j = parse_json(again);
    CHECK(j["servers"][0]["status"] == "already-registered");
    CHECK(contains(again.err, "already registered"));
    CHECK(contains(fake.log(), "duplicateWarning"));

    // A meeting-scoped hook is registered, with the v3.5.0 warning.
    Hooks scoped(source("scoped", fake, "meeting_id = \"m-1\""));
    auto s = scoped.run({"register"});
    INFO(s.out << s.err);
    REQUIRE(s.code == 0);
    CHECK(contains(s.err, "bbbhook: warning: server scoped: the hook is scoped to meeting 'm-1'"));
}

TEST_CASE("hooks destroy: removed, unknown, permanent, and one server only", "[hooks][e2e]") {
    test::FakeBbb fake({.permanent = {"https://other.example.org/permanent"}});
    Hooks h(source("bbb1", fake));
    REQUIRE(h.run({"register"}).code == 0);
    auto list = parse_json(h.run({"list", "--json"}));
    REQUIRE(list["servers"][0]["hooks"].size() == 2);
    std::string permanent = list["servers"][0]["hooks"][0]["hook_id"];
    std::string ours = list["servers"][0]["hooks"][1]["hook_id"];

    auto r = h.run({"destroy", ours});
    INFO(r.out << r.err);
    CHECK(r.code == 0);
    CHECK(contains(r.out, "destroyed"));
    auto again = h.run({"destroy", ours});
    CHECK(again.code == 65);
    CHECK(contains(again.err, "no such hook"));
    auto perm = h.run({"destroy", permanent, "--json"});
    CHECK(perm.code == 65);
    auto j = parse_json(perm);
    CHECK(j["servers"][0]["error"]["kind"] == "hook-not-found");
    CHECK(j["servers"][0]["error"]["message_key"] == "destroyMissingHook");
    CHECK(contains(perm.err, "permanent hook"));

    // An empty id is refused before anything is sent.
    size_t before = fake.requests();
    auto empty = h.run({"destroy", " "});
    CHECK(empty.code == 64);
    CHECK(contains(empty.err, "HOOK_ID is empty"));
    CHECK(fake.requests() == before);

    test::FakeBbb other;
    Hooks two(source("bbb1", fake) + source("bbb2", other));
    auto ambiguous = two.run({"destroy", "some-id"});
    CHECK(ambiguous.code == 64);
    CHECK(contains(ambiguous.err, "name it with --server NAME"));
    CHECK(two.run({"destroy"}).code == 64); // HOOK_ID is required
}

TEST_CASE("hooks: a wrong secret or an algorithm the server refuses is a checksum error (exit 78)", "[hooks][e2e]") {
    test::FakeBbb fake({.algorithms = {"sha1"}});
    Hooks wrong(source("bbb1", fake, "checksum_algorithm = \"sha1\"", "notTheSecret"));
    auto r = wrong.run({"list"});
    INFO(r.out << r.err);
    CHECK(r.code == 78);
    CHECK(contains(r.out, "FAILED (checksum)"));
    CHECK(contains(r.err, "bbbhook: error: server bbb1: the server refused the request's checksum"));
    CHECK_FALSE(contains(r.err, "notTheSecret"));
    // Signed with sha1 already: no advice to switch to it.
    CHECK(contains(r.err, "(signed with sha1)"));

    Hooks alg(source("bbb1", fake)); // sha256 by default; this server accepts sha1 only
    auto a = alg.run({"ensure", "--json"});
    CHECK(a.code == 78);
    CHECK(contains(a.err, "signed with sha256; bbb-webhooks 2.x accepts sha1 only"));
    auto j = parse_json(a);
    CHECK(j["servers"][0]["ok"] == false);
    CHECK(j["servers"][0]["error"]["kind"] == "checksum");
    CHECK(j["servers"][0]["error"]["exit_code"] == 78);
}

TEST_CASE("hooks: transient failures are retried with a pause, then reported", "[hooks][e2e]") {
    SECTION("HTTP 503 twice, then an answer: success on the third attempt") {
        test::FakeBbb fake({.fail_first = 2});
        Hooks h(source("bbb1", fake));
        auto r = h.run({"list", "--retries", "2"});
        INFO(r.out << r.err << fake.log());
        CHECK(r.code == 0);
        CHECK(count_of(fake.log(), "-> 503") == 2);
        CHECK(count_of(r.err, "retrying in") == 2);
    }
    SECTION("without retries the 503 is reported as bbb-webhooks being down (exit 75)") {
        test::FakeBbb fake({.fail_first = 1, .fail_status = 502});
        Hooks h(source("bbb1", fake));
        auto r = h.run({"ensure", "--json"});
        CHECK(r.code == 75);
        CHECK(parse_json(r)["servers"][0]["error"]["kind"] == "http-unavailable");
        CHECK(contains(r.err, "HTTP 502"));
        CHECK(contains(r.err, "bbb-webhooks"));
    }
    SECTION("a storage error of bbb-webhooks (createHookError) is retried, then exit 75") {
        test::FakeBbb fake({.storage_error = true});
        Hooks h(source("bbb1", fake));
        auto r = h.run({"register", "--retries", "1"});
        CHECK(r.code == 75);
        CHECK(count_of(fake.log(), "createHookError") == 2);
        CHECK(contains(r.err, "failed on its side"));
    }
    SECTION("a timeout (exit 75)") {
        test::FakeBbb fake({.delay_ms = 3000});
        Hooks h(source("bbb1", fake));
        auto r = h.run({"list", "--timeout", "500ms", "--json"});
        CHECK(r.code == 75);
        CHECK(parse_json(r)["servers"][0]["error"]["kind"] == "timeout");
        CHECK(contains(r.err, "no answer from"));
    }
}

TEST_CASE("hooks: a server that is down is reported (exit 69) and the others are still handled", "[hooks][e2e]") {
    test::FakeBbb up;
    int down_port = test::free_port(); // nothing listens there
    std::string down = fmt::format("[source.down]\nsecret = \"{}\"\nauth = \"bearer\"\ncallback_url = "
                                   "\"https://hooks.example.org/bbb/down\"\napi_url = "
                                   "\"http://127.0.0.1:{}/bigbluebutton/api\"\n",
                                   k_secret, down_port);
    Hooks h(down + source("up", up));
    auto r = h.run({"ensure", "--retries", "1"});
    INFO(r.out << r.err);
    CHECK(r.code == 69);
    CHECK(contains(r.out, "FAILED (connect)"));
    CHECK(contains(r.out, "created"));
    CHECK(contains(r.err, "server down: attempt 1 failed"));
    CHECK(
        contains(r.err, fmt::format("bbbhook: error: server down: cannot connect to http://127.0.0.1:{}", down_port)));
    CHECK(count_of(up.log(), "hooks/create?") == 1);
}

TEST_CASE("hooks: a wrong API URL answers an HTML page (exit 76)", "[hooks][e2e]") {
    test::FakeBbb fake;
    std::string url = fmt::format("http://127.0.0.1:{}/wrong/api", fake.port());
    Hooks h;
    test::write_text(h.dir / "secret", k_secret + "\n");
    ::chmod((h.dir / "secret").c_str(), 0600);
    auto r = h.run({"list", "--api-url", url, "--secret-file", (h.dir / "secret").string(), "--json"});
    INFO(r.out << r.err);
    CHECK(r.code == 76);
    CHECK(parse_json(r)["servers"][0]["error"]["kind"] == "html-page");
    CHECK(contains(r.err, "HTTP 404"));
    CHECK(contains(r.err, "Cannot GET"));
}

TEST_CASE("hooks: TLS is verified, and --ca-file trusts a private CA (exit 76 without it)", "[hooks][e2e][tls]") {
    test::FakeBbb fake({.tls = true});
    REQUIRE(fake.api_base().starts_with("https://"));
    Hooks h(source("bbb1", fake));
    auto r = h.run({"list", "--json"});
    INFO(r.out << r.err);
    CHECK(r.code == 76);
    CHECK(parse_json(r)["servers"][0]["error"]["kind"] == "tls");
    CHECK(contains(r.err, "--ca-file"));
    CHECK(fake.requests() == 0);

    auto ok = h.run({"ensure", "--ca-file", fake.ca_file().string()});
    INFO(ok.out << ok.err);
    CHECK(ok.code == 0);
    CHECK(contains(ok.out, "created"));
}

TEST_CASE("hooks: a host name that does not resolve (exit 68)", "[hooks][e2e][dns]") {
    // In a network namespace of its own (nothing leaves this machine), no name resolves.
    if (test::run({"/usr/bin/unshare", "-rn", "/bin/true"}).code != 0) {
        WARN("unshare -rn is not permitted here: the DNS failure path is not exercised");
        return;
    }
    Hooks h;
    test::write_text(h.dir / "secret", k_secret);
    auto r = test::run({"/usr/bin/unshare", "-rn", test::bbbhook_binary().string(), "--config", h.conf.string(),
                        "hooks", "list", "--api-url", "https://bbb.example.invalid/bigbluebutton/api", "--secret-file",
                        (h.dir / "secret").string()});
    INFO(r.out << r.err);
    CHECK(r.code == 68);
    CHECK(contains(r.err, "cannot resolve the host of https://bbb.example.invalid/bigbluebutton/api"));
}

TEST_CASE("hooks: one-shot servers from flags and from bbb-conf --secret", "[hooks][e2e]") {
    test::FakeBbb fake;
    Hooks h;
    std::string conf_output = fmt::format("\n    URL: http://127.0.0.1:{}/bigbluebutton/\n    Secret: {}\n\n"
                                          "    Link to the API-Mate:\n    https://mconf.github.io/api-mate/"
                                          "#server=x&sharedSecret={}\n",
                                          fake.port(), k_secret, k_secret);
    SECTION("a fake bbb-conf in PATH") {
        auto bin = h.dir / "bin";
        std::filesystem::create_directories(bin);
        test::write_text(bin / "bbb-conf",
                         fmt::format("#!/bin/sh\n[ \"$1\" = --secret ] || exit 3\ncat <<'X'\n{}X\n", conf_output));
        ::chmod((bin / "bbb-conf").c_str(), 0755);
        std::string path = bin.string() + ":" + std::getenv("PATH");
        auto r = h.run({"register", "--from-bbb-conf", "--callback-url", "https://hooks.example.org/bbb/here"},
                       {{"PATH", path}});
        INFO(r.out << r.err);
        CHECK(r.code == 0);
        CHECK(contains(r.out, "127.0.0.1  created"));
        CHECK(contains(fake.log(), "callbackURL=https%3A%2F%2Fhooks.example.org%2Fbbb%2Fhere&checksum=REDACTED"));
        // Without bbb-conf in PATH: exit 66 and what to do instead.
        auto missing = h.run({"list", "--from-bbb-conf"}, {{"PATH", (h.dir / "empty").string()}});
        CHECK(missing.code == 66);
        CHECK(contains(missing.err, "is this a BigBlueButton server?"));
    }
    SECTION("its saved output on standard input, with a name") {
        auto r = h.run({"list", "--from-bbb-conf=-", "--name", "local", "--json"}, {}, conf_output);
        INFO(r.out << r.err);
        CHECK(r.code == 0);
        CHECK(parse_json(r)["servers"][0]["server"] == "local");
    }
    SECTION("--api-url with --secret-file, and what is missing") {
        test::write_text(h.dir / "secret", k_secret + "\n");
        std::string secret = (h.dir / "secret").string();
        auto r = h.run({"ensure", "--api-url", fake.api_base(), "--secret-file", secret, "--callback-url",
                        "https://hooks.example.org/bbb/x", "--algorithm", "sha512"});
        INFO(r.out << r.err);
        CHECK(r.code == 0);
        auto no_secret = h.run({"list", "--api-url", fake.api_base()});
        CHECK(no_secret.code == 64);
        CHECK(contains(no_secret.err, "--secret-file"));
        auto no_callback = h.run({"register", "--api-url", fake.api_base(), "--secret-file", secret});
        CHECK(no_callback.code == 64);
        CHECK(contains(no_callback.err, "--callback-url"));
        auto bad_alg = h.run({"list", "--api-url", fake.api_base(), "--secret-file", secret, "--algorithm", "md5"});
        CHECK(bad_alg.code == 64);
        auto bad_url = h.run({"list", "--api-url", "bbb.example.org", "--secret-file", secret});
        CHECK(bad_url.code == 64);
        CHECK(contains(bad_url.err, "--api-url"));
    }
}

TEST_CASE("hooks: configuration problems say what to set", "[hooks][e2e]") {
    Hooks none("[source.a]\nsecret = \"x\"\nauth = \"bearer\"\n");
    auto r = none.run({"ensure"});
    CHECK(r.code == 78);
    CHECK(contains(r.err, "set api_url and callback_url"));

    test::FakeBbb fake;
    Hooks h(source("bbb1", fake) + "[source.plain]\nsecret = \"x\"\nauth = \"bearer\"\n");
    auto typo = h.run({"list", "--server", "bbb2"});
    CHECK(typo.code == 64);
    CHECK(contains(typo.err, "did you mean 'bbb1'?"));
    auto no_api = h.run({"list", "--server", "plain"});
    CHECK(no_api.code == 78);
    CHECK(contains(no_api.err, "has no api_url"));
    auto mixed = h.run({"list", "--server", "bbb1", "--api-url", fake.api_base()});
    CHECK(mixed.code == 64);
}
