// End-to-end tests of fake-bbb-api, the stand-in for bbb-webhooks v3.5.0's hooks API that the
// tests of `bbbhook hooks` talk to: the real process, real HTTP on 127.0.0.1, and the captured
// traffic of the real app (tests/fixtures/bbb-webhooks/captured/api) as the reference.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fmt/format.h>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "bbbhook/hooks/api.hpp"
#include "bbbhook/util/hash.hpp"
#include "bbbhook/util/text.hpp"
#include "support/fake_bbb.hpp"

using namespace bbbhook;
using namespace std::chrono_literals;
using test::FakeBbb;
using test::FakeBbbOptions;
using test::k_fixture_secret;
using test::RawResponse;
using util::HashAlg;

namespace {

std::filesystem::path api_captures() {
    return test::fixtures_dir() / "bbb-webhooks" / "captured" / "api";
}

std::string captured_xml(std::string_view name) {
    return test::read_text(api_captures() / "checksum-sha1" / fmt::format("{}.xml", name));
}

// "/bigbluebutton/api/<method>?<query>&checksum=<hex>", signed as a client of the API does.
std::string signed_target(std::string_view method, std::string_view query, HashAlg alg = HashAlg::sha1,
                          std::string_view secret = k_fixture_secret) {
    return fmt::format("/bigbluebutton/api/{}?{}{}checksum={}", method, query, query.empty() ? "" : "&",
                       hooks::api_checksum(alg, method, query, secret));
}

RawResponse get(const FakeBbb& fake, std::string_view target) {
    return test::http(fake.port(), "GET", target);
}

// The text of the first <name>…</name>; "" if absent. Enough for the API's flat answers.
std::string tag(std::string_view xml, std::string_view name) {
    auto open = xml.find(fmt::format("<{}>", name));
    if (open == std::string_view::npos) return {};
    auto start = open + name.size() + 2;
    auto close = xml.find(fmt::format("</{}>", name), start);
    return close == std::string_view::npos ? std::string() : std::string(xml.substr(start, close - start));
}

// Every <hook>…</hook> of a list answer, in order.
std::vector<std::string> hook_elements(std::string_view xml) {
    std::vector<std::string> out;
    for (size_t at = xml.find("<hook>"); at != std::string_view::npos; at = xml.find("<hook>", at + 1))
        out.emplace_back(xml.substr(at, xml.find("</hook>", at) + 7 - at));
    return out;
}

std::vector<std::string> hook_ids(std::string_view xml) {
    std::vector<std::string> out;
    for (const auto& h : hook_elements(xml))
        out.push_back(tag(h, "hookID"));
    return out;
}

std::string header(const RawResponse& res, std::string_view name) {
    size_t pos = 0;
    while ((pos = res.head.find("\r\n", pos)) != std::string::npos) {
        pos += 2;
        auto end = res.head.find("\r\n", pos);
        std::string_view line = std::string_view(res.head).substr(pos, end - pos);
        auto colon = line.find(':');
        if (colon != std::string_view::npos && util::iequals(line.substr(0, colon), name))
            return std::string(util::trim(line.substr(colon + 1)));
    }
    return {};
}

size_t replace_all(std::string& s, std::string_view from, std::string_view to) {
    size_t n = 0;
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()), ++n)
        s.replace(at, from.size(), to);
    return n;
}

// One captured API call: NN-name.url, and its answer from NN-name.http (or NN-name.body).
struct ApiCapture {
    std::string name;   // "14-list-all"
    std::string method; // GET, or POST for 25-post-not-routed
    std::string target; // path and query, as sent
    int status = 200;
    std::string content_type; // "" when the answer had none (the ping)
    std::string body;
};

std::vector<ApiCapture> load_api_captures(const std::filesystem::path& dir) {
    std::vector<std::filesystem::path> urls;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        if (e.path().extension() == ".url") urls.push_back(e.path());
    std::sort(urls.begin(), urls.end());
    std::vector<ApiCapture> out;
    for (const auto& url_file : urls) {
        ApiCapture c;
        c.name = url_file.stem().string();
        std::string url(util::trim(test::read_text(url_file)));
        c.method = url.starts_with("POST ") ? "POST" : "GET";
        if (c.method == "POST") url.erase(0, 5);
        c.target = url.substr(url.find('/', url.find("://") + 3)); // the host and port are the capture's
        auto http_file = dir / (c.name + ".http");
        if (std::filesystem::exists(http_file)) {
            std::string http = test::read_text(http_file);
            auto end = http.find("\r\n\r\n");
            RawResponse head{std::atoi(http.c_str() + 9), http.substr(0, end), http.substr(end + 4), {}};
            c.status = head.status;
            c.content_type = header(head, "Content-Type");
            c.body = head.body;
        } else {
            // 27-create-*: only the body was kept (the calls were made by a script of the later
            // retries session); the app answered them like any other create.
            c.content_type = "text/xml; charset=utf-8";
            c.body = test::read_text(dir / (c.name + ".body"));
        }
        out.push_back(std::move(c));
    }
    return out;
}

