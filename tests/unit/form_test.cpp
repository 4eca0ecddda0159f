// util/form: x-www-form-urlencoded decoding of real BBB callback bodies and of the edge cases.
#include <algorithm>
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <memory>
#include <optional>
#include <random>

#include "bbbhook/util/form.hpp"
#include "support/support.hpp"

using namespace bbbhook;
using bbbhook::test::fixtures_dir;

namespace {

const auto k_sha1 = fixtures_dir() / "bbb-webhooks" / "captured" / "callbacks" / "checksum-sha1";

bool all_digits(std::string_view s) {
    return !s.empty() && std::ranges::all_of(s, [](char c) { return c >= '0' && c <= '9'; });
}

// Decodes a capture's body, requiring the three fields BBB always sends.
struct Decoded {
    std::string event, timestamp, domain;
};
Decoded decode_capture(const std::string& file) {
    auto c = test::load_capture(k_sha1 / file);
    INFO(c.file.string());
    REQUIRE(c.body.starts_with("domain="));
    auto fields = util::parse_form(c.body);
    REQUIRE(fields);
    CHECK(fields->size() == 3);
    const std::string* event = util::form_value(*fields, "event");
    const std::string* timestamp = util::form_value(*fields, "timestamp");
    const std::string* domain = util::form_value(*fields, "domain");
    REQUIRE(event);
    REQUIRE(timestamp);
    REQUIRE(domain);
    return {*event, *timestamp, *domain};
}

} // namespace

TEST_CASE("form: a captured meeting-created body decodes, '+' becoming a space", "[form][fixtures]") {
    auto d = decode_capture("001-hooks-permanent.http");
    CHECK(d.event.starts_with(R"([{"data")"));
    CHECK(d.event.ends_with("}]"));
    CHECK(d.event.find(R"("id":"meeting-created")") != std::string::npos);
    // Encoded as Tue+Oct+31+13%3A52%3A37+BRT+2023.
    CHECK(d.event.find(R"("create-date":"Tue Oct 31 13:52:37 BRT 2023")") != std::string::npos);
    CHECK(d.event.find('+') == std::string::npos);
    CHECK(d.event.find('%') == std::string::npos);
    CHECK(d.domain == "bbb.example.test");
    CHECK(d.timestamp == "1795550983432");
}

TEST_CASE("form: %2B in a captured body decodes to a literal '+'", "[form][fixtures]") {
    auto d = decode_capture("050-hooks-global-raw.http");
    // A "raw" hook: BBB's internal message envelope rather than the mapped {"data": …} events.
    CHECK(d.event.starts_with(R"([{"envelope")"));
    CHECK(d.event.find(R"("callerName":"John+Doe")") != std::string::npos);
    CHECK(d.domain == "bbb.example.test");
    CHECK(all_digits(d.timestamp));
}

TEST_CASE("form: UTF-8 escapes in a captured body decode to the raw bytes", "[form][fixtures]") {
    auto d = decode_capture("111-hooks-permanent.http");
    CHECK(d.event.starts_with(R"([{"data")"));
    CHECK(d.event.find(R"("id":"user-emoji-changed")") != std::string::npos);
    // %F0%9F%99%81 is U+1F641 SLIGHTLY FROWNING FACE, four bytes.
    CHECK(d.event.find("\"emoji\":\"\xF0\x9F\x99\x81\"") != std::string::npos);
    CHECK(d.domain == "bbb.example.test");
    CHECK(d.timestamp == "1795550994167");
}

