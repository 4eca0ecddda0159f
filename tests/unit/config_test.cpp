// config: layering (default < file < BBBHOOK_* environment < flag), origins with exact file:line,
// problem collection with suggestions, typed validation, sources, derived defaults, check and show.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fmt/format.h>
#include <set>

#include "bbbhook/config/commands.hpp"
#include "bbbhook/config/config.hpp"
#include "bbbhook/config/layers.hpp"
#include "bbbhook/config/settings.hpp"
#include "support/support.hpp"

using namespace bbbhook;
using namespace std::chrono_literals;
using config::Origin;
namespace fs = std::filesystem;

namespace {

using Env = std::map<std::string, std::string>;
using Flags = std::vector<config::FlagValue>;

// A temp folder holding bbbhook.conf; every request names that file explicitly (so neither
// /etc/bbbhook/bbbhook.conf nor the process environment plays a part).
struct ConfigDir {
    test::TempDir dir;
    fs::path conf = dir / "bbbhook.conf";

    config::LoadRequest request(std::string_view text, Env env = {}, Flags flags = {}) const {
        test::write_text(conf, text);
        config::LoadRequest r;
        r.config_path = conf;
        r.environment = std::move(env);
        r.flags = std::move(flags);
        return r;
    }
    // "FILE:LINE" as the loader names a place in the config file.
    std::string at(int line) const { return fmt::format("{}:{}", conf.string(), line); }

    // Writes a secret file with owner-only permissions.
    fs::path secret_file(std::string_view name, std::string_view content,
                         fs::perms perms = fs::perms::owner_read | fs::perms::owner_write) const {
        fs::path p = dir / name;
        fs::create_directories(p.parent_path());
        test::write_text(p, content);
        fs::permissions(p, perms);
        return p;
    }
};

bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

// The problems whose text contains `needle`.
std::vector<config::Problem> matching(const std::vector<config::Problem>& problems, std::string_view needle) {
    std::vector<config::Problem> out;
    for (const auto& p : problems)
        if (contains(p.text(), needle)) out.push_back(p);
    return out;
}

// Exactly one problem containing `needle`, at `where`.
void require_problem(const std::vector<config::Problem>& problems, std::string_view where, std::string_view needle) {
    auto found = matching(problems, needle);
    INFO("looking for '" << needle << "' at " << where);
    for (const auto& p : problems)
        UNSCOPED_INFO("problem: " << p.text());
    REQUIRE(found.size() == 1);
    CHECK(found.front().where == where);
}

std::string all_text(const std::vector<config::Problem>& problems) {
    std::string out;
    for (const auto& p : problems)
        out += p.text() + "\n";
    return out;
}

const config::SourceConfig& source_named(const config::Config& c, std::string_view name) {
    auto it = std::ranges::find(c.sources, name, &config::SourceConfig::name);
    REQUIRE(it != c.sources.end());
    return *it;
}

// Runs check or show with stdout/stderr going to temp files, and reads them back.
struct Output {
    ExitCode code = ExitCode::ok;
    std::string out, err;
};
template <class Fn> Output capture(const test::TempDir& dir, Fn fn) {
    fs::path out_path = dir / "stdout.txt", err_path = dir / "stderr.txt";
    std::FILE* out = std::fopen(out_path.c_str(), "w");
    std::FILE* err = std::fopen(err_path.c_str(), "w");
    REQUIRE(out);
    REQUIRE(err);
    Output o;
    o.code = fn(out, err);
    std::fclose(out);
    std::fclose(err);
    o.out = test::read_text(out_path);
    o.err = test::read_text(err_path);
    return o;
}

} // namespace

TEST_CASE("config: env_name and the settings table", "[config]") {
    CHECK(config::env_name("serve.max_body") == "BBBHOOK_SERVE_MAX_BODY");
    CHECK(config::env_name("data_dir") == "BBBHOOK_DATA_DIR");
    CHECK(config::env_name("journal.rotate_size") == "BBBHOOK_JOURNAL_ROTATE_SIZE");
    REQUIRE(config::find_spec("serve.listen"));
    CHECK(config::find_spec("serve.listen")->kind == config::Kind::list);
    CHECK(config::find_spec("serve.listen")->flag == "--listen");
    CHECK(config::find_spec("serve.nope") == nullptr);
    // Every setting's environment variable is distinct.
    std::set<std::string> names;
    for (const auto& s : config::specs())
        CHECK(names.insert(config::env_name(s.key)).second);
}

