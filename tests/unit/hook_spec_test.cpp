// hooks: the hook we want (create parameters, §2.6 warnings, how a registered hook differs), the
// transport failures as users read them, and the text table of `hooks list`.
#include <catch2/catch.hpp>

#include "bbbhook/hooks/client.hpp"
#include "bbbhook/hooks/hook_spec.hpp"
#include "bbbhook/util/table.hpp"

using namespace bbbhook;
using namespace std::chrono_literals;

namespace {

bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

std::string encoded(const hooks::HookSpec& spec) {
    auto params = hooks::create_params(spec);
    return hooks::encode_query(params);
}

} // namespace

TEST_CASE("hooks: create parameters in a fixed order, eventID lowercased, getRaw exactly true or false",
          "[hooks][spec]") {
    hooks::HookSpec spec{"http://127.0.0.1:18081/hooks/global-mapped", {}, {}, {}};
    // The captured request 02-create-global-mapped-sha1 sent exactly this query.
    CHECK(encoded(spec) == "callbackURL=http%3A%2F%2F127.0.0.1%3A18081%2Fhooks%2Fglobal-mapped");

    spec.meeting_id = "random-9019868";
    spec.event_ids = {"User-Joined", "user-left"};
    spec.get_raw = false;
    CHECK(encoded(spec) == "callbackURL=http%3A%2F%2F127.0.0.1%3A18081%2Fhooks%2Fglobal-mapped&meetingID=random-"
                           "9019868&eventID=user-joined%2Cuser-left&getRaw=false");
    spec = {"https://h/cb", {}, {}, true};
    CHECK(encoded(spec) == "callbackURL=https%3A%2F%2Fh%2Fcb&getRaw=true");
}

TEST_CASE("hooks: warnings for meeting-scoped hooks and eventID with getRaw (v3.5.0 quirks)", "[hooks][spec]") {
    CHECK(hooks::spec_warnings({"https://h/cb", {}, {}, {}}).empty());
    auto w = hooks::spec_warnings({"https://h/cb", "m1", {}, {}});
    REQUIRE(w.size() == 1);
    CHECK(contains(w[0], "scoped to meeting 'm1'"));
    CHECK(contains(w[0], "only the first hook scoped to it"));
    w = hooks::spec_warnings({"https://h/cb", {}, {"user-joined"}, true});
    REQUIRE(w.size() == 1);
    CHECK(contains(w[0], "getRaw=true with an eventID filter"));
    CHECK(hooks::spec_warnings({"https://h/cb", {}, {"user-joined"}, false}).empty());
}

TEST_CASE("hooks: how a registered hook differs from the wanted one", "[hooks][spec]") {
    hooks::HookInfo global{"id1", "https://h/cb", {}, {}, false, false};
    CHECK(hooks::differences({"https://h/cb", {}, {}, {}}, global).empty());
    CHECK(hooks::differences({"https://h/cb", {}, {}, false}, global).empty());

    auto d = hooks::differences({"https://h/cb", "m1", {"User-Joined"}, true}, global);
    REQUIRE(d.size() == 3);
    CHECK(d[0] == "meetingID is unset (global), wanted 'm1'");
    CHECK(d[1] == "eventID is unset (every event), wanted 'user-joined'");
    CHECK(d[2] == "getRaw is false, wanted true");

    // As stored: lowercase, comma-joined; same filter → no difference.
    hooks::HookInfo filtered{"id2", "https://h/cb", {}, "user-joined,user-left", false, false};
    CHECK(hooks::differences({"https://h/cb", {}, {"user-joined", "User-Left"}, {}}, filtered).empty());
    d = hooks::differences({"https://h/cb", {}, {}, {}}, filtered);
    REQUIRE(d.size() == 1);
    CHECK(d[0] == "eventID is 'user-joined,user-left', wanted unset (every event)");
    // A duplicateWarning answer carries no rawData: unknown is not a difference.
    hooks::HookInfo unknown{"id3", "https://h/cb", {}, {}, {}, {}};
    CHECK(hooks::differences({"https://h/cb", {}, {}, true}, unknown).empty());
}

TEST_CASE("hooks: several hooks scoped to one meeting are warned about", "[hooks][spec]") {
    std::vector<hooks::HookInfo> list{{"a", "https://h/1", "m1", {}, false, false},
                                      {"b", "https://h/2", {}, {}, false, false},
                                      {"c", "https://h/3", "m1", {}, false, false},
                                      {"d", "https://h/4", "m2", {}, false, false}};
    auto w = hooks::list_warnings(list);
    REQUIRE(w.size() == 1);
    CHECK(contains(w[0], "2 hooks are scoped to meeting 'm1'"));
    CHECK(contains(w[0], "(a)"));
    list.erase(list.begin() + 2);
    CHECK(hooks::list_warnings(list).empty());
}

TEST_CASE("hooks: transport failures become errors with their own kind, exit code and advice", "[hooks][client]") {
    const std::string base = "https://bbb.example.org/bigbluebutton/api";
    struct Case {
        util::TransportKind kind;
        hooks::ApiErrorKind want;
        ExitCode code;
        std::string_view advice;
    };
    for (const auto& c : {Case{util::TransportKind::dns, hooks::ApiErrorKind::dns, ExitCode::no_host, "DNS"},
                          Case{util::TransportKind::connect, hooks::ApiErrorKind::connect, ExitCode::unavailable,
                               "is the server up"},
                          Case{util::TransportKind::tls, hooks::ApiErrorKind::tls, ExitCode::protocol, "--ca-file"},
                          Case{util::TransportKind::timeout, hooks::ApiErrorKind::timeout, ExitCode::temp_fail,
                               "within 15 s"},
                          Case{util::TransportKind::other, hooks::ApiErrorKind::transport, ExitCode::unavailable,
                               "failed"}}) {
        auto e = hooks::transport_error({c.kind, "curl says no"}, base, 15s);
        INFO(e.message);
        CHECK(e.kind == c.want);
        CHECK(hooks::exit_code(e.kind) == c.code);
        CHECK(contains(e.message, base));
        CHECK(contains(e.message, "curl says no"));
        CHECK(contains(e.message, c.advice));
    }
    // Distinct codes for the four a sysadmin acts on differently.
    CHECK(to_int(ExitCode::no_host) == 68);
    // A checksum that libcurl might echo is never shown.
    auto e = hooks::transport_error({util::TransportKind::other, "bad url /x?checksum=abcdef"}, base, 15s);
    CHECK_FALSE(contains(e.message, "abcdef"));
    // Only what may pass by waiting is retried.
    CHECK(hooks::is_transient(hooks::ApiErrorKind::connect));
    CHECK(hooks::is_transient(hooks::ApiErrorKind::timeout));
    CHECK(hooks::is_transient(hooks::ApiErrorKind::http_unavailable));
    CHECK_FALSE(hooks::is_transient(hooks::ApiErrorKind::dns));
    CHECK_FALSE(hooks::is_transient(hooks::ApiErrorKind::tls));
    CHECK_FALSE(hooks::is_transient(hooks::ApiErrorKind::checksum));
    CHECK_FALSE(hooks::is_transient(hooks::ApiErrorKind::hook_not_found));
}

TEST_CASE("util: text table pads by code points and drops trailing blanks", "[util][table]") {
    util::TextTable t({"NAME", "ID"});
    t.add({"Γιώργος", "1"});
    t.add({"Al", "22"});
    t.add({"only"});
    CHECK(t.render() == "NAME     ID\n"
                        "Γιώργος  1\n"
                        "Al       22\n"
                        "only\n");
}