TEST_CASE("form: every checksum-sha1 capture decodes to event, timestamp and domain", "[form][fixtures]") {
    auto captures = test::load_captures(k_sha1);
    REQUIRE(captures.size() == 241);
    size_t raw = 0;
    for (const auto& c : captures) {
        INFO(c.file.string());
        auto fields = util::parse_form(c.body);
        REQUIRE(fields);
        const std::string* event = util::form_value(*fields, "event");
        const std::string* timestamp = util::form_value(*fields, "timestamp");
        const std::string* domain = util::form_value(*fields, "domain");
        REQUIRE(event);
        REQUIRE(timestamp);
        REQUIRE(domain);
        // Mapped hooks send [{"data": …}]; raw ones (hooks-global-raw) mostly BBB's own messages
        // ([{"envelope": …}], [{"header": …}]), so only the JSON array of objects is common.
        if (c.file.filename().string().find("-raw") != std::string::npos) {
            CHECK(event->starts_with(R"([{")"));
            raw += event->starts_with(R"([{"envelope")") ? 1 : 0;
        } else {
            CHECK(event->starts_with(R"([{"data")"));
        }
        CHECK(event->ends_with("]"));
        CHECK(*domain == "bbb.example.test");
        CHECK(all_digits(*timestamp));
    }
    CHECK(raw > 0);
}

TEST_CASE("form: percent_decode handles '+', %2B and case-insensitive hex", "[form]") {
    CHECK(util::percent_decode("a+b") == std::string("a b"));
    CHECK(util::percent_decode("a%2Bb") == std::string("a+b"));
    CHECK(util::percent_decode("a%2bb") == std::string("a+b"));
    CHECK(util::percent_decode("%7e%7E") == std::string("~~"));
    CHECK(util::percent_decode("%00") == std::string(1, '\0'));
    CHECK(util::percent_decode("%FF") == std::string(1, '\xff'));
    // RFC 3986 style keeps '+' as is.
    CHECK(util::percent_decode("a+b", false) == std::string("a+b"));
    CHECK(util::percent_decode("a%20b", false) == std::string("a b"));
    CHECK(util::percent_decode("") == std::string());
}

TEST_CASE("form: malformed escapes fail at the byte offset of the '%'", "[form]") {
    struct Case {
        std::string_view input;
        size_t offset;
    };
    for (auto [input, offset] :
         {Case{"%4", 0}, Case{"ab%zz", 2}, Case{"abc%", 3}, Case{"a%4g", 1}, Case{"%41%", 3}, Case{"x%2", 1}}) {
        INFO(input);
        auto r = util::percent_decode(input);
        REQUIRE_FALSE(r);
        CHECK(r.error().offset == offset);
        CHECK_FALSE(r.error().message.empty());
    }
}

TEST_CASE("form: parse_form reports bad escapes at their offset in the whole body", "[form]") {
    struct Case {
        std::string_view body;
        size_t offset;
    };
    // In the value of a later field: offset counts from the start of the body.
    for (auto [body, offset] :
         {Case{"domain=x&event=%4", 15}, Case{"domain=x&event=ok%zz&t=1", 17}, Case{"a=1&b=2%", 7},
          Case{"a=1&%zz=2", 4}, Case{"a%=1", 1}, Case{"a=1&&b=%", 7}, Case{"k=%G1", 2}}) {
        INFO(body);
        auto r = util::parse_form(body);
        REQUIRE_FALSE(r);
        CHECK(r.error().offset == offset);
        CHECK(body[r.error().offset] == '%');
    }
}

TEST_CASE("form: empty pieces are skipped and a key without '=' has an empty value", "[form]") {
    auto r = util::parse_form("&a=1&&b=2&");
    REQUIRE(r);
    REQUIRE(r->size() == 2);
    CHECK((*r)[0].name == "a");
    CHECK((*r)[0].value == "1");
    CHECK((*r)[1].name == "b");
    CHECK((*r)[1].value == "2");

    r = util::parse_form("flag&x=&y=a=b");
    REQUIRE(r);
    REQUIRE(r->size() == 3);
    CHECK((*r)[0].name == "flag");
    CHECK((*r)[0].value.empty());
    CHECK((*r)[1].name == "x");
    CHECK((*r)[1].value.empty());
    // Only the first '=' separates name and value.
    CHECK((*r)[2].name == "y");
    CHECK((*r)[2].value == "a=b");

    r = util::parse_form("");
    REQUIRE(r);
    CHECK(r->empty());
    r = util::parse_form("&&&");
    REQUIRE(r);
    CHECK(r->empty());
}

TEST_CASE("form: names are decoded too, and form_value returns the first match", "[form]") {
    auto r = util::parse_form("a+b=1&a%20b=2&c%3D=3");
    REQUIRE(r);
    REQUIRE(r->size() == 3);
    CHECK((*r)[0].name == "a b");
    CHECK((*r)[1].name == "a b");
    CHECK((*r)[2].name == "c=");
    const std::string* v = util::form_value(*r, "a b");
    REQUIRE(v);
    CHECK(*v == "1");
    CHECK(v == &(*r)[0].value);
    CHECK(util::form_value(*r, "c=") != nullptr);
    CHECK(util::form_value(*r, "a+b") == nullptr);
    CHECK(util::form_value(*r, "missing") == nullptr);
}

TEST_CASE("form: the v2 key order (event, timestamp, domain) is found by name", "[form]") {
    const std::string body = "event=%5B%7B%22data%22%3A%7B%22id%22%3A%22user-joined%22%7D%7D%5D&timestamp="
                             "1698771158093&domain=bbb.example.test";
    auto r = util::parse_form(body);
    REQUIRE(r);
    REQUIRE(r->size() == 3);
    CHECK((*r)[0].name == "event");
    CHECK((*r)[1].name == "timestamp");
    CHECK((*r)[2].name == "domain");
    const std::string* event = util::form_value(*r, "event");
    const std::string* timestamp = util::form_value(*r, "timestamp");
    const std::string* domain = util::form_value(*r, "domain");
    REQUIRE(event);
    REQUIRE(timestamp);
    REQUIRE(domain);
    CHECK(*event == R"([{"data":{"id":"user-joined"}}])");
    CHECK(*timestamp == "1698771158093");
    CHECK(*domain == "bbb.example.test");
}

TEST_CASE("check_form validates without decoding and finds the required field", "[form]") {
    CHECK(util::check_form("domain=x&event=%5B%5D&timestamp=1", "event"));
    CHECK(util::check_form("ev%65nt=1", "event")); // an encoded name is decoded to compare
    CHECK(util::check_form("a=1&event", "event")); // a bare name counts
    auto missing = util::check_form("domain=x&timestamp=1", "event");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().offset == 20);
    CHECK(missing.error().message == "the form has no 'event' field");
    auto bad = util::check_form("domain=x&event=%zz", "event");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().offset == 15);
    auto trailing = util::check_form("event=1&x=%4", "event");
    REQUIRE_FALSE(trailing);
    CHECK(trailing.error().offset == 10);
    CHECK_FALSE(util::check_form("", "event"));
    // It agrees with the decoding parser on every captured body.
    for (const auto& c : test::load_captures(test::fixtures_dir() / "bbb-webhooks/captured/callbacks/checksum-sha1")) {
        INFO(c.file.string());
        auto fields = util::parse_form(c.body);
        REQUIRE(fields);
        CHECK(static_cast<bool>(util::check_form(c.body, "event")) == (util::form_value(*fields, "event") != nullptr));
    }
}

