// hooks/api: signed request URLs equal the captured ones byte for byte, and every captured
// answer of the hooks API parses to its typed result or its error kind (bbb-webhooks.md §2).
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <set>

#include "bbbhook/hooks/api.hpp"
#include "bbbhook/util/form.hpp"
#include "bbbhook/util/text.hpp"
#include "support/support.hpp"

using namespace bbbhook;
using bbbhook::test::fixtures_dir;
using bbbhook::test::k_fixture_secret;
using hooks::ApiErrorKind;

namespace {

const auto k_api = fixtures_dir() / "bbb-webhooks" / "captured" / "api";
constexpr std::string_view k_base = "http://127.0.0.1:3005/bigbluebutton/api/";

// One captured .url split into what build_request takes: call, decoded params, checksum.
struct CapturedUrl {
    std::string url;
    std::string method; // "hooks/create", …
    std::vector<hooks::Param> params;
    std::optional<std::string> checksum;
};

std::optional<CapturedUrl> split_url(std::string url) {
    if (!url.starts_with(k_base)) return std::nullopt; // ping's twin "POST …" line
    CapturedUrl c;
    c.url = url;
    std::string_view rest = std::string_view(url).substr(k_base.size());
    size_t q = rest.find('?');
    c.method = std::string(rest.substr(0, q));
    if (q == std::string_view::npos) return c;
    auto fields = util::parse_form(rest.substr(q + 1));
    REQUIRE(fields);
    for (const auto& piece : *fields) {
        if (piece.name == "checksum")
            c.checksum = piece.value;
        else
            c.params.push_back({piece.name, piece.value});
    }
    return c;
}

std::optional<hooks::Call> call_of(std::string_view method) {
    if (method == "hooks/create") return hooks::Call::create;
    if (method == "hooks/list") return hooks::Call::list;
    if (method == "hooks/destroy") return hooks::Call::destroy;
    return std::nullopt;
}

std::vector<std::filesystem::path> files_with(std::string_view ext) {
    std::vector<std::filesystem::path> out;
    for (auto scenario : {"bearer", "checksum-sha1", "checksum-sha256"})
        for (const auto& e : std::filesystem::directory_iterator(k_api / scenario))
            if (e.path().extension() == ext) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

std::string name_of(const std::filesystem::path& p) {
    return p.parent_path().filename().string() + "/" + p.stem().string();
}

std::string body_of(std::string_view name, std::string_view ext = ".xml") {
    return test::read_text(k_api / (std::string(name) + std::string(ext)));
}

// The body of a captured `curl -si` response.
std::string http_body(std::string_view name) {
    std::string raw = body_of(name, ".http");
    size_t end = raw.find("\r\n\r\n");
    REQUIRE(end != std::string::npos);
    return raw.substr(end + 4);
}

hooks::Server fixture_server(util::HashAlg alg = util::HashAlg::sha1) {
    return hooks::Server{std::string(k_base), std::string(k_fixture_secret), alg};
}

ApiErrorKind create_error(std::string_view body) {
    auto r = hooks::parse_create_response(body);
    REQUIRE_FALSE(r);
    INFO(r.error().message);
    CHECK(r.error().message.find(k_fixture_secret) == std::string::npos);
    return r.error().kind;
}

} // namespace

TEST_CASE("hooks: every captured signed request is rebuilt byte for byte", "[hooks][fixtures]") {
    // Not rebuildable, on purpose (SOURCE.md): 10 sends 40 zeros, 11 no checksum, 12 a 6-digit
    // one, 13 a checksum made with another secret; 01 (ping) and 25 (POST) are unsigned.
    const std::set<std::string> k_wrong = {"checksum-sha1/10-create-wrong-checksum",
                                           "checksum-sha1/13-create-secret-wrong"};
    size_t rebuilt = 0, wrong = 0, unsigned_ = 0;
    std::set<util::HashAlg> algs;
    for (const auto& file : files_with(".url")) {
        std::string name = name_of(file);
        INFO(name);
        auto c = split_url(std::string(util::trim(test::read_text(file))));
        if (!c || !c->checksum) {
            ++unsigned_;
            continue;
        }
        auto call = call_of(c->method);
        REQUIRE(call);
        auto alg = util::hash_alg_from_hex_length(c->checksum->size());
        if (!alg) {
            CHECK(name == "checksum-sha1/12-create-checksum-bad-length");
            continue;
        }
        auto req = hooks::build_request(fixture_server(*alg), *call, c->params);
        REQUIRE(req);
        if (k_wrong.contains(name)) {
            CHECK(req->url != c->url);
            ++wrong;
            continue;
        }
        CHECK(req->url == c->url);
        CHECK(req->redacted_url.find(*c->checksum) == std::string::npos);
        ++rebuilt;
        algs.insert(*alg);
    }
    CHECK(rebuilt == 26);
    CHECK(wrong == 2);
    CHECK(unsigned_ == 3);   // ping, POST, no-checksum
    CHECK(algs.size() == 4); // sha1, sha256, sha384, sha512 all among them
}

TEST_CASE("hooks: the checksum is ALG of call, query and secret, as in the doc's example", "[hooks]") {
    CHECK(hooks::api_checksum(util::HashAlg::sha1, "hooks/create",
                              "callbackURL=http%3A%2F%2F127.0.0.1%3A18081%2Fhooks%2Fglobal-mapped",
                              k_fixture_secret) == "8de117bec275616d3a50cdbe0a5621da3a9ace28");
    CHECK(hooks::api_checksum(util::HashAlg::sha1, "hooks/list", "", k_fixture_secret) ==
          "28791a5f609d5217529050abf47ac686713b3f06");
    auto list = hooks::build_request(fixture_server(), hooks::Call::list, {});
    REQUIRE(list);
    CHECK(list->url == "http://127.0.0.1:3005/bigbluebutton/api/hooks/list?checksum="
                       "28791a5f609d5217529050abf47ac686713b3f06");
    CHECK(list->redacted_url == "http://127.0.0.1:3005/bigbluebutton/api/hooks/list?checksum=REDACTED");
}

TEST_CASE("hooks: parameters are percent-encoded once, in order, with uppercase hex", "[hooks]") {
    CHECK(hooks::percent_encode("AZaz09-._~") == "AZaz09-._~");
    CHECK(hooks::percent_encode("a b+c") == "a%20b%2Bc");
    CHECK(hooks::percent_encode("!*'()") == "%21%2A%27%28%29");
    CHECK(hooks::percent_encode("x=%20y&z?/:,") == "x%3D%2520y%26z%3F%2F%3A%2C");
    CHECK(hooks::percent_encode("\xC3\xA4") == "%C3%A4");
    const std::vector<hooks::Param> params = {{"meetingID", "m 1"}, {"callbackURL", "https://h/p?a=1&b=2"}};
    CHECK(hooks::encode_query(params) == "meetingID=m%201&callbackURL=https%3A%2F%2Fh%2Fp%3Fa%3D1%26b%3D2");
    CHECK(hooks::encode_query({}) == "");
}

TEST_CASE("hooks: the API base is normalized and checked", "[hooks]") {
    for (auto base : {"https://bbb.example.org/bigbluebutton/api/", "https://bbb.example.org/bigbluebutton/api",
                      "https://bbb.example.org/bigbluebutton/", " https://bbb.example.org/bigbluebutton\n"}) {
        INFO(base);
        auto n = hooks::normalize_api_base(base);
        REQUIRE(n);
        CHECK(*n == "https://bbb.example.org/bigbluebutton/api");
    }
    CHECK(hooks::normalize_api_base("http://127.0.0.1:3005").value() == "http://127.0.0.1:3005");
    for (auto bad : {"", "bbb.example.org/bigbluebutton/api", "ftp://bbb.example.org/", "https://",
                     "https:///bigbluebutton/api", "https://h/bigbluebutton/api?x=1", "https://h/api#top"}) {
        INFO(bad);
        auto n = hooks::normalize_api_base(bad);
        REQUIRE_FALSE(n);
        CHECK(n.error().code == ExitCode::config);
    }
}

TEST_CASE("hooks: build_request refuses bad input without naming the secret", "[hooks]") {
    auto s = fixture_server(util::HashAlg::sha256);
    auto ok = hooks::build_request(s, hooks::Call::destroy, std::vector<hooks::Param>{{"hookID", "abc"}});
    REQUIRE(ok);
    CHECK(ok->url.starts_with("http://127.0.0.1:3005/bigbluebutton/api/hooks/destroy?hookID=abc&checksum="));
    CHECK(ok->url.size() ==
          std::string_view("http://127.0.0.1:3005/bigbluebutton/api/hooks/destroy?hookID=abc&checksum=").size() + 64);
    CHECK(ok->url.find(k_fixture_secret) == std::string::npos);
    CHECK(ok->redacted_url == "http://127.0.0.1:3005/bigbluebutton/api/hooks/destroy?hookID=abc&checksum=REDACTED");

    s.secret.clear();
    auto empty = hooks::build_request(s, hooks::Call::list, {});
    REQUIRE_FALSE(empty);
    CHECK(empty.error().code == ExitCode::config);

    s = fixture_server();
    auto twice = hooks::build_request(s, hooks::Call::list, std::vector<hooks::Param>{{"checksum", "x"}});
    REQUIRE_FALSE(twice);
    CHECK(twice.error().code == ExitCode::internal);

    s.api_base = "bbb.example.org";
    auto base = hooks::build_request(s, hooks::Call::list, {});
    REQUIRE_FALSE(base);
    CHECK(base.error().code == ExitCode::config);
    CHECK(base.error().message.find(k_fixture_secret) == std::string::npos);
}

TEST_CASE("hooks: redact_checksum hides every checksum value", "[hooks]") {
    CHECK(hooks::redact_checksum("https://h/api/hooks/create?callbackURL=x&checksum=abc123&y=1") ==
          "https://h/api/hooks/create?callbackURL=x&checksum=REDACTED&y=1");
    CHECK(hooks::redact_checksum("<a href=\"/x?checksum=abc\">checksum=def</a>") ==
          "<a href=\"/x?checksum=REDACTED\">checksum=REDACTED</a>");
    CHECK(hooks::redact_checksum("no secret here") == "no secret here");
}

TEST_CASE("hooks: every captured create answer parses", "[hooks][fixtures]") {
    struct Expect {
        const char* name;
        const char* hook_id;
        bool raw;
    };
    const Expect k_ok[] = {
        {"bearer/01-create-bearer-global", "cea7d2e3-56b7-424b-95c1-0583c3aa6732", false},
        {"bearer/02-create-bearer-raw", "432a00db-ac07-4d02-887c-98fd25307385", true},
        {"checksum-sha1/02-create-global-mapped-sha1", "55e3f02e-d949-45ba-8346-ae1b7886908d", false},
        {"checksum-sha1/04-create-global-raw-sha384", "bc1911c1-4fdb-4207-89f6-98ba99f98859", true},
        {"checksum-sha1/05-create-scoped-sha512", "0a50789a-deb6-469b-86f9-f86b27d9eb34", false},
        {"checksum-sha1/06-create-eventid-filter", "ac4f5143-d315-4f3f-824d-043b4a80899e", false},
        {"checksum-sha1/07-create-flaky", "d48a4264-d4fc-4178-af3f-c4284d61143f", false},
        {"checksum-sha1/08-create-denied-401", "d9116e6f-8193-417c-8227-5d132918abc4", false},
        {"checksum-sha1/20-create-temp", "48d98a4b-956c-4ccc-b684-afc4d2b6f18d", false},
        {"checksum-sha1/23-create-getRaw-FALSE-upper", "448cf67b-abe3-4be8-982d-084eba017f0c", false},
        {"checksum-sha1/26-create-second-scoped-same-meeting", "e6251190-21de-4ed5-8b65-70055d379924", false},
        {"checksum-sha256/01-create-sha256-hook", "697c40b8-2174-4f27-84a3-226bf69b227c", false},
    };
    for (const auto& e : k_ok) {
        INFO(e.name);
        auto r = hooks::parse_create_response(body_of(e.name));
        REQUIRE(r);
        CHECK(r->reply.returncode == hooks::ReturnCode::success);
        CHECK(r->reply.message_key.empty());
        CHECK(r->hook_id == e.hook_id);
        CHECK_FALSE(r->already_registered);
        CHECK(r->permanent_hook == std::optional<bool>(false));
        CHECK(r->raw_data == std::optional<bool>(e.raw));
    }
    // The two answers saved as bare bodies.
    CHECK(hooks::parse_create_response(body_of("checksum-sha1/27-create-dead", ".body")).value().hook_id ==
          "a0501876-44d5-4b8a-a054-e588b7420736");
    CHECK(hooks::parse_create_response(body_of("checksum-sha1/27-create-slow", ".body")).value().hook_id ==
          "c6213c62-8126-4e60-bce0-f5c0ba2dcd1c");
}

TEST_CASE("hooks: duplicateWarning on create is a success naming the existing hook", "[hooks][fixtures]") {
    auto r = hooks::parse_create_response(body_of("checksum-sha1/03-create-duplicate-sha256"));
    REQUIRE(r);
    CHECK(r->reply.returncode == hooks::ReturnCode::success);
    CHECK(r->reply.message_key == "duplicateWarning");
    CHECK(r->reply.message == "There is already a hook for this callback URL.");
    CHECK(r->already_registered);
    CHECK(r->hook_id == "55e3f02e-d949-45ba-8346-ae1b7886908d");
    CHECK_FALSE(r->permanent_hook);
    CHECK_FALSE(r->raw_data);

    // "with the existing hookID if given": a duplicateWarning without one is still a success.
    auto bare = hooks::parse_create_response("<response><returncode>SUCCESS</returncode><messageKey>duplicateWarning"
                                             "</messageKey><message>x</message></response>");
    REQUIRE(bare);
    CHECK(bare->already_registered);
    CHECK(bare->hook_id.empty());
}

TEST_CASE("hooks: every captured FAILED answer gives its error kind", "[hooks][fixtures]") {
    struct Expect {
        const char* name;
        ApiErrorKind kind;
        const char* key;
    };
    const Expect k_failed[] = {
        {"checksum-sha1/09-create-missing-callbackURL", ApiErrorKind::missing_param, "missingParamCallbackURL"},
        {"checksum-sha1/10-create-wrong-checksum", ApiErrorKind::checksum, "checksumError"},
        {"checksum-sha1/11-create-no-checksum", ApiErrorKind::checksum, "checksumError"},
        {"checksum-sha1/13-create-secret-wrong", ApiErrorKind::checksum, "checksumError"},
        {"checksum-sha1/16-list-by-other-meeting", ApiErrorKind::server_error, "listHookError"},
        {"checksum-sha1/17-destroy-missing-param", ApiErrorKind::missing_param, "missingParamHookID"},
        {"checksum-sha1/18-destroy-unknown-id", ApiErrorKind::hook_not_found, "destroyMissingHook"},
        {"checksum-sha1/19-destroy-permanent", ApiErrorKind::hook_not_found, "destroyMissingHook"},
        {"checksum-sha1/22-destroy-temp-again", ApiErrorKind::hook_not_found, "destroyMissingHook"},
    };
    for (const auto& e : k_failed) {
        INFO(e.name);
        std::string body = body_of(e.name);
        std::string_view n = e.name;
        auto err = n.find("-list-") != n.npos      ? hooks::parse_list_response(body).error()
                   : n.find("-destroy-") != n.npos ? hooks::parse_destroy_response(body).error()
                                                   : hooks::parse_create_response(body).error();
        CHECK(err.kind == e.kind);
        REQUIRE(err.reply);
        CHECK(err.reply->returncode == hooks::ReturnCode::failed);
        CHECK(err.reply->message_key == e.key);
        CHECK_FALSE(err.reply->message.empty());
        CHECK(err.message.find(e.key) != std::string::npos);
        CHECK(hooks::to_error(err).code == hooks::exit_code(e.kind));
    }
}

TEST_CASE("hooks: the storage-error templates of the doc are server errors", "[hooks]") {
    auto create = hooks::parse_create_response(
        "<response><returncode>FAILED</returncode><messageKey>createHookError</messageKey><message>An error happened "
        "while creating your hook. Check the logs.</message></response>");
    REQUIRE_FALSE(create);
    CHECK(create.error().kind == ApiErrorKind::server_error);
    auto destroy = hooks::parse_destroy_response(
        "<response><returncode>FAILED</returncode><messageKey>destroyHookError</messageKey><message>An error "
        "happened while removing your hook. Check the logs.</message></response>");
    REQUIRE_FALSE(destroy);
    CHECK(destroy.error().kind == ApiErrorKind::server_error);
    auto other = hooks::parse_destroy_response(
        "<response><returncode>FAILED</returncode><messageKey>somethingNew</messageKey></response>");
    REQUIRE_FALSE(other);
    CHECK(other.error().kind == ApiErrorKind::failed_other);
    CHECK(other.error().message.find("somethingNew") != std::string::npos);
}

TEST_CASE("hooks: every captured list answer parses to its hooks", "[hooks][fixtures]") {
    auto all = hooks::parse_list_response(body_of("checksum-sha1/14-list-all"));
    REQUIRE(all);
    REQUIRE(all->hooks.size() == 7);
    const auto& permanent = all->hooks[0];
    CHECK(permanent.hook_id == "8c040c85-824d-5cde-8ca2-7a2fd568c777");
    CHECK(permanent.callback_url == "http://127.0.0.1:18081/hooks/permanent");
    CHECK(permanent.permanent_hook == std::optional<bool>(true));
    CHECK(permanent.raw_data == std::optional<bool>(false));
    CHECK_FALSE(permanent.meeting_id);
    CHECK_FALSE(permanent.event_id);
    CHECK(all->hooks[2].raw_data == std::optional<bool>(true));
    const auto& scoped = all->hooks[3];
    CHECK(scoped.callback_url == "http://127.0.0.1:18081/hooks/scoped?tenant=a"); // CDATA, decoded
    CHECK(scoped.meeting_id == std::optional<std::string>("random-9019868"));
    CHECK(all->hooks[4].event_id == std::optional<std::string>("user-joined,user-left"));
    CHECK(all->hooks[6].callback_url == "http://127.0.0.1:18081/hooks/denied");

    // With meetingID: globals plus the scoped hook, sorted by hookID as a string (§2.4).
    auto by_meeting = hooks::parse_list_response(body_of("checksum-sha1/15-list-by-meeting"));
    REQUIRE(by_meeting);
    REQUIRE(by_meeting->hooks.size() == 7);
    CHECK(std::is_sorted(by_meeting->hooks.begin(), by_meeting->hooks.end(),
                         [](const auto& a, const auto& b) { return a.hook_id < b.hook_id; }));

    auto after = hooks::parse_list_response(body_of("checksum-sha1/24-list-after"));
    REQUIRE(after);
    CHECK(after->hooks.size() == 8);
    CHECK(after->hooks.back().callback_url == "http://127.0.0.1:18081/hooks/upper");

    auto dead = hooks::parse_list_response(body_of("checksum-sha1/28-list-after-dead-removed"));
    REQUIRE(dead);
    REQUIRE(dead->hooks.size() == 6);
    CHECK(dead->hooks[3].callback_url == "http://127.0.0.1:18081/hooks/scoped2");
    CHECK(dead->hooks[3].meeting_id == std::optional<std::string>("random-9019868"));
    CHECK(dead->hooks[4].callback_url == "http://127.0.0.1:18081/hooks/dead"); // §2.6.3: still listed

    auto empty = hooks::parse_list_response("<response><returncode>SUCCESS</returncode><hooks></hooks></response>");
    REQUIRE(empty);
    CHECK(empty->hooks.empty());
}

TEST_CASE("hooks: the captured destroy answer parses", "[hooks][fixtures]") {
    auto r = hooks::parse_destroy_response(body_of("checksum-sha1/21-destroy-temp"));
    REQUIRE(r);
    CHECK(r->reply.returncode == hooks::ReturnCode::success);
    CHECK(r->removed);
}

TEST_CASE("hooks: every captured XML body parses with the parser of its call", "[hooks][fixtures]") {
    size_t n = 0;
    for (const auto& file : files_with(".xml")) {
        std::string name = name_of(file);
        INFO(name);
        std::string body = test::read_text(file);
        std::optional<ApiErrorKind> kind;
        if (name.find("-list-") != std::string::npos) {
            auto r = hooks::parse_list_response(body);
            if (!r) kind = r.error().kind;
        } else if (name.find("-destroy-") != std::string::npos) {
            auto r = hooks::parse_destroy_response(body);
            if (!r) kind = r.error().kind;
        } else {
            auto r = hooks::parse_create_response(body);
            if (!r) kind = r.error().kind;
        }
        // A FAILED answer is fine here; a body we cannot read is not.
        CHECK(kind != std::optional<ApiErrorKind>(ApiErrorKind::not_xml));
        CHECK(kind != std::optional<ApiErrorKind>(ApiErrorKind::html_page));
        CHECK(kind != std::optional<ApiErrorKind>(ApiErrorKind::bad_response));
        ++n;
    }
    CHECK(n == 27); // every .xml of bearer/, checksum-sha1/ and checksum-sha256/
}

TEST_CASE("hooks: the HTML 500 page, the 404 page and garbage each give their own kind", "[hooks][fixtures]") {
    auto page = hooks::parse_create_response(http_body("checksum-sha1/12-create-checksum-bad-length"));
    REQUIRE_FALSE(page);
    CHECK(page.error().kind == ApiErrorKind::html_page);
    CHECK(page.error().message.find("Internal Server Error") != std::string::npos);
    CHECK_FALSE(page.error().reply);

    auto post = hooks::parse_list_response(http_body("checksum-sha1/25-post-not-routed"));
    REQUIRE_FALSE(post);
    CHECK(post.error().kind == ApiErrorKind::html_page);
    CHECK(post.error().message.find("Cannot POST /bigbluebutton/api/hooks/list") != std::string::npos);

    // ping's plain-text answer, as if a wrong path had been called
    CHECK(create_error(http_body("checksum-sha1/01-ping")) == ApiErrorKind::not_xml);
    CHECK(create_error("") == ApiErrorKind::not_xml);
    CHECK(create_error(" \r\n") == ApiErrorKind::not_xml);
    CHECK(create_error(std::string("\x00\xff garbage", 10)) == ApiErrorKind::not_xml);
    CHECK(create_error("{\"returncode\":\"SUCCESS\"}") == ApiErrorKind::not_xml);
    CHECK(create_error("<response><returncode>SUCCESS</returncode>") == ApiErrorKind::not_xml);
    CHECK(create_error("<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body>"
                       "</html>") == ApiErrorKind::html_page);

    auto checksum = hooks::parse_create_response(body_of("checksum-sha1/10-create-wrong-checksum"));
    REQUIRE_FALSE(checksum);
    std::set<ApiErrorKind> kinds = {page.error().kind, checksum.error().kind, create_error("garbage")};
    CHECK(kinds.size() == 3);
    std::set<ExitCode> codes = {hooks::exit_code(ApiErrorKind::checksum), hooks::exit_code(ApiErrorKind::html_page)};
    CHECK(codes.size() == 2);
}

TEST_CASE("hooks: well-formed XML that is not an answer is a bad response", "[hooks]") {
    CHECK(create_error("<foo/>") == ApiErrorKind::bad_response);
    CHECK(create_error("<response><message>x</message></response>") == ApiErrorKind::bad_response);
    CHECK(create_error("<response><returncode>MAYBE</returncode></response>") == ApiErrorKind::bad_response);
    CHECK(create_error("<response><returncode>SUCCESS</returncode></response>") == ApiErrorKind::bad_response);
    CHECK(create_error("<response><returncode>SUCCESS</returncode><hookID>1</hookID><permanentHook>yes"
                       "</permanentHook></response>") == ApiErrorKind::bad_response);
    auto no_hooks = hooks::parse_list_response("<response><returncode>SUCCESS</returncode></response>");
    REQUIRE_FALSE(no_hooks);
    CHECK(no_hooks.error().kind == ApiErrorKind::bad_response);
    auto no_url = hooks::parse_list_response(
        "<response><returncode>SUCCESS</returncode><hooks><hook><hookID>1</hookID></hook></hooks></response>");
    REQUIRE_FALSE(no_url);
    CHECK(no_url.error().kind == ApiErrorKind::bad_response);
    auto no_removed = hooks::parse_destroy_response("<response><returncode>SUCCESS</returncode></response>");
    REQUIRE_FALSE(no_removed);
    CHECK(no_removed.error().kind == ApiErrorKind::bad_response);
}

TEST_CASE("hooks: error messages never quote a checksum a page echoes", "[hooks]") {
    std::string hex(40, 'a');
    auto r = hooks::parse_create_response("<!DOCTYPE html><html><body><pre>Cannot GET /x?checksum=" + hex +
                                          "</pre></body></html>");
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ApiErrorKind::html_page);
    CHECK(r.error().message.find(hex) == std::string::npos);
    CHECK(r.error().message.find("checksum=REDACTED") != std::string::npos);
    auto g = hooks::parse_create_response("oops checksum=" + hex);
    REQUIRE_FALSE(g);
    CHECK(g.error().message.find(hex) == std::string::npos);
}