TEST_CASE("config: flag beats environment beats file beats default", "[config][layers]") {
    ConfigDir d;
    const auto req =
        d.request("# precedence\n"                                  // 1
                  "log_level = \"debug\"\n"                         // 2
                  "data_dir = \"/srv/bbbhook\"\n"                   // 3
                  "\n"                                              // 4
                  "[journal]\n"                                     // 5
                  "rotate_size = \"16MiB\"\n"                       // 6
                  "rotate_age = \"6h\"\n"                           // 7
                  "\n"                                              // 8
                  "[serve]\n"                                       // 9
                  "threads = 8\n"                                   // 10
                  "listen = [\"127.0.0.1:9001\", \"[::1]:9002\"]\n" // 11
                  ,
                  Env{{"BBBHOOK_SERVE_THREADS", "16"},
                      {"BBBHOOK_JOURNAL_ROTATE_SIZE", "32MiB"},
                      {"BBBHOOK_SERVE_MAX_BODY", "2MiB"}},
                  Flags{{"serve.threads", {"32"}, "--threads"}, {"serve.read_timeout", {"30s"}, "--read-timeout"}});
    auto layers = config::load_layers(req);
    INFO(all_text(layers.problems));
    REQUIRE(layers.problems.empty());
    CHECK(layers.file == d.conf);

    SECTION("file, environment and flag: the flag wins") {
        const auto& v = layers.get("serve.threads");
        CHECK(v.origin == Origin::flag);
        CHECK(v.where == "--threads");
        CHECK(v.items == std::vector<std::string>{"32"});
    }
    SECTION("file and environment: the environment wins") {
        const auto& v = layers.get("journal.rotate_size");
        CHECK(v.origin == Origin::environment);
        CHECK(v.where == "BBBHOOK_JOURNAL_ROTATE_SIZE");
        CHECK(v.text() == "32MiB");
    }
    SECTION("only the file: the file, with its exact line") {
        const auto& age = layers.get("journal.rotate_age");
        CHECK(age.origin == Origin::file);
        CHECK(age.where == d.at(7));
        CHECK(age.text() == "6h");
        const auto& level = layers.get("log_level");
        CHECK(level.origin == Origin::file);
        CHECK(level.where == d.at(2));
        const auto& listen = layers.get("serve.listen");
        CHECK(listen.origin == Origin::file);
        CHECK(listen.where == d.at(11));
        CHECK(listen.items == std::vector<std::string>{"127.0.0.1:9001", "[::1]:9002"});
        CHECK(listen.text() == "127.0.0.1:9001, [::1]:9002");
    }
    SECTION("only environment or only flag") {
        CHECK(layers.get("serve.max_body").origin == Origin::environment);
        CHECK(layers.get("serve.max_body").where == "BBBHOOK_SERVE_MAX_BODY");
        CHECK(layers.get("serve.read_timeout").origin == Origin::flag);
        CHECK(layers.get("serve.read_timeout").where == "--read-timeout");
    }
    SECTION("none: the built-in default") {
        const auto& v = layers.get("journal.durability");
        CHECK(v.origin == Origin::builtin);
        CHECK(v.where == "default");
        CHECK(v.text() == "sync");
        CHECK(layers.get("serve.quarantine_max").text() == "256MiB");
        CHECK(layers.get("serve.quarantine_max").origin == Origin::builtin);
    }
    SECTION("the typed configuration follows the winners") {
        auto r = config::resolve(layers);
        INFO(all_text(r.problems));
        REQUIRE(r.problems.empty());
        const auto& c = r.config;
        CHECK(c.serve.threads == 32);
        CHECK(c.journal.rotate_size == 32ull << 20);
        CHECK(c.journal.rotate_age == 6h);
        CHECK(c.serve.max_body == 2ull << 20);
        CHECK(c.serve.read_timeout == 30s);
        CHECK(c.log_level == util::LogLevel::debug);
        CHECK(c.journal.durability == journal::Durability::sync);
        CHECK(c.serve.quarantine_max == 256ull << 20);
        CHECK(c.data_dir == fs::path("/srv/bbbhook"));
        CHECK(c.journal.dir == fs::path("/srv/bbbhook/journal"));
        REQUIRE(c.serve.listen.size() == 2);
        CHECK(c.serve.listen[0].host == "127.0.0.1");
        CHECK(c.serve.listen[0].port == 9001);
        CHECK(c.serve.listen[1].host == "::1");
        CHECK(c.serve.listen[1].port == 9002);
        CHECK(c.serve.listen[1].text() == "[::1]:9002");
    }
}

TEST_CASE("config: an empty file leaves every setting at its default", "[config][layers]") {
    ConfigDir d;
    auto layers = config::load_layers(d.request(""));
    REQUIRE(layers.problems.empty());
    for (const auto& s : config::specs()) {
        INFO(s.key);
        const auto& v = layers.get(s.key);
        CHECK(v.origin == Origin::builtin);
        CHECK(v.where == "default");
        CHECK(v.text() == s.default_text);
    }
    CHECK(layers.sources.empty());
    auto r = config::resolve(layers);
    INFO(all_text(r.problems));
    REQUIRE(r.problems.empty());
    CHECK(r.config.serve.threads == 1);
    CHECK(r.config.serve.max_body == 1u << 20);
    CHECK(r.config.serve.read_timeout == 10s);
    CHECK(r.config.journal.rotate_size == 64ull << 20);
    CHECK(r.config.journal.rotate_age == 24h);
    CHECK_FALSE(r.config.serve.quarantine);
    REQUIRE(r.config.serve.listen.size() == 1);
    CHECK(r.config.serve.listen[0].text() == "127.0.0.1:8090");
}

TEST_CASE("config: list settings split from the environment and accumulate from flags", "[config][layers]") {
    ConfigDir d;
    SECTION("environment: comma-separated, trimmed") {
        auto layers = config::load_layers(d.request("[serve]\nlisten = \"127.0.0.1:1\"\n",
                                                    Env{{"BBBHOOK_SERVE_LISTEN", "127.0.0.1:8090, [::1]:8091,"}}));
        REQUIRE(layers.problems.empty());
        const auto& v = layers.get("serve.listen");
        CHECK(v.origin == Origin::environment);
        CHECK(v.items == std::vector<std::string>{"127.0.0.1:8090", "[::1]:8091"});
        auto r = config::resolve(layers);
        REQUIRE(r.problems.empty());
        REQUIRE(r.config.serve.listen.size() == 2);
        CHECK(r.config.serve.listen[1].host == "::1");
        CHECK(r.config.serve.listen[1].port == 8091);
    }
    SECTION("flags: repeated ones accumulate (and may be comma-separated), replacing env and file") {
        auto layers = config::load_layers(d.request("[serve]\nlisten = \"127.0.0.1:1\"\n",
                                                    Env{{"BBBHOOK_SERVE_LISTEN", "127.0.0.1:2"}},
                                                    Flags{{"serve.listen", {"127.0.0.1:3"}, "--listen"},
                                                          {"serve.threads", {"4"}, "--threads"},
                                                          {"serve.listen", {"127.0.0.1:4, 127.0.0.1:5"}, "--listen"},
                                                          {"serve.listen", {"[::1]:6"}, "--listen"}}));
        REQUIRE(layers.problems.empty());
        const auto& v = layers.get("serve.listen");
        CHECK(v.origin == Origin::flag);
        CHECK(v.where == "--listen");
        CHECK(v.items == std::vector<std::string>{"127.0.0.1:3", "127.0.0.1:4", "127.0.0.1:5", "[::1]:6"});
        auto r = config::resolve(layers);
        REQUIRE(r.problems.empty());
        CHECK(r.config.serve.listen.size() == 4);
        CHECK(r.config.serve.threads == 4);
    }
    SECTION("a repeated scalar flag: the last one wins") {
        auto layers = config::load_layers(
            d.request("", {}, Flags{{"serve.threads", {"4"}, "--threads"}, {"serve.threads", {"5"}, "--threads"}}));
        CHECK(layers.get("serve.threads").items == std::vector<std::string>{"5"});
    }
}

