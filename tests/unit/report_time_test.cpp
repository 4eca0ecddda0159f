// report: --from/--to boundaries in a time zone, across daylight saving changes.
#include <catch2/catch.hpp>

#include "bbbhook/report/time_range.hpp"

using namespace bbbhook;
using report::Bound;

namespace {
int64_t bound(std::string_view text, std::string_view tz, Bound b) {
    auto r = report::parse_bound(text, tz, b);
    INFO(text << " in " << tz << ": " << (r ? "" : r.error().message));
    REQUIRE(r);
    return *r;
}
} // namespace

TEST_CASE("report time: a date is a whole local day, 25 hours long when DST ends", "[report][time]") {
    // Europe/Athens leaves daylight time on 2026-10-25 (04:00 EEST -> 03:00 EET).
    CHECK(bound("2026-10-25", "Europe/Athens", Bound::from) == 1792875600000); // 2026-10-24T21:00Z
    CHECK(bound("2026-10-25", "Europe/Athens", Bound::to) == 1792965600000);   // 2026-10-25T22:00Z
    CHECK(bound("2026-10-25", "Europe/Athens", Bound::to) - bound("2026-10-25", "Europe/Athens", Bound::from) ==
          25 * 3600 * 1000);
    // ... and 23 hours long when it starts (2026-03-29).
    CHECK(bound("2026-03-29", "Europe/Athens", Bound::from) == 1774735200000);
    CHECK(bound("2026-03-29", "Europe/Athens", Bound::to) == 1774818000000);
    CHECK(bound("2026-03-29", "Europe/Athens", Bound::to) - bound("2026-03-29", "Europe/Athens", Bound::from) ==
          23 * 3600 * 1000);
    // The end of a month rolls into the next one.
    CHECK(bound("2026-10-31", "UTC", Bound::to) == bound("2026-11-01", "UTC", Bound::from));
    CHECK(bound("2026-12-31", "UTC", Bound::to) == bound("2027-01-01", "UTC", Bound::from));
}

TEST_CASE("report time: date-times are instants, the first of an hour that happens twice", "[report][time]") {
    CHECK(bound("2026-10-01T08:00", "UTC", Bound::from) == 1790841600000);
    CHECK(bound("2026-10-01 08:00:00", "UTC", Bound::to) == 1790841600000);
    CHECK(bound("2026-10-01T08:00:30", "UTC", Bound::from) == 1790841630000);
    // 03:30 happens twice in Athens on 2026-10-25: the first time, still in EEST (UTC+3).
    CHECK(bound("2026-10-25T03:30", "Europe/Athens", Bound::from) == 1792888200000);
}

TEST_CASE("report time: a day whose midnight is skipped starts at 01:00", "[report][time]") {
    // America/Santiago moves to daylight time at 00:00 on 2026-09-06.
    CHECK(bound("2026-09-06", "America/Santiago", Bound::from) == 1788667200000);
    CHECK(bound("2026-09-05", "America/Santiago", Bound::to) == 1788667200000);
}

TEST_CASE("report time: bad dates, skipped hours and unknown zones are usage errors", "[report][time]") {
    for (std::string_view bad : {"2026-13-01", "2026-02-30", "26-10-01", "2026/10/01", "2026-10-01T25:00",
                                 "2026-10-01T08", "2026-10-01T08:00:00Z", "tomorrow", ""}) {
        INFO(bad);
        auto r = report::parse_bound(bad, "UTC", Bound::from);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == ExitCode::usage);
    }
    auto skipped = report::parse_bound("2026-03-29T03:30", "Europe/Athens", Bound::from);
    REQUIRE_FALSE(skipped);
    CHECK(skipped.error().message.find("does not exist in time zone Europe/Athens") != std::string::npos);
    for (std::string_view tz : {"Mars/Olympus", "../etc/passwd", "/etc/localtime"}) {
        INFO(tz);
        auto r = report::parse_bound("2026-10-01", tz, Bound::from);
        REQUIRE_FALSE(r);
        CHECK(r.error().message.find("is not a time zone") != std::string::npos);
    }
}

TEST_CASE("report time: instants shown in the zone's local time", "[report][time]") {
    CHECK(report::format_local(1792875600000, "Europe/Athens") == "2026-10-25 00:00:00");
    CHECK(report::format_local(1792888200000, "Europe/Athens") == "2026-10-25 03:30:00");
    CHECK(report::format_local(1790841600000, "UTC") == "2026-10-01 08:00:00");
}

TEST_CASE("report time: today, yesterday and -Nd are days of the zone counted back from now", "[report][time]") {
    // Now: 2026-10-26T01:30Z, which is 26 Oct 03:30 in Athens (EET) but still 25 Oct in New York.
    const int64_t now = 1792978200000;
    auto at = [&](std::string_view text, std::string_view tz, Bound b) {
        auto r = report::parse_bound(text, tz, b, now);
        REQUIRE(r);
        return *r;
    };
    CHECK(at("today", "Europe/Athens", Bound::from) == bound("2026-10-26", "Europe/Athens", Bound::from));
    CHECK(at("today", "America/New_York", Bound::from) == bound("2026-10-25", "America/New_York", Bound::from));
    // yesterday in Athens is the 25-hour day of the DST change, as a whole day.
    CHECK(at("yesterday", "Europe/Athens", Bound::to) - at("yesterday", "Europe/Athens", Bound::from) ==
          25 * 3600 * 1000);
    CHECK(at("-7d", "Europe/Athens", Bound::from) == bound("2026-10-19", "Europe/Athens", Bound::from));
    CHECK(at("-30d", "UTC", Bound::from) == bound("2026-09-26", "UTC", Bound::from));
    for (std::string_view bad : {"-d", "-7", "7d", "-7days", "tomorrow"})
        CHECK_FALSE(report::parse_bound(bad, "UTC", Bound::from, now));
}
