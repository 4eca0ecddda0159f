// End-to-end tests of the command line: help, version, typos, configuration problems and exit codes.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "support/support.hpp"

using namespace bbbhook;

namespace {
test::RunResult run_bbbhook(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
    args.insert(args.begin(), test::bbbhook_binary().string());
    // Keep the test independent of the machine's /etc/bbbhook/bbbhook.conf.
    if (!env.contains("BBBHOOK_CONFIG") && std::ranges::find(args, "--config") == args.end())
        env["BBBHOOK_CONFIG"] = (test::source_dir() / "share" / "demo" / "bbbhook-demo.conf").string();
    return test::run(args, env);
}
} // namespace

TEST_CASE("help lists the subcommands and the exit codes, version names the build", "[cli]") {
    auto help = run_bbbhook({"--help"});
    CHECK(help.code == 0);
    for (auto s : {"serve", "journal", "config", "Exit status:", "78 config", "--config FILE"}) {
        INFO(s);
        CHECK(help.out.find(s) != std::string::npos);
    }
    auto version = run_bbbhook({"--version"});
    CHECK(version.code == 0);
    CHECK(version.out.starts_with("bbbhook 0."));
    auto serve_help = run_bbbhook({"serve", "--help"});
    CHECK(serve_help.code == 0);
    CHECK(serve_help.out.find("--listen") != std::string::npos);
    CHECK(serve_help.out.find("BBBHOOK_SERVE_LISTEN") != std::string::npos);
}

TEST_CASE("a mistyped subcommand gets a suggestion and exit 64", "[cli]") {
    auto r = run_bbbhook({"servr"});
    CHECK(r.code == 64);
    CHECK(r.err.find("Did you mean 'serve'?") != std::string::npos);
    CHECK(run_bbbhook({"serve", "--no-such-flag"}).code == 64);
    CHECK(run_bbbhook({}).code == 64);
}

TEST_CASE("config check reports every problem at once with its place, and exits 78", "[cli][config]") {
    test::TempDir tmp;
    auto conf = tmp / "bad.conf";
    test::write_text(conf,
                     "data_dir = \"x\"\n"
                     "[serve]\n"
                     "max_body = \"lots\"\n"       // line 3
                     "listn = [\"127.0.0.1:1\"]\n" // line 4: unknown key
                     "[source.a]\n"
                     "auth = \"token\"\n"                   // line 6
                     "callback_url = \"ftp://x\"\n"         // line 7
                     "secret_file = \"missing.secret\"\n"); // line 8
    auto r = run_bbbhook({"--config", conf.string(), "config", "check"}, {{"BBBHOOK_JOURNAL_ROTATE_AGE", "soon"}});
    CHECK(r.code == 78);
    for (auto expected :
         {fmt::format("{}:3: serve.max_body: invalid value 'lots'", conf.string()),
          fmt::format("{}:4: unknown setting 'serve.listn' (did you mean 'serve.listen'?)", conf.string()),
          fmt::format("{}:6: source.a: auth 'token' is not one of any, bearer, checksum", conf.string()),
          fmt::format("{}:7: source.a: callback_url must start with http:// or https://", conf.string()),
          fmt::format("{}:8: source.a: cannot read secret_file", conf.string()),
          std::string("BBBHOOK_JOURNAL_ROTATE_AGE: journal.rotate_age: invalid value 'soon'")}) {
        INFO(expected << "\n--- stderr:\n" << r.err);
        CHECK(r.err.find(expected) != std::string::npos);
    }
    // serve refuses to start with the same problems and the same exit code.
    auto s = run_bbbhook({"--config", conf.string(), "serve"});
    CHECK(s.code == 78);
    CHECK(s.err.find("serve.max_body") != std::string::npos);

    auto good = run_bbbhook({"config", "check"});
    CHECK(good.code == 0);
    CHECK(good.out.find("configuration OK") != std::string::npos);
}