TEST_CASE("config: the config file named by --config or BBBHOOK_CONFIG must exist", "[config][layers]") {
    ConfigDir d;
    const fs::path missing = d.dir / "missing.conf";
    SECTION("--config") {
        config::LoadRequest req;
        req.config_path = missing;
        auto layers = config::load_layers(req);
        require_problem(layers.problems, "--config", "does not exist");
        CHECK(contains(layers.problems.front().message, missing.string()));
        CHECK(layers.file.empty());
    }
    SECTION("BBBHOOK_CONFIG") {
        config::LoadRequest req;
        req.environment = {{"BBBHOOK_CONFIG", missing.string()}};
        auto layers = config::load_layers(req);
        require_problem(layers.problems, "BBBHOOK_CONFIG", "does not exist");
    }
    SECTION("a folder is not a config file") {
        config::LoadRequest req;
        req.config_path = d.dir.path();
        auto layers = config::load_layers(req);
        require_problem(layers.problems, "--config", "not a file");
    }
    SECTION("BBBHOOK_CONFIG names the file when --config is absent, and is not an unknown variable") {
        test::write_text(d.conf, "[serve]\nthreads = 3\n");
        config::LoadRequest req;
        req.environment = {{"BBBHOOK_CONFIG", d.conf.string()}};
        auto layers = config::load_layers(req);
        INFO(all_text(layers.problems));
        CHECK(layers.problems.empty());
        CHECK(layers.file == d.conf);
        CHECK(layers.get("serve.threads").where == d.at(2));
    }
}

TEST_CASE("config: a TOML syntax error is a problem at its line", "[config][layers]") {
    ConfigDir d;
    auto layers = config::load_layers(d.request("[serve]\n"
                                                "threads = 4\n"
                                                "listen = [\"127.0.0.1:1\"\n"
                                                "\n"
                                                "[journal\n"));
    REQUIRE(layers.problems.size() == 1);
    CHECK(contains(layers.problems[0].message, "syntax error"));
    CHECK(layers.problems[0].where.starts_with(d.conf.string() + ":"));
    CHECK(config::resolve(layers).problems.size() == 1);
}

TEST_CASE("config: unknown keys and variables are problems with a suggestion", "[config][layers]") {
    ConfigDir d;
    SECTION("a setting in the file") {
        auto layers = config::load_layers(d.request("[serve]\n"
                                                    "threads = 4\n"
                                                    "max_bdy = \"1MiB\"\n"));
        require_problem(layers.problems, d.at(3), "unknown setting 'serve.max_bdy'");
        CHECK(contains(layers.problems[0].message, "did you mean 'serve.max_body'?"));
        // The known key next to it still counts.
        CHECK(layers.get("serve.threads").text() == "4");
    }
    SECTION("a misspelt table") {
        auto layers = config::load_layers(d.request("[journl]\n"
                                                    "rotate_age = \"1h\"\n"));
        require_problem(layers.problems, d.at(2), "unknown setting 'journl.rotate_age'");
        CHECK(contains(layers.problems[0].message, "did you mean 'journal.rotate_age'?"));
        CHECK(layers.get("journal.rotate_age").origin == Origin::builtin);
    }
    SECTION("a key in [source.NAME]") {
        auto layers = config::load_layers(d.request("[source.moodle]\n"
                                                    "secret = \"s3cret\"\n"
                                                    "callback_ur = \"https://hooks.example.org/bbb/moodle\"\n"));
        require_problem(layers.problems, d.at(3), "unknown key 'callback_ur' in [source.moodle]");
        CHECK(contains(layers.problems[0].message, "did you mean 'callback_url'?"));
        REQUIRE(layers.sources.size() == 1);
        CHECK(layers.sources[0].values.contains("secret"));
        CHECK_FALSE(layers.sources[0].values.contains("callback_ur"));
    }
    SECTION("a BBBHOOK_* variable") {
        auto layers = config::load_layers(d.request("", Env{{"BBBHOOK_SERVE_THREDS", "4"}, {"HOME", "/root"}}));
        require_problem(layers.problems, "BBBHOOK_SERVE_THREDS", "unknown environment variable");
        CHECK(contains(layers.problems[0].message, "did you mean 'BBBHOOK_SERVE_THREADS'?"));
        CHECK(layers.get("serve.threads").origin == Origin::builtin);
    }
    SECTION("no suggestion for something unrelated") {
        auto layers = config::load_layers(d.request("colour = \"blue\"\n"));
        require_problem(layers.problems, d.at(1), "unknown setting 'colour'");
        CHECK_FALSE(contains(layers.problems[0].message, "did you mean"));
    }
}

TEST_CASE("config: every problem of a file is reported at once, each at its line", "[config]") {
    ConfigDir d;
    const auto req = d.request("# several mistakes\n"                           // 1
                               "log_levl = \"debug\"\n"                         // 2
                               "\n"                                             // 3
                               "[journal]\n"                                    // 4
                               "rotate_size = \"lots\"\n"                       // 5
                               "rotate_age = \"forever\"\n"                     // 6
                               "\n"                                             // 7
                               "[serve]\n"                                      // 8
                               "max_bdy = \"1MiB\"\n"                           // 9
                               "threads = 0\n"                                  // 10
                               "listen = [\"127.0.0.1:8090\", \"localhost\"]\n" // 11
                               "\n"                                             // 12
                               "[source.moodle]\n"                              // 13
                               "secret = \"s3cret\"\n"                          // 14
                               "secret_fle = \"moodle.secret\"\n"               // 15
                               "auth = \"token\"\n");                           // 16
    auto r = config::resolve(config::load_layers(req));
    INFO(all_text(r.problems));
    require_problem(r.problems, d.at(2), "unknown setting 'log_levl' (did you mean 'log_level'?)");
    require_problem(r.problems, d.at(5), "journal.rotate_size: invalid value 'lots'");
    require_problem(r.problems, d.at(6), "journal.rotate_age: invalid value 'forever'");
    require_problem(r.problems, d.at(9), "unknown setting 'serve.max_bdy' (did you mean 'serve.max_body'?)");
    require_problem(r.problems, d.at(10), "serve.threads: must be 1 to 64");
    require_problem(r.problems, d.at(11), "serve.listen: invalid address 'localhost'");
    require_problem(r.problems, d.at(15), "unknown key 'secret_fle' in [source.moodle] (did you mean 'secret_file'?)");
    require_problem(r.problems, d.at(16), "source.moodle: auth 'token' is not one of any, bearer, checksum");
    CHECK(r.problems.size() == 8);
    std::set<std::string> lines;
    for (const auto& p : r.problems)
        lines.insert(p.where);
    CHECK(lines.size() == 8);

    // config check prints them all and exits 78.
    auto o = capture(d.dir, [&](std::FILE* out, std::FILE* err) { return config::check(req, out, err); });
    CHECK(o.code == ExitCode::config);
    CHECK(to_int(o.code) == 78);
    CHECK(o.out.empty());
    for (const auto& p : r.problems)
        CHECK(contains(o.err, "bbbhook: " + p.text() + "\n"));
    CHECK(contains(o.err, "8 problem(s) in the configuration"));
}