// A captured target that names a hook by the capture session's id, with the fake's id instead,
// signed again (same algorithm, `secret`). Others are sent unchanged, checksum and all.
std::string with_fake_ids(const std::string& target, const std::map<std::string, std::string>& ids,
                          std::string_view secret) {
    std::string t = target;
    size_t changed = 0;
    for (const auto& [captured, mine] : ids)
        changed += replace_all(t, captured, mine);
    if (changed == 0) return target;
    auto sum = t.find("&checksum=");
    REQUIRE(sum != std::string::npos);
    auto alg = util::hash_alg_from_hex_length(t.size() - sum - 10);
    REQUIRE(alg);
    auto q = t.find('?');
    std::string method = t.substr(19, q - 19), query = t.substr(q + 1, sum - q - 1);
    return fmt::format("{}&checksum={}", t.substr(0, sum), hooks::api_checksum(*alg, method, query, secret));
}

// Replays a capture folder in file order against one fresh fake, and checks every answer against
// the captured one. The fake's hookIDs are random like the app's: ids learnt from the create
// answers replace the captured ones, in the targets (re-signed) and in the expected bodies.
void replay(const std::filesystem::path& dir, const FakeBbb& fake) {
    std::map<std::string, std::string> ids; // captured hookID -> the fake's
    auto captures = load_api_captures(dir);
    REQUIRE(!captures.empty());
    size_t api_calls = 0;
    for (const auto& c : captures) {
        INFO(c.name);
        std::string target = with_fake_ids(c.target, ids, fake.options().secret);
        auto res = test::http(fake.port(), c.method, target);
        if (!c.name.ends_with("-ping")) ++api_calls;
        CHECK(res.status == c.status);
        // The ping had no Content-Type (a chunked res.write); httplib labels every body.
        if (!c.name.ends_with("-ping")) CHECK(header(res, "Content-Type") == c.content_type);
        if (!c.content_type.starts_with("text/xml")) {
            CHECK(res.body == c.body); // the ping's text, Express's 404 and 500 pages
            continue;
        }
        CHECK(tag(res.body, "returncode") == tag(c.body, "returncode"));
        CHECK(tag(res.body, "messageKey") == tag(c.body, "messageKey"));
        if (c.target.find("/hooks/create") != std::string::npos && tag(c.body, "returncode") == "SUCCESS") {
            // A duplicate (03) must name the hook the first create (02) made.
            auto [known, added] = ids.emplace(tag(c.body, "hookID"), tag(res.body, "hookID"));
            CHECK(known->second == tag(res.body, "hookID"));
        }
        std::string expected = c.body;
        for (const auto& [captured, mine] : ids)
            replace_all(expected, captured, mine);
        if (c.name == "15-list-by-meeting") {
            // Sorted by hookID: the same hooks as captured, in the order of the fake's ids.
            auto got = hook_elements(res.body), want = hook_elements(expected);
            auto got_ids = hook_ids(res.body);
            CHECK(std::is_sorted(got_ids.begin(), got_ids.end()));
            std::sort(got.begin(), got.end());
            std::sort(want.begin(), want.end());
            CHECK(got == want);
        } else if (c.name == "28-list-after-dead-removed") {
            // Between 27 and 28 the capture session deleted hooks the replay never deletes (and the
            // app dropped /hooks/dead from Redis, §2.6 quirk 3): the captured hooks must all be
            // there, in the captured order, among others.
            auto got = hook_elements(res.body);
            auto want = hook_elements(expected);
            auto at = got.begin();
            for (const auto& h : want) {
                INFO(h);
                at = std::find(at, got.end(), h);
                CHECK(at != got.end());
            }
        } else {
            CHECK(res.body == expected);
        }
    }
    CHECK(fake.requests() == api_calls);
}

} // namespace

