// bbb/callback_auth: every captured callback verifies, and fails once a body byte is flipped.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "bbbhook/bbb/callback_auth.hpp"
#include "bbbhook/util/form.hpp"
#include "support/support.hpp"

using namespace bbbhook;
using bbbhook::test::fixtures_dir;
using bbbhook::test::k_fixture_secret;

namespace {

const auto k_callbacks = fixtures_dir() / "bbb-webhooks" / "captured" / "callbacks";

// The URL each hook was registered with: the callback base plus the target without checksum.
std::string registered_url(const test::Capture& c) {
    return "http://127.0.0.1:18081" + bbb::split_callback_target(c.target).without_checksum;
}

bbb::SourceAuth source_for(const test::Capture& c, bbb::AuthMode mode = bbb::AuthMode::any) {
    return bbb::SourceAuth{std::string(k_fixture_secret), registered_url(c), mode, false, false};
}

std::vector<test::Capture> checksum_captures() {
    std::vector<test::Capture> all;
    for (auto scenario : {"checksum-sha1", "checksum-sha1-retries", "checksum-sha256"}) {
        auto v = test::load_captures(k_callbacks / scenario);
        all.insert(all.end(), v.begin(), v.end());
    }
    return all;
}

bbb::Credentials credentials_of(const test::Capture& c) {
    bbb::Credentials cred;
    cred.checksum = bbb::split_callback_target(c.target).checksum;
    return cred;
}

} // namespace

TEST_CASE("every checksum capture verifies, and fails after one body byte is flipped", "[auth][fixtures]") {
    auto captures = checksum_captures();
    REQUIRE(captures.size() == 272); // bbb-webhooks.md §3.2: all 272 checksum-mode captures
    size_t sha256 = 0;
    for (const auto& c : captures) {
        INFO(c.file.string());
        auto cred = credentials_of(c);
        REQUIRE(cred.checksum);
        auto ok = bbb::verify_callback(source_for(c), c.body, cred);
        REQUIRE(ok);
        CHECK(ok->method == bbb::AuthMethod::checksum);
        if (ok->alg == util::HashAlg::sha256) ++sha256;

        for (size_t pos : {size_t{0}, c.body.size() / 2, c.body.size() - 1}) {
            std::string flipped = c.body;
            flipped[pos] = static_cast<char>(flipped[pos] ^ 0x01);
            auto bad = bbb::verify_callback(source_for(c), flipped, cred);
            REQUIRE_FALSE(bad);
            CHECK(bad.error().kind == "checksum_mismatch");
        }
    }
    CHECK(sha256 == 4);
}

TEST_CASE("a checksum capture fails with a wrong secret or a different registered URL", "[auth][fixtures]") {
    auto c = test::load_captures(k_callbacks / "checksum-sha1").front();
    auto s = source_for(c);
    s.secret = "wrongSecret";
    CHECK_FALSE(bbb::verify_callback(s, c.body, credentials_of(c)));
    s = source_for(c);
    s.callback_url = "https://bbbhook.example.org" + bbb::split_callback_target(c.target).without_checksum;
    CHECK_FALSE(bbb::verify_callback(s, c.body, credentials_of(c)));
}

TEST_CASE("bearer captures pass with the right secret and fail with a wrong one", "[auth][fixtures]") {
    auto captures = test::load_captures(k_callbacks / "bearer");
    REQUIRE(captures.size() == 64);
    for (const auto& c : captures) {
        INFO(c.file.string());
        bbb::Credentials cred;
        std::string authorization = c.header("authorization");
        cred.bearer = bbb::bearer_token(authorization);
        REQUIRE(cred.bearer);
        bbb::SourceAuth s{std::string(k_fixture_secret), "", bbb::AuthMode::bearer, false, false};
        auto ok = bbb::verify_callback(s, c.body, cred);
        REQUIRE(ok);
        CHECK(ok->method == bbb::AuthMethod::bearer);
        s.secret = std::string(k_fixture_secret) + "x";
        auto bad = bbb::verify_callback(s, c.body, cred);
        REQUIRE_FALSE(bad);
        CHECK(bad.error().kind == "bearer_mismatch");
    }
}

TEST_CASE("auth modes restrict what is accepted", "[auth]") {
    auto c = test::load_captures(k_callbacks / "checksum-sha1").front();
    auto s = source_for(c, bbb::AuthMode::bearer);
    auto r = bbb::verify_callback(s, c.body, credentials_of(c));
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == "mode");

    bbb::Credentials bearer;
    bearer.bearer = k_fixture_secret;
    s = source_for(c, bbb::AuthMode::checksum);
    r = bbb::verify_callback(s, c.body, bearer);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == "mode");

    r = bbb::verify_callback(source_for(c), c.body, bbb::Credentials{});
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == "no_credentials");
}