TEST_CASE("config: typed validation names the key and where the value came from", "[config]") {
    ConfigDir d;
    auto resolve = [](const config::LoadRequest& req) { return config::resolve(config::load_layers(req)); };

    SECTION("a bad size in the file") {
        auto r = resolve(d.request("[serve]\n"
                                   "max_body = \"1 MeB\"\n"));
        require_problem(r.problems, d.at(2), "serve.max_body: invalid value '1 MeB': expected a size");
        CHECK(r.problems.size() == 1);
    }
    SECTION("sizes out of range") {
        auto r = resolve(d.request("[journal]\n"
                                   "rotate_size = \"1KiB\"\n"
                                   "[serve]\n"
                                   "max_body = \"1GiB\"\n"));
        require_problem(r.problems, d.at(2), "journal.rotate_size: must be at least 4KiB");
        require_problem(r.problems, d.at(4), "serve.max_body: must be between 1 byte and 128MiB");
    }
    SECTION("a bad duration from the environment") {
        auto r = resolve(d.request("", Env{{"BBBHOOK_SERVE_READ_TIMEOUT", "soon"}}));
        require_problem(r.problems, "BBBHOOK_SERVE_READ_TIMEOUT", "serve.read_timeout: invalid value 'soon'");
        CHECK(r.problems.front().text().starts_with("BBBHOOK_SERVE_READ_TIMEOUT: serve.read_timeout:"));
    }
    SECTION("a rotate_age below one second") {
        auto r = resolve(d.request("", Env{{"BBBHOOK_JOURNAL_ROTATE_AGE", "500ms"}}));
        require_problem(r.problems, "BBBHOOK_JOURNAL_ROTATE_AGE", "journal.rotate_age: must be at least 1s");
    }
    SECTION("bad listen addresses from a flag") {
        auto r = resolve(d.request(
            "", {}, Flags{{"serve.listen", {"127.0.0.1:8090", "localhost", "127.0.0.1:70000", "::1:80"}, "--listen"}}));
        INFO(all_text(r.problems));
        require_problem(r.problems, "--listen", "serve.listen: invalid address 'localhost'");
        require_problem(r.problems, "--listen", "serve.listen: invalid address '127.0.0.1:70000'");
        require_problem(r.problems, "--listen", "serve.listen: invalid address '::1:80'");
        CHECK(r.problems.size() == 3);
    }
    SECTION("an empty listen list") {
        auto r = resolve(d.request("", Env{{"BBBHOOK_SERVE_LISTEN", " , "}}));
        require_problem(r.problems, "BBBHOOK_SERVE_LISTEN", "serve.listen: no address to listen on");
    }
    SECTION("threads out of range, from each layer") {
        auto r = resolve(d.request("[serve]\nthreads = 65\n"));
        require_problem(r.problems, d.at(2), "serve.threads: must be 1 to 64");
        r = resolve(d.request("", Env{{"BBBHOOK_SERVE_THREADS", "0"}}));
        require_problem(r.problems, "BBBHOOK_SERVE_THREADS", "serve.threads: must be 1 to 64");
        r = resolve(d.request("", {}, Flags{{"serve.threads", {"-3"}, "--threads"}}));
        require_problem(r.problems, "--threads", "serve.threads: must be 1 to 64");
        r = resolve(d.request("", {}, Flags{{"serve.threads", {"12abc"}, "--threads"}}));
        require_problem(r.problems, "--threads", "serve.threads: invalid value '12abc': expected a whole number");
        r = resolve(d.request("[serve]\nthreads = 64\n"));
        CHECK(r.problems.empty());
        CHECK(r.config.serve.threads == 64);
    }
    SECTION("choices and booleans") {
        auto r = resolve(d.request("log_level = \"loud\"\n"
                                   "[journal]\n"
                                   "durability = \"maybe\"\n"
                                   "[serve]\n"
                                   "quarantine = \"perhaps\"\n"));
        require_problem(r.problems, d.at(1), "log_level: invalid value 'loud'");
        require_problem(r.problems, d.at(3), "journal.durability: invalid value 'maybe': expected sync or none");
        require_problem(r.problems, d.at(5), "serve.quarantine: invalid value 'perhaps': expected true or false");
        r = resolve(d.request("[serve]\nquarantine = true\n[journal]\ndurability = \"none\"\n",
                              Env{{"BBBHOOK_LOG_LEVEL", "warn"}}));
        CHECK(r.problems.empty());
        CHECK(r.config.serve.quarantine);
        CHECK(r.config.journal.durability == journal::Durability::none);
        CHECK(r.config.log_level == util::LogLevel::warn);
    }
    SECTION("control bytes in a bad value are escaped in the message") {
        auto r = resolve(d.request("", Env{{"BBBHOOK_SERVE_MAX_BODY", "1\nFAKE"}}));
        require_problem(r.problems, "BBBHOOK_SERVE_MAX_BODY", "invalid value '1\\x0aFAKE'");
        CHECK_FALSE(contains(r.problems.front().text(), "\n"));
    }
}

TEST_CASE("config: parse_endpoint", "[config]") {
    auto ep = config::parse_endpoint("127.0.0.1:8090");
    REQUIRE(ep);
    CHECK(ep->host == "127.0.0.1");
    CHECK(ep->port == 8090);
    CHECK(ep->text() == "127.0.0.1:8090");
    ep = config::parse_endpoint(" [::1]:0 ");
    REQUIRE(ep);
    CHECK(ep->host == "::1");
    CHECK(ep->port == 0);
    CHECK(ep->text() == "[::1]:0");
    ep = config::parse_endpoint("localhost:65535");
    REQUIRE(ep);
    CHECK(ep->port == 65535);
    for (std::string_view bad : {"", "localhost", ":80", "host:", "host:65536", "host:-1", "host:80x", "::1:80",
                                 "[::1]", "[::1]8090", "[]:80", "[::1:80"}) {
        INFO(bad);
        CHECK_FALSE(config::parse_endpoint(bad));
    }
}