TEST_CASE("fake-bbb-api replays the captured sha1 session with the captured answers", "[fake-bbb]") {
    // The capture session's app had one permanent hook (capture 14): its id is uuidv5 of the URL,
    // so 14, 19 and 24 name it exactly as captured.
    FakeBbb fake({.permanent = {"http://127.0.0.1:18081/hooks/permanent"}});
    // All of checksum-sha1/, in order: 01 (ping), 12 (500 page), 25 (POST: 404 page) and the
    // 27-* bodies included. 21 and 22 destroy the hook 20 made: they are re-signed with its new id.
    replay(api_captures() / "checksum-sha1", fake);
    CHECK(fake.stop() == 0);
}

TEST_CASE("fake-bbb-api replays the captured sha256 and bearer sessions", "[fake-bbb]") {
    // Both sessions' apps used the fixture secret (SOURCE.md); only callbacks differ between them.
    for (const char* session : {"checksum-sha256", "bearer"}) {
        INFO(session);
        FakeBbb fake;
        replay(api_captures() / session, fake);
        if (std::string_view(session) == "checksum-sha256") {
            // callbackURL is decoded once: its own %20 stays encoded in the stored URL.
            auto list = get(fake, signed_target("hooks/list", ""));
            CHECK(tag(list.body, "callbackURL") == "<![CDATA[http://127.0.0.1:18081/hooks/sha256?tenant=b&x=%20y]]>");
        }
    }
}

TEST_CASE("fake-bbb-api answers byte for byte what bbb-webhooks answered", "[fake-bbb]") {
    FakeBbb fake({.permanent = {"http://127.0.0.1:18081/hooks/permanent"}});
    // Each fixed answer of the fake, produced afresh and compared with the captured body, so the
    // fake's copies cannot drift from the fixtures.
    CHECK(get(fake, signed_target("hooks/create", "callbackURL=x", HashAlg::sha1, "wrong")).body ==
          captured_xml("10-create-wrong-checksum"));
    CHECK(get(fake, signed_target("hooks/create", "meetingID=m")).body ==
          captured_xml("09-create-missing-callbackURL"));
    CHECK(get(fake, signed_target("hooks/destroy", "")).body == captured_xml("17-destroy-missing-param"));
    CHECK(get(fake, signed_target("hooks/destroy", "hookID=nope")).body == captured_xml("18-destroy-unknown-id"));
    CHECK(get(fake, signed_target("hooks/list", "meetingID=none")).body == captured_xml("16-list-by-other-meeting"));
    auto created = get(fake, signed_target("hooks/create", "callbackURL=http%3A%2F%2Fa%2Fb"));
    auto id = tag(created.body, "hookID");
    CHECK(get(fake, signed_target("hooks/destroy", "hookID=" + id)).body == captured_xml("21-destroy-temp"));

    // The answers that carry ids have the captured shapes; a hookID is a lowercase UUIDv4.
    CHECK(created.body == fmt::format("<response><returncode>SUCCESS</returncode><hookID>{}</hookID><permanentHook>"
                                      "false</permanentHook><rawData>false</rawData></response>",
                                      id));
    CHECK(id.size() == 36);
    CHECK(id[14] == '4');
    CHECK(std::all_of(id.begin(), id.end(),
                      [](char c) { return c == '-' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }));
    auto head = get(fake, signed_target("hooks/create", "callbackURL=http%3A%2F%2Fa%2Fc"));
    CHECK(header(head, "Content-Type") == "text/xml; charset=utf-8");
    CHECK(header(head, "X-Powered-By") == "Express");
    auto ping = get(fake, "/bigbluebutton/api/hooks/ping");
    CHECK(ping.status == 200);
    CHECK(ping.body == "bbb-webhooks API up!");
}

