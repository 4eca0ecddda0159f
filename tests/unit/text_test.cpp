// util/text: sizes, durations, lists, "did you mean" suggestions and printable escaping.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <fmt/format.h>
#include <limits>

#include "bbbhook/util/text.hpp"

using namespace bbbhook;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

namespace {
constexpr uint64_t KiB = 1024, MiB = KiB * 1024, GiB = MiB * 1024, TiB = GiB * 1024;
} // namespace

TEST_CASE("text: parse_size reads binary and decimal units and bare numbers", "[text][size]") {
    struct Case {
        std::string_view text;
        uint64_t bytes;
    };
    for (auto [text, bytes] : {
             Case{"64MiB", 64 * MiB},
             Case{"1GiB", GiB},
             Case{"10MB", 10'000'000},
             Case{"512KiB", 512 * KiB},
             Case{"4kB", 4000},
             Case{"4KB", 4000},
             Case{"1K", KiB},
             Case{"3M", 3 * MiB},
             Case{"2G", 2 * GiB},
             Case{"1GB", 1'000'000'000},
             Case{"1TiB", TiB},
             Case{"2T", 2 * TiB},
             Case{"12B", 12},
             Case{"1048576", 1048576},
             Case{"0", 0},
             Case{" 64 MiB ", 64 * MiB},
             Case{"64\tMiB", 64 * MiB},
             Case{"18446744073709551615", UINT64_MAX},
             Case{"16777215TiB", 16777215 * TiB},
         }) {
        INFO(text);
        auto r = util::parse_size(text);
        REQUIRE(r);
        CHECK(*r == bytes);
    }
}

TEST_CASE("text: parse_size rejects overflow", "[text][size]") {
    for (std::string_view text : {"18446744073709551616", "99999999999999999999999", "17179869184GiB", "16777216TiB",
                                  "18446744073709551615K", "18446744073709551616B"}) {
        INFO(text);
        CHECK_FALSE(util::parse_size(text));
    }
}

TEST_CASE("text: parse_size rejects garbage", "[text][size]") {
    for (std::string_view text : {"", " ", "MiB", "abc", "-1", "+5", "1.5MiB", "64XB", "64 MiB extra", "0x10", "64MiBs",
                                  "MiB64", "1,024", "ten"}) {
        INFO('"' << text << '"');
        CHECK_FALSE(util::parse_size(text));
    }
}

TEST_CASE("text: parse_duration reads ms, s, m, h, d, w and bare seconds", "[text][duration]") {
    struct Case {
        std::string_view text;
        milliseconds ms;
    };
    for (auto [text, ms] : {
             Case{"250ms", 250ms},
             Case{"30s", 30s},
             Case{"5m", 5min},
             Case{"10min", 10min},
             Case{"12h", 12h},
             Case{"1d", 24h},
             Case{"2w", 14 * 24h},
             Case{"90", 90s},
             Case{"0", 0ms},
             Case{"0ms", 0ms},
             Case{" 6 h ", 6h},
             Case{"1ms", 1ms},
             Case{"9223372036854775807ms", milliseconds(std::numeric_limits<int64_t>::max())},
         }) {
        INFO(text);
        auto r = util::parse_duration(text);
        REQUIRE(r);
        CHECK(r->count() == ms.count());
    }
}

TEST_CASE("text: parse_duration rejects garbage and overflow", "[text][duration]") {
    for (std::string_view text :
         {"", "s", "abc", "1.5h", "-1s", "+1s", "5 minutes", "1y", "1hour", "h1", "1h30m", "99999999999999999999",
          "9223372036854775808ms", "10000000000000000s", "30000000000000w"}) {
        INFO('"' << text << '"');
        CHECK_FALSE(util::parse_duration(text));
    }
}

TEST_CASE("text: format_size picks the largest exact unit, else one decimal", "[text][size]") {
    CHECK(util::format_size(0) == "0 B");
    CHECK(util::format_size(12) == "12 B");
    CHECK(util::format_size(1000) == "1000 B");
    CHECK(util::format_size(1023) == "1023 B");
    CHECK(util::format_size(KiB) == "1 KiB");
    CHECK(util::format_size(1536) == "1.5 KiB");
    CHECK(util::format_size(1023 * KiB) == "1023 KiB");
    CHECK(util::format_size(64 * MiB) == "64 MiB");
    CHECK(util::format_size(GiB) == "1 GiB");
    CHECK(util::format_size(10'000'000) == "9.5 MiB");
    CHECK(util::format_size(3 * TiB) == "3 TiB");
    CHECK(util::format_size(1024 * TiB) == "1024 TiB"); // TiB is the largest unit
}

TEST_CASE("text: parse_size(format_size(n)) == n for exact multiples", "[text][size]") {
    for (uint64_t n : {uint64_t{0}, uint64_t{1}, uint64_t{1023}, KiB, 3 * KiB, 1023 * KiB, 1000 * MiB, MiB, 64 * MiB,
                       256 * MiB, GiB, 7 * GiB, TiB, 1024 * TiB}) {
        INFO(n);
        std::string text = util::format_size(n);
        auto back = util::parse_size(text);
        INFO(text);
        REQUIRE(back);
        CHECK(*back == n);
    }
}

TEST_CASE("text: format_duration picks the largest exact unit", "[text][duration]") {
    CHECK(util::format_duration(0ms) == "0ms");
    CHECK(util::format_duration(250ms) == "250ms");
    CHECK(util::format_duration(1500ms) == "1500ms");
    CHECK(util::format_duration(30s) == "30s");
    CHECK(util::format_duration(90s) == "90s");
    CHECK(util::format_duration(5min) == "5m");
    CHECK(util::format_duration(12h) == "12h");
    CHECK(util::format_duration(24h) == "1d");
    CHECK(util::format_duration(36h) == "36h");
    CHECK(util::format_duration(7 * 24h) == "1w");
    CHECK(util::format_duration(14 * 24h) == "2w");
}

TEST_CASE("text: parse_duration(format_duration(d)) == d", "[text][duration]") {
    for (milliseconds d : {milliseconds(0), milliseconds(1), milliseconds(250), milliseconds(1500), milliseconds(30s),
                           milliseconds(90s), milliseconds(5min), milliseconds(12h), milliseconds(24h),
                           milliseconds(36h), milliseconds(8 * 24h), milliseconds(14 * 24h)}) {
        std::string text = util::format_duration(d);
        INFO(d.count() << "ms -> " << text);
        auto back = util::parse_duration(text);
        REQUIRE(back);
        CHECK(back->count() == d.count());
    }
    // And the other way round for the spellings a config uses.
    for (std::string_view text : {"250ms", "30s", "5m", "12h", "1d", "2w"}) {
        INFO(text);
        auto d = util::parse_duration(text);
        REQUIRE(d);
        CHECK(util::format_duration(*d) == text);
    }
}

TEST_CASE("text: split_list trims pieces and drops empty ones", "[text]") {
    using V = std::vector<std::string>;
    CHECK(util::split_list("a,b,c") == V{"a", "b", "c"});
    CHECK(util::split_list(" 127.0.0.1:8090 , [::1]:8090 ") == V{"127.0.0.1:8090", "[::1]:8090"});
    CHECK(util::split_list("a,,b,") == V{"a", "b"});
    CHECK(util::split_list(",\t a \r\n,") == V{"a"});
    CHECK(util::split_list("one") == V{"one"});
    CHECK(util::split_list("inner space, kept") == V{"inner space", "kept"});
    CHECK(util::split_list("").empty());
    CHECK(util::split_list(" , ,").empty());
    CHECK(util::split_list("/a:/b: /c ", ':') == V{"/a", "/b", "/c"});
    CHECK(util::split_list("a,b", ':') == V{"a,b"});
}

TEST_CASE("text: trim, iequals and istarts_with", "[text]") {
    CHECK(util::trim("  a b \t\r\n") == "a b");
    CHECK(util::trim(" \t ").empty());
    CHECK(util::iequals("Content-Length", "content-length"));
    CHECK_FALSE(util::iequals("abc", "abd"));
    CHECK_FALSE(util::iequals("abc", "ab"));
    CHECK(util::istarts_with("Bearer xyz", "bearer "));
    CHECK_FALSE(util::istarts_with("Bear", "bearer"));
}

TEST_CASE("text: edit_distance is Levenshtein, case-insensitive", "[text][suggest]") {
    CHECK(util::edit_distance("kitten", "sitting") == 3);
    CHECK(util::edit_distance("", "abc") == 3);
    CHECK(util::edit_distance("abc", "") == 3);
    CHECK(util::edit_distance("", "") == 0);
    CHECK(util::edit_distance("serve", "serve") == 0);
    CHECK(util::edit_distance("SERVE", "serve") == 0);
    CHECK(util::edit_distance("servr", "serve") == 1);
    CHECK(util::edit_distance("max_bdy", "max_body") == 1);
    CHECK(util::edit_distance("ab", "ba") == 2);
}

TEST_CASE("text: closest_match suggests plausible typos only", "[text][suggest]") {
    const std::vector<std::string> commands{"serve", "replay", "config", "journal", "check", "version"};
    CHECK(util::closest_match("servr", commands) == std::optional<std::string>("serve"));
    CHECK(util::closest_match("SERVE", commands) == std::optional<std::string>("serve"));
    CHECK(util::closest_match("jurnal", commands) == std::optional<std::string>("journal"));
    CHECK(util::closest_match("confgi", commands) == std::optional<std::string>("config"));
    CHECK(util::closest_match("replya", commands) == std::optional<std::string>("replay"));
    // Unrelated words get no suggestion.
    CHECK_FALSE(util::closest_match("banana", commands));
    CHECK_FALSE(util::closest_match("xyzzy", commands));
    CHECK_FALSE(util::closest_match("database", commands));
    CHECK_FALSE(util::closest_match("serve", std::vector<std::string>{}));

    const std::vector<std::string> keys{"serve.listen", "serve.max_body", "journal.dir", "journal.rotate_size"};
    CHECK(util::closest_match("serve.max_bdy", keys) == std::optional<std::string>("serve.max_body"));
    CHECK(util::closest_match("journal.rotatesize", keys) == std::optional<std::string>("journal.rotate_size"));
    CHECK_FALSE(util::closest_match("metrics.port", keys));
}

TEST_CASE("text: printable escapes control bytes, backslashes and bytes above 0x7e", "[text][printable]") {
    CHECK(util::printable("plain text: ok!") == "plain text: ok!");
    CHECK(util::printable("") == "");
    CHECK(util::printable("a\nb") == "a\\x0ab");
    CHECK(util::printable("\r\n\t") == "\\x0d\\x0a\\x09");
    CHECK(util::printable(std::string("a\0b", 3)) == "a\\x00b");
    CHECK(util::printable("\x1b[31mred") == "\\x1b[31mred");
    CHECK(util::printable("\x7f") == "\\x7f");
    CHECK(util::printable("C:\\dir") == "C:\\\\dir");
    CHECK(util::printable("\xff\xfe") == "\\xff\\xfe"); // not UTF-8
    // A forged log line cannot start a new line.
    std::string forged = util::printable("user\nbbbhook: FAKE");
    CHECK(forged.find('\n') == std::string::npos);
    for (unsigned char ch : util::printable("\x01\x02\x1f\x7f\x80\xff end"))
        CHECK((ch >= 0x20 && ch < 0x7f));
}

TEST_CASE("text: printable truncates long text and marks the cut", "[text][printable]") {
    std::string long_text(300, 'a');
    std::string p = util::printable(long_text);
    CHECK(p == std::string(200, 'a') + "…");
    CHECK(util::printable(long_text, 10) == "aaaaaaaaaa…");
    // Exactly max_len bytes: nothing is cut, so no mark.
    CHECK(util::printable(std::string(200, 'a')) == std::string(200, 'a'));
    CHECK(util::printable("abc", 3) == "abc");
    // Escapes fill the output before the input runs out: still cut, so still marked.
    std::string controls(100, '\x01');
    p = util::printable(controls);
    CHECK(p.ends_with("…"));
    CHECK(p.starts_with("\\x01\\x01"));
    CHECK(util::printable("\n\n\n\n", 8) == "\\x0a\\x0a…");
}