TEST_CASE("config: sources with inline and file secrets", "[config][sources]") {
    ConfigDir d;
    d.secret_file("secrets/moodle1.secret", "fileSecret456\n");
    const auto req = d.request("[source.moodle1]\n"                                             // 1
                               "secret_file = \"secrets/moodle1.secret\"\n"                     // 2
                               "callback_url = \"https://hooks.example.org/bbb/moodle1?x=1\"\n" // 3
                               "auth = \"checksum\"\n"                                          // 4
                               "legacy_checksum = [\"v2\", \"v3-constant\"]\n"                  // 5
                               "\n"                                                             // 6
                               "[source.greenlight]\n"                                          // 7
                               "secret = \"inlineSecret123\"\n"                                 // 8
                               "auth = \"bearer\"\n"                                            // 9
                               "legacy_checksum = \"v2\"\n");                                   // 10
    auto layers = config::load_layers(req);
    REQUIRE(layers.sources.size() == 2);
    auto entry = [&](std::string_view name) -> const config::SourceEntry& {
        auto it = std::ranges::find(layers.sources, name, &config::SourceEntry::name);
        REQUIRE(it != layers.sources.end());
        return *it;
    };
    CHECK(entry("moodle1").where == d.at(1));
    CHECK(entry("greenlight").where == d.at(7));
    REQUIRE(entry("moodle1").values.contains("callback_url"));
    CHECK(entry("moodle1").values.at("callback_url").where == d.at(3));
    CHECK(entry("greenlight").values.at("secret").where == d.at(8));
    auto r = config::resolve(layers);
    INFO(all_text(r.problems) << all_text(r.warnings));
    REQUIRE(r.problems.empty());
    CHECK(r.warnings.empty());
    REQUIRE(r.config.sources.size() == 2);

    const auto& m = source_named(r.config, "moodle1");
    // Relative to the config file's folder (not the working directory); trailing newline trimmed.
    CHECK(m.auth.secret == "fileSecret456");
    CHECK(m.secret_origin == (d.dir / "secrets/moodle1.secret").string());
    CHECK(m.auth.callback_url == "https://hooks.example.org/bbb/moodle1?x=1");
    CHECK(m.path == "/bbb/moodle1");
    CHECK(m.auth.mode == bbb::AuthMode::checksum);
    CHECK(m.auth.legacy_v2);
    CHECK(m.auth.legacy_v3_constant);
    CHECK(m.where == d.at(1));

    const auto& g = source_named(r.config, "greenlight");
    CHECK(g.auth.secret == "inlineSecret123");
    CHECK(g.secret_origin == "inline at " + d.at(8));
    CHECK(g.auth.mode == bbb::AuthMode::bearer);
    CHECK(g.auth.callback_url.empty());
    CHECK(g.path == "/bbb/greenlight");
    CHECK(g.auth.legacy_v2);
    CHECK_FALSE(g.auth.legacy_v3_constant);
}

TEST_CASE("config: secret and secret_file problems", "[config][sources]") {
    ConfigDir d;
    auto resolve = [&](std::string_view text) { return config::resolve(config::load_layers(d.request(text))); };

    SECTION("a missing secret_file") {
        auto r = resolve("[source.a]\n"
                         "auth = \"bearer\"\n"
                         "secret_file = \"nope.secret\"\n");
        require_problem(r.problems, d.at(3), "source.a: cannot read secret_file");
        CHECK(contains(r.problems.front().message, (d.dir / "nope.secret").string()));
    }
    SECTION("both secret and secret_file") {
        d.secret_file("a.secret", "fromFile");
        auto r = resolve("[source.a]\n"
                         "auth = \"bearer\"\n"
                         "secret = \"inline\"\n"
                         "secret_file = \"a.secret\"\n");
        require_problem(r.problems, d.at(4), "source.a: set either secret or secret_file, not both");
        CHECK(r.problems.size() == 1);
    }
    SECTION("neither") {
        auto r = resolve("\n"
                         "[source.a]\n"
                         "auth = \"bearer\"\n");
        require_problem(r.problems, d.at(2), "source.a: no secret");
        CHECK(r.problems.size() == 1);
    }
    SECTION("an empty secret, inline or in a file") {
        auto r = resolve("[source.a]\nauth = \"bearer\"\nsecret = \"\"\n");
        require_problem(r.problems, d.at(3), "source.a: the shared secret is empty");
        d.secret_file("blank.secret", " \n");
        r = resolve("[source.a]\nauth = \"bearer\"\nsecret_file = \"blank.secret\"\n");
        require_problem(r.problems, d.at(3), "source.a: the shared secret is empty");
    }
    SECTION("an absolute secret_file, world-readable: a warning, not a problem") {
        fs::path p = d.secret_file("open.secret", "openSecret\r\n",
                                   fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                                       fs::perms::others_read);
        auto r = resolve(fmt::format("[source.a]\nauth = \"bearer\"\nsecret_file = \"{}\"\n", p.string()));
        INFO(all_text(r.problems));
        REQUIRE(r.problems.empty());
        REQUIRE(r.config.sources.size() == 1);
        CHECK(r.config.sources[0].auth.secret == "openSecret");
        REQUIRE(r.warnings.size() == 1);
        CHECK(r.warnings[0].where == d.at(3));
        CHECK(contains(r.warnings[0].message, "world-readable"));
    }
}