TEST_CASE("fake-bbb-api checks checksums as bbb-webhooks v3.5.0 does", "[fake-bbb]") {
    FakeBbb fake({.algorithms = {"sha1", "sha256", "sha512"}});
    const std::string query = "callbackURL=http%3A%2F%2F127.0.0.1%3A18081%2Fhooks%2Fx";
    const std::string checksum_error = captured_xml("10-create-wrong-checksum");

    SECTION("a wrong secret, no checksum, uppercase hex, two checksums or a disabled algorithm: checksumError") {
        CHECK(get(fake, signed_target("hooks/create", query, HashAlg::sha1, "anotherSecret")).body == checksum_error);
        CHECK(get(fake, "/bigbluebutton/api/hooks/create?" + query).body == checksum_error);
        CHECK(get(fake, "/bigbluebutton/api/hooks/list?checksum=").body == checksum_error);
        std::string upper = signed_target("hooks/list", "");
        for (auto at = upper.find('=') + 1; at < upper.size(); ++at)
            upper[at] = static_cast<char>(std::toupper(static_cast<unsigned char>(upper[at])));
        CHECK(get(fake, upper).body == checksum_error);
        CHECK(get(fake, signed_target("hooks/list", "") + "&checksum=0").body == checksum_error);
        CHECK(get(fake, signed_target("hooks/create", query, HashAlg::sha384)).body == checksum_error);
        CHECK(fake.log().find("checksumError") != std::string::npos);
    }
    SECTION("each enabled algorithm, told by the hex length") {
        for (auto alg : {HashAlg::sha1, HashAlg::sha256, HashAlg::sha512}) {
            auto res = get(fake, signed_target("hooks/list", "", alg));
            CHECK(tag(res.body, "returncode") == "SUCCESS");
        }
    }
    SECTION("a checksum of another length, valid hex or not: HTTP 500 with Express's page") {
        std::string page = test::read_text(api_captures() / "checksum-sha1" / "12-create-checksum-bad-length.http");
        page = page.substr(page.find("\r\n\r\n") + 4);
        for (std::string sum : {std::string(50, 'a'), std::string("abc123"), std::string(41, '0')}) {
            INFO(sum);
            auto res = get(fake, fmt::format("/bigbluebutton/api/hooks/create?{}&checksum={}", query, sum));
            CHECK(res.status == 500);
            CHECK(header(res, "Content-Type") == "text/html; charset=utf-8");
            CHECK(res.body == page);
        }
    }
    SECTION("the checksum may come anywhere in the query: it is cut out by the three regexes") {
        auto sum = hooks::api_checksum(HashAlg::sha1, "hooks/create", query + "&getRaw=true", k_fixture_secret);
        auto res = get(fake, fmt::format("/bigbluebutton/api/hooks/create?checksum={}&{}&getRaw=true", sum, query));
        CHECK(tag(res.body, "returncode") == "SUCCESS");
        CHECK(tag(res.body, "rawData") == "true");
        auto middle = get(
            fake, fmt::format("/bigbluebutton/api/hooks/list?meetingID=a&checksum={}&x=1",
                              hooks::api_checksum(HashAlg::sha1, "hooks/list", "meetingID=a&x=1", k_fixture_secret)));
        CHECK(tag(middle.body, "messageKey") == "listHookError"); // signed right; no hook for meeting a
    }
    SECTION("a trailing slash is routed and is part of the hashed method") {
        auto with_slash = get(fake, signed_target("hooks/create/", query));
        CHECK(tag(with_slash.body, "returncode") == "SUCCESS");
        auto sum = hooks::api_checksum(HashAlg::sha1, "hooks/list", "", k_fixture_secret);
        CHECK(get(fake, "/bigbluebutton/api/hooks/list/?checksum=" + sum).body == checksum_error);
        CHECK(tag(get(fake, signed_target("hooks/list/", "")).body, "returncode") == "SUCCESS");
    }
    SECTION("other paths and methods get Express's 404 page") {
        auto post = test::http(fake.port(), "POST", "/bigbluebutton/api/hooks/list", "a=1");
        std::string page = test::read_text(api_captures() / "checksum-sha1" / "25-post-not-routed.http");
        CHECK(post.status == 404);
        CHECK(post.body == page.substr(page.find("\r\n\r\n") + 4));
        auto other = get(fake, "/bigbluebutton/api/create?x=1");
        CHECK(other.status == 404);
        CHECK(other.body.find("<pre>Cannot GET /bigbluebutton/api/create</pre>") != std::string::npos);
        CHECK(test::http(fake.port(), "DELETE", "/bigbluebutton/api/hooks/destroy").status == 404);
    }
}