TEST_CASE("hooks: every error kind has its own name and an exit code", "[hooks]") {
    std::set<std::string_view> names;
    for (auto k :
         {ApiErrorKind::checksum, ApiErrorKind::missing_param, ApiErrorKind::hook_not_found, ApiErrorKind::server_error,
          ApiErrorKind::failed_other, ApiErrorKind::html_page, ApiErrorKind::not_xml, ApiErrorKind::bad_response}) {
        names.insert(hooks::api_error_kind_name(k));
        CHECK(hooks::exit_code(k) != ExitCode::ok);
        CHECK(hooks::exit_code(k) != ExitCode::internal);
    }
    CHECK(names.size() == 8);
    CHECK(hooks::exit_code(ApiErrorKind::checksum) == ExitCode::config);
}

TEST_CASE("hooks: bbb-conf --secret output gives the API base and the secret", "[hooks]") {
    const std::string k_out = "\n       URL: https://bbb.example.com/bigbluebutton/\n"
                              "    Secret: 330a8b08c3b4c61533e1d0c334\n\n      Link to the API-Mate:\n"
                              "      https://mconf.github.io/api-mate/#server=https://bbb.example.com/bigbluebutton/"
                              "&sharedSecret=330a8b08c3b4c61533e1d0c334\n";
    auto r = hooks::parse_bbb_conf_secret(k_out);
    REQUIRE(r);
    CHECK(r->url == "https://bbb.example.com/bigbluebutton/");
    CHECK(r->api_base == "https://bbb.example.com/bigbluebutton/api");
    CHECK(r->secret == "330a8b08c3b4c61533e1d0c334");

    auto crlf = hooks::parse_bbb_conf_secret("    URL: http://10.0.3.132/bigbluebutton/\r\n    Secret: s3cr3t\r\n");
    REQUIRE(crlf);
    CHECK(crlf->api_base == "http://10.0.3.132/bigbluebutton/api");
    CHECK(crlf->secret == "s3cr3t");

    auto no_url = hooks::parse_bbb_conf_secret("    Secret: s3cr3tValue\n");
    REQUIRE_FALSE(no_url);
    CHECK(no_url.error().code == ExitCode::data);
    CHECK(no_url.error().message.find("s3cr3tValue") == std::string::npos);
    auto no_secret = hooks::parse_bbb_conf_secret("    URL: https://h/bigbluebutton/\n    Secret:\n");
    REQUIRE_FALSE(no_secret);
    CHECK(no_secret.error().code == ExitCode::data);
    auto bad_url = hooks::parse_bbb_conf_secret("    URL: bbb.example.com\n    Secret: s3cr3tValue\n");
    REQUIRE_FALSE(bad_url);
    CHECK(bad_url.error().code == ExitCode::data);
    CHECK(bad_url.error().message.find("s3cr3tValue") == std::string::npos);
    CHECK_FALSE(hooks::parse_bbb_conf_secret(""));
}