// The decoder has one implementation per instruction set (scalar, AVX2, AVX-512): every test below
// runs each one this CPU supports, on inputs long enough for the vector steps (32 bytes and more)
// and with escapes across their 16-, 32- and 64-byte boundaries, against the obvious decoder.
namespace {

using util::detail::SimdLevel;

std::vector<SimdLevel> supported_levels() {
    std::vector<SimdLevel> levels;
    for (SimdLevel l : {SimdLevel::scalar, SimdLevel::avx2, SimdLevel::avx512})
        if (util::detail::simd_level_supported(l)) levels.push_back(l);
    return levels;
}

const char* level_name(SimdLevel l) {
    switch (l) {
    case SimdLevel::scalar: return "scalar";
    case SimdLevel::avx2: return "avx2";
    case SimdLevel::avx512: return "avx512";
    }
    return "?";
}

// The obvious decoder, byte by byte: what was decoded before the first bad '%', and its offset.
struct Reference {
    std::string out;
    std::optional<size_t> bad;
};
Reference reference_decode(std::string_view s, bool plus_is_space) {
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    Reference r;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%') {
            if (i + 2 >= s.size() || hex(s[i + 1]) < 0 || hex(s[i + 2]) < 0) {
                r.bad = i;
                return r;
            }
            r.out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
            i += 2;
        } else {
            r.out += s[i] == '+' && plus_is_space ? ' ' : s[i];
        }
    }
    return r;
}

// Decodes and checks `s` at every level, from a heap block of its exact size (so that a sanitizer
// build catches a read past the end), appending to a non-empty string, and compares everything
// with the reference: the output (partial on failure), the error offset and check_escapes's.
void check_against_reference(std::string_view s, bool plus_is_space) {
    auto exact = std::make_unique_for_overwrite<char[]>(s.size());
    std::copy(s.begin(), s.end(), exact.get());
    const std::string_view input(exact.get(), s.size());
    const Reference want = reference_decode(s, plus_is_space);
    for (SimdLevel level : supported_levels()) {
        INFO(fmt::format("level {}, plus_is_space {}, input ({} bytes) \"{}\"", level_name(level), plus_is_space,
                         s.size(), s));
        std::string out = "prefix:";
        auto r = util::detail::percent_decode_append(input, out, plus_is_space, level);
        CHECK(out == "prefix:" + want.out);
        auto c = util::detail::check_escapes(input, level);
        if (want.bad) {
            REQUIRE_FALSE(r);
            CHECK(r.error().offset == *want.bad);
            CHECK(r.error().message == "'%' not followed by two hex digits");
            REQUIRE_FALSE(c);
            CHECK(c.error().offset == *want.bad);
            CHECK(c.error().message == r.error().message);
        } else {
            CHECK(r);
            CHECK(c);
        }
    }
}

} // namespace