TEST_CASE("fake-bbb-api keeps hooks as bbb-webhooks v3.5.0 does", "[fake-bbb]") {
    const std::string permanent_url = "http://127.0.0.1:18081/hooks/permanent";
    FakeBbb fake({.permanent = {permanent_url, "http://127.0.0.1:18081/hooks/permanent2"}});
    auto create = [&](std::string_view query) { return get(fake, signed_target("hooks/create", query)).body; };
    auto list = [&](std::string_view query = "") { return get(fake, signed_target("hooks/list", query)).body; };

    SECTION("permanent hooks: listed first, stable ids, not destroyable") {
        auto ids = hook_ids(list());
        REQUIRE(ids.size() == 2);
        CHECK(ids[0] == "8c040c85-824d-5cde-8ca2-7a2fd568c777"); // as captured (14, 19)
        CHECK(tag(list(), "permanentHook") == "true");
        CHECK(get(fake, signed_target("hooks/destroy", "hookID=" + ids[0])).body ==
              captured_xml("19-destroy-permanent"));
        CHECK(hook_ids(list()) == ids);
        // Registering a permanent URL again is a duplicate of the permanent hook.
        auto again = create("callbackURL=http%3A%2F%2F127.0.0.1%3A18081%2Fhooks%2Fpermanent");
        CHECK(tag(again, "hookID") == ids[0]);
        CHECK(tag(again, "messageKey") == "duplicateWarning");
    }
    SECTION("a duplicate callbackURL answers the stored hook, which stays unchanged") {
        auto first = create("callbackURL=http%3A%2F%2Fa%2Fx&eventID=User-Joined%2CUSER-LEFT");
        auto id = tag(first, "hookID");
        auto dup = create("callbackURL=http%3A%2F%2Fa%2Fx&getRaw=true&meetingID=m");
        CHECK(dup == fmt::format("<response><returncode>SUCCESS</returncode><hookID>{}</hookID><messageKey>"
                                 "duplicateWarning</messageKey><message>There is already a hook for this callback "
                                 "URL.</message></response>",
                                 id));
        auto hooks = hook_elements(list());
        REQUIRE(hooks.size() == 3);
        CHECK(hooks[2] == fmt::format("<hook><hookID>{}</hookID><callbackURL><![CDATA[http://a/x]]></callbackURL>"
                                      "<eventID>user-joined,user-left</eventID><permanentHook>false</permanentHook>"
                                      "<rawData>false</rawData></hook>",
                                      id));
    }
    SECTION("getRaw: true or false in any case, anything else is an error page") {
        CHECK(tag(create("callbackURL=r1&getRaw=TRUE"), "rawData") == "true");
        CHECK(tag(create("callbackURL=r2&getRaw=False"), "rawData") == "false");
        CHECK(tag(create("callbackURL=r3&getRaw="), "rawData") == "false");
        auto yes = get(fake, signed_target("hooks/create", "callbackURL=r4&getRaw=yes"));
        CHECK(yes.status == 500);
        CHECK(hook_elements(list()).size() == 5);
    }
    SECTION("list by meeting: the global hooks and the first hook of that meeting, by hookID") {
        CHECK(list("meetingID=m1") == captured_xml("16-list-by-other-meeting"));
        auto global = tag(create("callbackURL=g"), "hookID");
        auto scoped = tag(create("callbackURL=s1&meetingID=m1"), "hookID");
        auto scoped2 = tag(create("callbackURL=s2&meetingID=m1"), "hookID"); // §2.6 quirk 1: never listed
        create("callbackURL=s3&meetingID=m2");
        auto by_meeting = list("meetingID=m1");
        auto ids = hook_ids(by_meeting);
        auto all = hook_ids(list());
        std::vector<std::string> expected = {all[0], all[1], global, scoped};
        std::sort(expected.begin(), expected.end());
        CHECK(ids == expected);
        CHECK(std::find(ids.begin(), ids.end(), scoped2) == ids.end());
        CHECK(by_meeting.find("<meetingID><![CDATA[m1]]></meetingID>") != std::string::npos);
        // Without meetingID: everything, in registration order.
        CHECK(all.size() == 6);
        CHECK(all[2] == global);
        CHECK(all[4] == scoped2);
    }
    SECTION("destroy removes a hook once") {
        auto id = tag(create("callbackURL=t"), "hookID");
        CHECK(get(fake, signed_target("hooks/destroy", "hookID=" + id)).body == captured_xml("21-destroy-temp"));
        CHECK(get(fake, signed_target("hooks/destroy", "hookID=" + id)).body == captured_xml("22-destroy-temp-again"));
        CHECK(hook_elements(list()).size() == 2);
    }
    SECTION("an empty list") {
        FakeBbb empty;
        CHECK(get(empty, signed_target("hooks/list", "")).body ==
              "<response><returncode>SUCCESS</returncode><hooks></hooks></response>");
    }
}