TEST_CASE("config: source auth, legacy_checksum, callback_url and path", "[config][sources]") {
    ConfigDir d;
    auto resolve = [&](std::string_view text) { return config::resolve(config::load_layers(d.request(text))); };

    SECTION("auth values") {
        for (auto [name, mode] : {std::pair{"any", bbb::AuthMode::any}, std::pair{"bearer", bbb::AuthMode::bearer},
                                  std::pair{"checksum", bbb::AuthMode::checksum}}) {
            INFO(name);
            auto r = resolve(
                fmt::format("[source.a]\nsecret = \"x\"\ncallback_url = \"http://h/cb\"\nauth = \"{}\"\n", name));
            INFO(all_text(r.problems));
            REQUIRE(r.problems.empty());
            CHECK(r.config.sources.at(0).auth.mode == mode);
        }
        auto r = resolve("[source.a]\nsecret = \"x\"\ncallback_url = \"http://h/cb\"\nauth = \"Bearer\"\n");
        require_problem(r.problems, d.at(4), "auth 'Bearer' is not one of any, bearer, checksum");
        // No auth: any.
        r = resolve("[source.a]\nsecret = \"x\"\ncallback_url = \"http://h/cb\"\n");
        REQUIRE(r.problems.empty());
        CHECK(r.config.sources.at(0).auth.mode == bbb::AuthMode::any);
    }
    SECTION("legacy_checksum values") {
        auto r = resolve("[source.a]\nsecret = \"x\"\ncallback_url = \"http://h/cb\"\n"
                         "legacy_checksum = [\"v3-constant\", \"v1\"]\n");
        require_problem(r.problems, d.at(4), "source.a: legacy_checksum 'v1' is not one of v2, v3-constant");
        CHECK(r.problems.size() == 1);
        CHECK(r.config.sources.at(0).auth.legacy_v3_constant);
        CHECK_FALSE(r.config.sources.at(0).auth.legacy_v2);
    }
    SECTION("callback_url must be http or https") {
        for (std::string_view url :
             {"ftp://hooks.example.org/bbb/a", "hooks.example.org/bbb/a", "http:/x/y", "HTTPS//hooks.example.org"}) {
            INFO(url);
            auto r = resolve(fmt::format("[source.a]\nsecret = \"x\"\ncallback_url = \"{}\"\n", url));
            require_problem(r.problems, d.at(3), "source.a: callback_url must start with http:// or https://");
        }
    }
    SECTION("checksum auth without callback_url is a problem; any without it a warning") {
        auto r = resolve("[source.a]\nsecret = \"x\"\nauth = \"checksum\"\n");
        require_problem(r.problems, d.at(1), "source.a: auth = checksum needs callback_url");
        r = resolve("[source.a]\nsecret = \"x\"\n");
        CHECK(r.problems.empty());
        REQUIRE(r.warnings.size() == 1);
        CHECK(r.warnings[0].where == d.at(1));
        CHECK(contains(r.warnings[0].message, "only bearer tokens"));
    }
    SECTION("path: explicit, else callback_url's path, else /bbb/NAME") {
        auto r = resolve("[source.explicit]\nsecret = \"x\"\ncallback_url = \"https://h/cb/x\"\npath = \"/mine\"\n"
                         "[source.url]\nsecret = \"x\"\ncallback_url = \"http://h.example:8080/cb/url?meeting=1\"\n"
                         "[source.root]\nsecret = \"x\"\ncallback_url = \"https://h.example\"\n"
                         "[source.byname]\nsecret = \"x\"\nauth = \"bearer\"\n");
        INFO(all_text(r.problems));
        REQUIRE(r.problems.empty());
        CHECK(source_named(r.config, "explicit").path == "/mine");
        CHECK(source_named(r.config, "url").path == "/cb/url");
        CHECK(source_named(r.config, "root").path == "/");
        CHECK(source_named(r.config, "byname").path == "/bbb/byname");
    }
    SECTION("a path must start with '/' and hold no query") {
        auto r = resolve("[source.a]\nsecret = \"x\"\nauth = \"bearer\"\npath = \"bbb/a\"\n");
        require_problem(r.problems, d.at(4), "source.a: path must start with '/'");
        r = resolve("[source.a]\nsecret = \"x\"\nauth = \"bearer\"\npath = \"/bbb/a?x=1\"\n");
        require_problem(r.problems, d.at(4), "source.a: path must start with '/'");
    }
    SECTION("duplicate paths") {
        auto r = resolve("[source.a]\nsecret = \"x\"\nauth = \"bearer\"\npath = \"/same\"\n"    // 1-4
                         "[source.b]\nsecret = \"x\"\ncallback_url = \"https://h/same\"\n"      // 5-7
                         "[source.c]\nsecret = \"x\"\nauth = \"bearer\"\npath = \"/bbb/a\"\n"); // 8-11
        // c's explicit path is what a's default would have been; a set its own, so no clash there.
        require_problem(r.problems, d.at(5), "source.b: path /same is already used by another source");
        CHECK(r.problems.size() == 1);
    }
    SECTION("reserved paths") {
        auto r = resolve("[source.a]\nsecret = \"x\"\nauth = \"bearer\"\npath = \"/healthz\"\n");
        require_problem(r.problems, d.at(1), "source.a: path /healthz is reserved");
        r = resolve("[source.m]\nsecret = \"x\"\ncallback_url = \"https://h/metrics\"\n");
        require_problem(r.problems, d.at(1), "source.m: path /metrics is reserved");
    }
    SECTION("source names") {
        auto r = resolve("[source.\"bad name\"]\nsecret = \"x\"\nauth = \"bearer\"\n");
        require_problem(r.problems, d.at(1), "a source name may contain only");
        r = resolve("[source.\"ok-name_1.2\"]\nsecret = \"x\"\nauth = \"bearer\"\n");
        INFO(all_text(r.problems));
        CHECK(r.problems.empty());
    }
    SECTION("source must be a table of tables") {
        auto r = resolve("source = \"a\"\n");
        require_problem(r.problems, d.at(1), "'source' must be a table");
        r = resolve("[source]\na = 1\n");
        require_problem(r.problems, d.at(2), "source.a must be a table");
    }
}