TEST_CASE("form: every decoder level agrees with the reference around block boundaries", "[form][simd]") {
    REQUIRE(util::detail::simd_level_supported(SimdLevel::scalar));
    // Lengths around the vector steps (32 and 64 bytes, plus the 2 bytes an escape reads ahead).
    for (size_t size : {31, 32, 33, 34, 35, 47, 48, 63, 64, 65, 66, 67, 68, 96, 127, 128, 129, 130, 131, 200}) {
        // One escape (upper- and lowercase), a '+' or a bad escape at every position.
        for (size_t at = 0; at < size; ++at) {
            for (std::string_view insert : {"%4A", "%c3", "+", "%%41", "%4", "%", "%zz", "%4g", "%+1", "%20%2b%7E"}) {
                std::string s(size, 'x');
                s.replace(at, std::min(insert.size(), size - at), insert.substr(0, size - at));
                check_against_reference(s, true);
                check_against_reference(s, false);
            }
        }
    }
}

TEST_CASE("form: a bad escape at the very end fails at its '%' at every level", "[form][simd]") {
    for (size_t size = 0; size <= 200; ++size) {
        for (std::string_view filler : {"a", "%41", "+b%2f"}) {
            std::string s;
            while (s.size() < size)
                s += filler;
            for (std::string_view end : {"%", "%A", "%a", "%4"}) {
                check_against_reference(s + std::string(end), true);
                check_against_reference(s + std::string(end) + "%41", true); // the first bad one counts
            }
            check_against_reference(s + "%41", true);
        }
    }
}

TEST_CASE("form: every byte decodes from upper- and lowercase hex at every level", "[form][simd]") {
    std::string upper, lower, want;
    for (int b = 0; b < 256; ++b) {
        upper += fmt::format("%{:02X}", b);
        lower += fmt::format("%{:02x}", b);
        want += static_cast<char>(b);
    }
    for (SimdLevel level : supported_levels()) {
        INFO(level_name(level));
        for (const std::string& s : {upper, lower}) {
            std::string out;
            REQUIRE(util::detail::percent_decode_append(s, out, true, level));
            CHECK(out == want);
            CHECK(util::detail::check_escapes(s, level));
        }
    }
    // Every byte that is not a hex digit fails in either digit position; every other byte passes
    // through as it is, '\0' and bytes with the high bit set included.
    for (int b = 0; b < 256; ++b) {
        const char c = static_cast<char>(b);
        const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        std::string pad(40, 'p');
        check_against_reference(pad + "%" + c + "0" + pad, true);
        check_against_reference(pad + "%0" + c + pad, true);
        check_against_reference(pad + c + pad + c + pad, true);
        if (!hex) CHECK_FALSE(util::percent_decode(pad + "%" + c + "0" + pad));
    }
}

TEST_CASE("form: '+' is a space only with plus_is_space, at every level", "[form][simd]") {
    const std::string s = "a+b+" + std::string(70, '+') + "%2B+c";
    for (SimdLevel level : supported_levels()) {
        INFO(level_name(level));
        std::string spaces, pluses;
        REQUIRE(util::detail::percent_decode_append(s, spaces, true, level));
        REQUIRE(util::detail::percent_decode_append(s, pluses, false, level));
        CHECK(spaces == "a b " + std::string(70, ' ') + "+ c");
        CHECK(pluses == "a+b+" + std::string(70, '+') + "++c");
    }
}

TEST_CASE("form: long runs without escapes, and bodies made only of escapes", "[form][simd]") {
    std::string plain;
    for (size_t i = 0; i < 5000; ++i)
        plain += static_cast<char>('a' + i % 26);
    check_against_reference(plain, true);
    check_against_reference(plain + "%41" + plain, true);
    check_against_reference(plain + "%4" + plain, true);
    for (size_t n = 0; n <= 200; ++n) {
        std::string escapes;
        for (size_t i = 0; i < n; ++i)
            escapes += fmt::format("%{:02X}", (i * 37) & 0xff);
        check_against_reference(escapes, true);
        check_against_reference(escapes + "%", true);
        check_against_reference("%" + escapes, true);
    }
}

TEST_CASE("form: random strings decode as the reference decoder does, at every level", "[form][simd]") {
    // Few distinct bytes, so that escapes (good and bad), runs of them and '+' are frequent.
    using namespace std::literals;
    const std::string_view alphabets[] = {"%+aZ09fFgG%%"sv, "%%%%4a+"sv, "%41%2b%7E\x80\xff\0 "sv, "abcdef+"sv};
    std::mt19937 rng(20231031);
    for (int i = 0; i < 20000; ++i) {
        const std::string_view alphabet = alphabets[rng() % std::size(alphabets)];
        const size_t size = rng() % (i % 4 == 0 ? 400 : 100);
        std::string s(size, ' ');
        for (char& c : s)
            c = alphabet[rng() % alphabet.size()];
        check_against_reference(s, rng() % 2 == 0);
    }
}

TEST_CASE("form: every captured body decodes alike at every level", "[form][simd][fixtures]") {
    for (const auto& c : test::load_captures(k_sha1)) {
        INFO(c.file.string());
        check_against_reference(c.body, true);
    }
}