TEST_CASE("fake-bbb-api injects faults", "[fake-bbb]") {
    const std::string target = signed_target("hooks/create", "callbackURL=http%3A%2F%2Fa%2Fx");
    SECTION("the first N calls fail with an nginx page, then the API answers") {
        FakeBbb fake({.fail_first = 2});
        CHECK(get(fake, "/bigbluebutton/api/hooks/ping").status == 200); // not counted as a call
        for (int i = 0; i < 2; ++i) {
            auto res = get(fake, target);
            CHECK(res.status == 503);
            CHECK(res.body.starts_with("<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>"));
            CHECK(header(res, "Content-Type") == "text/html");
        }
        auto ok = get(fake, target);
        CHECK(ok.status == 200);
        CHECK(tag(ok.body, "permanentHook") == "false"); // a new hook: the failures created nothing
        CHECK(fake.requests() == 3);
        auto log = fake.log();
        CHECK(log.find("-> 503 -") != std::string::npos);
        CHECK(
            log.find("GET /bigbluebutton/api/hooks/create?callbackURL=http%3A%2F%2Fa%2Fx&checksum=REDACTED -> 200 -") !=
            std::string::npos);
        CHECK(log.find(target.substr(target.find("checksum=") + 9)) == std::string::npos);
        CHECK(log.find(std::string(k_fixture_secret)) == std::string::npos);
    }
    SECTION("another status") {
        FakeBbb fake({.fail_first = 1, .fail_status = 502});
        auto res = get(fake, target);
        CHECK(res.status == 502);
        CHECK(res.body.find("<title>502 Bad Gateway</title>") != std::string::npos);
        CHECK(get(fake, target).status == 200);
    }
    SECTION("storage errors after a good checksum") {
        FakeBbb fake({.storage_error = true});
        CHECK(tag(get(fake, target).body, "messageKey") == "createHookError");
        CHECK(get(fake, signed_target("hooks/list", "")).body ==
              "<response><returncode>FAILED</returncode><messageKey>listHookError</messageKey><message>An error "
              "happened while listing registered hooks. Check the logs.</message></response>");
        CHECK(get(fake, signed_target("hooks/destroy", "hookID=x")).body ==
              "<response><returncode>FAILED</returncode><messageKey>destroyHookError</messageKey><message>An error "
              "happened while removing your hook. Check the logs.</message></response>");
        CHECK(tag(get(fake, signed_target("hooks/list", "", HashAlg::sha1, "bad")).body, "messageKey") ==
              "checksumError");
        CHECK(fake.log().find("-> 200 createHookError") != std::string::npos);
    }
    SECTION("a delay before every answer") {
        FakeBbb fake({.delay_ms = 300});
        auto start = std::chrono::steady_clock::now();
        CHECK(get(fake, target).status == 200);
        CHECK(std::chrono::steady_clock::now() - start >= 300ms); // a lower bound only, never a speed goal
    }
}

TEST_CASE("fake-bbb-api serves HTTPS with a certificate that curl verifies", "[fake-bbb]") {
    FakeBbb fake({.tls = true});
    REQUIRE(fake.api_base().starts_with("https://127.0.0.1:"));
    auto url = fmt::format("https://127.0.0.1:{}{}", fake.port(), signed_target("hooks/list", ""));
    auto trusted = test::run({"/usr/bin/curl", "-sS", "--max-time", "20", "--cacert", fake.ca_file().string(), url});
    INFO(trusted.err);
    CHECK(trusted.code == 0);
    CHECK(trusted.out == "<response><returncode>SUCCESS</returncode><hooks></hooks></response>");
    auto untrusted = test::run({"/usr/bin/curl", "-sS", "--max-time", "20", url});
    CHECK(untrusted.code == 60); // CURLE_PEER_FAILED_VERIFICATION
    CHECK(fake.stop() == 0);
}

TEST_CASE("fake-bbb-api exits 0 on SIGTERM and SIGINT", "[fake-bbb]") {
    FakeBbb fake;
    CHECK(fake.stop() == 0);
    test::TempDir port_file;
    auto proc =
        test::Process::start({test::fake_bbb_api_binary().string(), "--port-file", (port_file / "port").string()});
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!std::filesystem::exists(port_file / "port") && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(10ms);
    proc.signal(SIGINT);
    CHECK(proc.wait(30s) == 0);
    CHECK(test::run({test::fake_bbb_api_binary().string(), "--help"}).code == 0);
    CHECK(test::run({test::fake_bbb_api_binary().string(), "--fail-first", "x"}).code == 64);
}