TEST_CASE("config: data_dir defaults to STATE_DIRECTORY, else bbbhook-data, and derived folders follow it",
          "[config]") {
    ConfigDir d;
    auto resolve = [&](std::string_view text, Env env) {
        auto r = config::resolve(config::load_layers(d.request(text, std::move(env))));
        INFO(all_text(r.problems));
        REQUIRE(r.problems.empty());
        return r.config;
    };
    SECTION("STATE_DIRECTORY") {
        auto c = resolve("", Env{{"STATE_DIRECTORY", "/var/lib/bbbhook"}});
        CHECK(c.data_dir == fs::path("/var/lib/bbbhook"));
        CHECK(c.journal.dir == fs::path("/var/lib/bbbhook/journal"));
        CHECK(c.serve.quarantine_dir == fs::path("/var/lib/bbbhook/quarantine"));
    }
    SECTION("several STATE_DIRECTORY folders: the first") {
        auto c = resolve("", Env{{"STATE_DIRECTORY", "/var/lib/bbbhook:/var/lib/other"}});
        CHECK(c.data_dir == fs::path("/var/lib/bbbhook"));
    }
    SECTION("no STATE_DIRECTORY") {
        auto c = resolve("", {});
        CHECK(c.data_dir == fs::path("bbbhook-data"));
        CHECK(c.journal.dir == fs::path("bbbhook-data/journal"));
        CHECK(c.serve.quarantine_dir == fs::path("bbbhook-data/quarantine"));
    }
    SECTION("an empty or blank STATE_DIRECTORY counts as none") {
        CHECK(resolve("", Env{{"STATE_DIRECTORY", ""}}).data_dir == fs::path("bbbhook-data"));
        CHECK(resolve("", Env{{"STATE_DIRECTORY", ":"}}).data_dir == fs::path("bbbhook-data"));
        CHECK(resolve("", Env{{"STATE_DIRECTORY", " "}}).data_dir == fs::path("bbbhook-data"));
    }
    SECTION("data_dir set anywhere beats STATE_DIRECTORY") {
        auto c = resolve("data_dir = \"/srv/hooks\"\n", Env{{"STATE_DIRECTORY", "/var/lib/bbbhook"}});
        CHECK(c.data_dir == fs::path("/srv/hooks"));
        CHECK(c.journal.dir == fs::path("/srv/hooks/journal"));
        c = resolve("", Env{{"STATE_DIRECTORY", "/var/lib/bbbhook"}, {"BBBHOOK_DATA_DIR", "/data"}});
        CHECK(c.data_dir == fs::path("/data"));
        CHECK(c.journal.dir == fs::path("/data/journal"));
    }
    SECTION("an explicit journal.dir is kept") {
        auto c = resolve("[journal]\ndir = \"/journal\"\n", Env{{"STATE_DIRECTORY", "/var/lib/bbbhook"}});
        CHECK(c.data_dir == fs::path("/var/lib/bbbhook"));
        CHECK(c.journal.dir == fs::path("/journal"));
        CHECK(c.serve.quarantine_dir == fs::path("/var/lib/bbbhook/quarantine"));
    }
}

TEST_CASE("config check: OK for a valid configuration", "[config][commands]") {
    ConfigDir d;
    d.secret_file("a.secret", "fileSecret\n");
    const auto req = d.request("[source.a]\nsecret_file = \"a.secret\"\ncallback_url = \"https://h/bbb/a\"\n"
                               "[source.b]\nsecret = \"inline\"\nauth = \"bearer\"\n");
    auto o = capture(d.dir, [&](std::FILE* out, std::FILE* err) { return config::check(req, out, err); });
    INFO(o.err);
    CHECK(o.code == ExitCode::ok);
    CHECK(o.err.empty());
    CHECK(o.out == fmt::format("configuration OK ({}; 2 sources)\n", d.conf.string()));
}

TEST_CASE("config check: exits 78 and names a missing config file", "[config][commands]") {
    test::TempDir dir;
    config::LoadRequest req;
    req.config_path = dir / "nope.conf";
    auto o = capture(dir, [&](std::FILE* out, std::FILE* err) { return config::check(req, out, err); });
    CHECK(to_int(o.code) == 78);
    CHECK(contains(o.err, "bbbhook: --config: config file " + (dir / "nope.conf").string() + " does not exist"));
    CHECK(contains(o.err, "1 problem(s)"));
    CHECK(o.out.empty());
}

TEST_CASE("config show: values with origins, secrets never shown", "[config][commands]") {
    ConfigDir d;
    const std::string inline_secret = "inlineSecretValue42";
    const std::string file_secret = "fileSecretValue99";
    d.secret_file("b.secret", file_secret + "\n");
    const auto req = d.request(
        "[journal]\n"           // 1
        "rotate_age = \"6h\"\n" // 2
        "\n"                    // 3
        "[source.a]\n"          // 4
        "secret = \"" +
            inline_secret +
            "\"\n"                                                 // 5
            "callback_url = \"https://hooks.example.org/bbb/a\"\n" // 6
            "[source.b]\n"                                         // 7
            "secret_file = \"b.secret\"\n"                         // 8
            "auth = \"bearer\"\n",                                 // 9
        Env{{"BBBHOOK_SERVE_THREADS", "12"}, {"STATE_DIRECTORY", "/var/lib/bbbhook"}},
        Flags{{"serve.listen", {"127.0.0.1:9000"}, "--listen"}, {"serve.listen", {"127.0.0.1:9001"}, "--listen"}});

    SECTION("text") {
        auto o = capture(d.dir, [&](std::FILE* out, std::FILE* err) {
            return config::show(req, config::ShowFormat::text, out, err);
        });
        INFO(o.out << o.err);
        CHECK(o.code == ExitCode::ok);
        CHECK_FALSE(contains(o.out, inline_secret));
        CHECK_FALSE(contains(o.err, inline_secret));
        CHECK_FALSE(contains(o.out, file_secret));
        CHECK_FALSE(contains(o.err, file_secret));
        CHECK(contains(o.out, "# config file: " + d.conf.string() + "\n"));
        CHECK(contains(o.out, "source.a.secret = (secret, 19 bytes)"));
        CHECK(contains(o.out, "source.b.secret_file = b.secret"));
        // Every line is "KEY = VALUE  # ORIGIN"; look a few up.
        auto line_of = [&](std::string_view key) {
            std::string prefix = std::string(key) + " = ";
            size_t pos = o.out.find("\n" + prefix);
            REQUIRE(pos != std::string::npos);
            size_t end = o.out.find('\n', pos + 1);
            return o.out.substr(pos + 1, end - pos - 1);
        };
        CHECK(line_of("journal.rotate_age").ends_with("# " + d.at(2)));
        CHECK(line_of("source.a.secret").ends_with("# " + d.at(5)));
        CHECK(line_of("source.b.secret_file").ends_with("# " + d.at(8)));
        CHECK(line_of("serve.threads").ends_with("# environment BBBHOOK_SERVE_THREADS"));
        CHECK(line_of("serve.threads").starts_with("serve.threads = 12 "));
        CHECK(line_of("serve.listen").starts_with("serve.listen = 127.0.0.1:9000, 127.0.0.1:9001 "));
        CHECK(line_of("serve.listen").ends_with("# flag --listen"));
        CHECK(line_of("journal.durability").ends_with("# default"));
        // Derived defaults are shown resolved.
        CHECK(line_of("data_dir").starts_with("data_dir = /var/lib/bbbhook "));
        CHECK(line_of("journal.dir").starts_with("journal.dir = /var/lib/bbbhook/journal "));
    }
    SECTION("json") {
        auto o = capture(d.dir, [&](std::FILE* out, std::FILE* err) {
            return config::show(req, config::ShowFormat::json, out, err);
        });
        INFO(o.out << o.err);
        CHECK(o.code == ExitCode::ok);
        CHECK_FALSE(contains(o.out, inline_secret));
        CHECK_FALSE(contains(o.out, file_secret));
        CHECK_FALSE(contains(o.err, inline_secret));
        CHECK(contains(o.out, "\"(secret, 19 bytes)\""));
        CHECK(contains(o.out, "\"origin\": \"environment BBBHOOK_SERVE_THREADS\""));
        CHECK(contains(o.out, "\"origin\": \"flag --listen\""));
        CHECK(contains(o.out, "\"origin\": \"" + d.at(2) + "\""));
        CHECK(contains(o.out, "\"problems\": []"));
    }
}