TEST_CASE("checksum algorithm comes from the hex length, other lengths are refused", "[auth]") {
    const std::string url = "https://hooks.example.org/bbb/a", body = "domain=x&event=%5B%5D&timestamp=1";
    bbb::SourceAuth s{"s3cret", url, bbb::AuthMode::checksum, false, false};
    for (auto alg : {util::HashAlg::sha1, util::HashAlg::sha256, util::HashAlg::sha384, util::HashAlg::sha512}) {
        auto sum = bbb::checksum_v34(alg, url, body, "s3cret");
        bbb::Credentials cred;
        cred.checksum = sum;
        auto ok = bbb::verify_callback(s, body, cred);
        REQUIRE(ok);
        CHECK(ok->alg == alg);
        // Upper-case hex is the same checksum.
        std::string upper = sum;
        for (char& ch : upper)
            ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        cred.checksum = upper;
        CHECK(bbb::verify_callback(s, body, cred));
    }
    bbb::Credentials odd;
    odd.checksum = "abc123";
    auto r = bbb::verify_callback(s, body, odd);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == "checksum_length");
}

TEST_CASE("legacy checksum formulas are accepted only when enabled", "[auth]") {
    const std::string url = "http://hooks.example.org/bbb/old";
    // v2 body order: event, timestamp, domain; the hash covers JSON.stringify({event,timestamp,domain}).
    const std::string body = "event=%5B%7B%22data%22%3A%7B%22id%22%3A%22user-joined%22%7D%7D%5D&timestamp="
                             "1698771158093&domain=bbb.example.test";
    std::string json =
        R"({"event":"[{\"data\":{\"id\":\"user-joined\"}}]","timestamp":1698771158093,"domain":"bbb.example.test"})";
    std::string v2 = util::Hasher(util::HashAlg::sha1).update(url).update(json).update("s3cret").hex();
    CHECK(bbb::checksum_v2(util::HashAlg::sha1, url, body, "s3cret") == v2);

    bbb::SourceAuth s{"s3cret", url, bbb::AuthMode::checksum, false, false};
    bbb::Credentials cred;
    cred.checksum = v2;
    CHECK_FALSE(bbb::verify_callback(s, body, cred));
    s.legacy_v2 = true;
    auto ok = bbb::verify_callback(s, body, cred);
    REQUIRE(ok);
    CHECK(ok->method == bbb::AuthMethod::checksum_v2);

    // v3.0–3.3.1: ALG(url + "{}" + secret), whatever the body.
    std::string constant = util::Hasher(util::HashAlg::sha256).update(url).update("{}").update("s3cret").hex();
    cred.checksum = constant;
    s.legacy_v2 = false;
    CHECK_FALSE(bbb::verify_callback(s, body, cred));
    s.legacy_v3_constant = true;
    ok = bbb::verify_callback(s, "anything", cred);
    REQUIRE(ok);
    CHECK(ok->method == bbb::AuthMethod::checksum_v3_constant);
}

TEST_CASE("the last checksum parameter is cut from the target", "[auth]") {
    auto t = bbb::split_callback_target("/hooks/scoped?tenant=a&checksum=abc");
    CHECK(t.path == "/hooks/scoped");
    CHECK(t.without_checksum == "/hooks/scoped?tenant=a");
    CHECK(t.checksum == "abc");
    t = bbb::split_callback_target("/hooks/x?checksum=1");
    CHECK(t.without_checksum == "/hooks/x");
    t = bbb::split_callback_target("/hooks/x?checksum=1&a=b&checksum=2");
    CHECK(t.checksum == "2");
    CHECK(t.without_checksum == "/hooks/x?checksum=1&a=b");
    t = bbb::split_callback_target("/hooks/x?checksum=1&a=b");
    CHECK(t.without_checksum == "/hooks/x?a=b");
    t = bbb::split_callback_target("/bbb/a");
    CHECK_FALSE(t.checksum);
    CHECK(t.without_checksum == "/bbb/a");
}

TEST_CASE("bearer tokens are taken from the Authorization header", "[auth]") {
    CHECK(bbb::bearer_token("Bearer abc") == "abc");
    CHECK(bbb::bearer_token("bearer   abc ") == "abc");
    CHECK_FALSE(bbb::bearer_token("Basic abc"));
}