TEST_CASE("config show prints each value with its origin and never a secret", "[cli][config]") {
    test::TempDir tmp;
    auto conf = tmp / "c.conf";
    test::write_text(conf, fmt::format("[serve]\nmax_body = \"2MiB\"\n[source.a]\nsecret = \"{}\"\nauth = \"bearer\"\n",
                                       test::k_fixture_secret));
    auto r = run_bbbhook({"--config", conf.string(), "config", "show", "--listen", "127.0.0.1:9999"},
                         {{"BBBHOOK_JOURNAL_ROTATE_SIZE", "1MiB"}});
    CHECK(r.code == 0);
    CHECK(r.out.find(std::string(test::k_fixture_secret)) == std::string::npos);
    CHECK(r.out.find("(secret, 39 bytes)") != std::string::npos);
    for (auto expected : {fmt::format("serve.max_body = 2MiB"), fmt::format("# {}:2", conf.string()),
                          std::string("# environment BBBHOOK_JOURNAL_ROTATE_SIZE"), std::string("# flag --listen"),
                          std::string("journal.durability = sync")}) {
        INFO(expected << "\n" << r.out);
        CHECK(r.out.find(expected) != std::string::npos);
    }
    auto json = run_bbbhook({"--config", conf.string(), "config", "show", "--json"});
    CHECK(json.code == 0);
    CHECK(json.out.find("\"serve.max_body\"") != std::string::npos);
    CHECK(json.out.find(std::string(test::k_fixture_secret)) == std::string::npos);
}

TEST_CASE("serve without any source exits 78 with a clear message", "[cli][config]") {
    test::TempDir tmp;
    auto conf = tmp / "empty.conf";
    test::write_text(conf, fmt::format("data_dir = \"{}\"\n", (tmp / "d").string()));
    auto r = run_bbbhook({"--config", conf.string(), "serve"});
    CHECK(r.code == 78);
    CHECK(r.err.find("no sources configured") != std::string::npos);
}

TEST_CASE("an explicit config file that does not exist is an error", "[cli][config]") {
    auto r = run_bbbhook({"--config", "/nonexistent/bbbhook.conf", "config", "check"});
    CHECK(r.code == 78);
    CHECK(r.err.find("/nonexistent/bbbhook.conf does not exist") != std::string::npos);
}

TEST_CASE("journal verify reports corruption with its place and exits 65", "[cli][journal]") {
    test::TempDir tmp;
    // A journal folder with one valid file whose middle byte is then damaged.
    auto dir = tmp / "journal";
    std::filesystem::create_directories(dir);
    auto name = "000000000001-20261124T201035Z.journal";
    std::string file = std::string("BBBHJRNL") + std::string("\x01\0\0\0\0\0\0\0", 8);
    test::write_text(dir / name, file + "garbage that is not a record");
    auto r = run_bbbhook({"journal", "verify", "--journal-dir", dir.string()});
    // The only file is the newest and unsealed: its bad tail may still be being written.
    CHECK(r.code == 0);
    CHECK(r.out.find("pending in the newest file") != std::string::npos);
    test::write_text(dir / "000000000002-20261124T201036Z.journal", file);
    r = run_bbbhook({"journal", "verify", "--journal-dir", dir.string()});
    CHECK(r.code == 65);
    CHECK(r.err.find(fmt::format("{}:16: torn tail of 28 bytes", (dir / name).string())) != std::string::npos);
}

TEST_CASE("journal dump --events prints each event as sent, one JSON document per line", "[cli][journal]") {
    test::TempDir tmp;
    auto sim = run_bbbhook({"simulate", "--seed", "3", "--meetings", "2", "--journal-dir", (tmp / "j").string()});
    REQUIRE(sim.code == 0);
    auto r = run_bbbhook({"journal", "dump", "--events", "--journal-dir", (tmp / "j").string(), "--limit", "5"});
    REQUIRE(r.code == 0);
    size_t lines = 0;
    for (size_t p = 0; (p = r.out.find('\n', p)) != std::string::npos; ++p) ++lines;
    CHECK(lines == 5);  // one event per callback in bbb-webhooks v3
    CHECK(r.out.starts_with(R"({"data":{"type":"event","id":")"));  // the key order as sent
}