TEST_CASE("config show: with problems it still masks the secret and exits 78", "[config][commands]") {
    ConfigDir d;
    const std::string secret = "doNotPrintMe0123456789";
    const auto req = d.request("[serve]\n"
                               "threads = 0\n"
                               "[source.a]\n"
                               "secret = \"" +
                               secret +
                               "\"\n"
                               "auth = \"token\"\n"
                               "callback_url = \"ftp://x\"\n");
    for (auto format : {config::ShowFormat::text, config::ShowFormat::json}) {
        auto o = capture(d.dir, [&](std::FILE* out, std::FILE* err) { return config::show(req, format, out, err); });
        INFO(o.out << o.err);
        CHECK(to_int(o.code) == 78);
        CHECK(contains(o.err, "bbbhook: " + d.at(2) + ": serve.threads: must be 1 to 64"));
        CHECK(contains(o.err, "source.a: auth 'token' is not one of any, bearer, checksum"));
        CHECK(contains(o.err, "callback_url must start with http:// or https://"));
        CHECK_FALSE(contains(o.out, secret));
        CHECK_FALSE(contains(o.err, secret));
        CHECK(contains(o.out, "(secret, 22 bytes)"));
    }
}

TEST_CASE("config: a source's hooks keys (api_url, checksum_algorithm, event_id, get_raw, meeting_id)",
          "[config][sources][hooks]") {
    ConfigDir d;
    auto resolve = [&](std::string_view text) { return config::resolve(config::load_layers(d.request(text))); };

    SECTION("all keys, api_url normalized from bbb-conf's form") {
        auto r = resolve("[source.a]\nsecret = \"x\"\ncallback_url = \"https://hooks.example.org/bbb/a\"\n"
                         "api_url = \"https://bbb.example.org/bigbluebutton/\"\nchecksum_algorithm = \"sha512\"\n"
                         "event_id = [\"user-joined\", \"user-left,meeting-ended\"]\nget_raw = false\n"
                         "meeting_id = \"m-1\"\n");
        INFO(all_text(r.problems));
        REQUIRE(r.problems.empty());
        const auto& h = r.config.sources.at(0).hooks;
        CHECK(h.api_url == "https://bbb.example.org/bigbluebutton/api");
        CHECK(h.algorithm == util::HashAlg::sha512);
        CHECK(h.event_ids == std::vector<std::string>{"user-joined", "user-left", "meeting-ended"});
        CHECK(h.get_raw == std::optional<bool>(false));
        CHECK(h.meeting_id == std::optional<std::string>("m-1"));
    }
    SECTION("defaults: sha256, every event, getRaw unset, global") {
        auto r = resolve("[source.a]\nsecret = \"x\"\ncallback_url = \"https://h/cb\"\n"
                         "api_url = \"https://bbb.example.org/bigbluebutton/api\"\n");
        REQUIRE(r.problems.empty());
        const auto& h = r.config.sources.at(0).hooks;
        CHECK(h.algorithm == util::HashAlg::sha256);
        CHECK(h.event_ids.empty());
        CHECK_FALSE(h.get_raw.has_value());
        CHECK_FALSE(h.meeting_id.has_value());
    }
    SECTION("problems name the key at its line") {
        auto r = resolve("[source.a]\nsecret = \"x\"\ncallback_url = \"https://h/cb\"\n" // 1-3
                         "api_url = \"bbb.example.org\"\nchecksum_algorithm = \"md5\"\n"   // 4-5
                         "get_raw = \"yes please\"\nmeeting_id = \"\"\n");                // 6-7
        require_problem(r.problems, d.at(4), "source.a: api_url:");
        require_problem(r.problems, d.at(5), "checksum_algorithm 'md5' is not one of sha1, sha256, sha384, sha512");
        require_problem(r.problems, d.at(6), "get_raw 'yes please' is not true or false");
        require_problem(r.problems, d.at(7), "meeting_id is empty");
        CHECK(r.problems.size() == 4);
    }
    SECTION("api_url needs callback_url") {
        auto r = resolve("[source.a]\nsecret = \"x\"\nauth = \"bearer\"\napi_url = \"https://bbb.example.org\"\n");
        require_problem(r.problems, d.at(4), "api_url needs callback_url");
    }
    SECTION("hooks keys without api_url are warned about, not fatal") {
        auto r = resolve("[source.a]\nsecret = \"x\"\ncallback_url = \"https://h/cb\"\nget_raw = true\n");
        CHECK(r.problems.empty());
        REQUIRE(r.warnings.size() == 1);
        CHECK(r.warnings[0].where == d.at(4));
        CHECK(contains(r.warnings[0].message, "get_raw has no effect without api_url"));
    }
    SECTION("global hooks settings are validated") {
        auto r = resolve("[hooks]\ntimeout = \"10ms\"\nretries = 11\nconnect_timeout = \"2s\"\nca_file = \"/x.pem\"\n");
        require_problem(r.problems, d.at(2), "hooks.timeout: must be between 100ms and 1h");
        require_problem(r.problems, d.at(3), "hooks.retries: must be 0 to 10");
        CHECK(r.problems.size() == 2);
        CHECK(r.config.hooks.connect_timeout == 2s);
        CHECK(r.config.hooks.ca_file == "/x.pem");
    }
}
