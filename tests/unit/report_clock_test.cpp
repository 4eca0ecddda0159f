// report: LocalClock writes instants in the report's zone, with the offset of each instant.
#include <catch2/catch.hpp>
#include <ctime>

#include "bbbhook/report/clock.hpp"

using namespace bbbhook;

TEST_CASE("report clock: ISO 8601 with the offset in force, across a DST change", "[report][clock]") {
    report::LocalClock clock("Europe/Athens");
    // 2026-10-25T00:30Z is 03:30 EEST; an hour later it is 03:30 again, in EET.
    CHECK(clock.iso(1792888200000) == "2026-10-25T03:30:00+03:00");
    CHECK(clock.iso(1792891800000) == "2026-10-25T03:30:00+02:00");
    CHECK(clock.local(1792891800000) == "2026-10-25 03:30:00");
    CHECK(clock.hour_minute(1792891800999) == "03:30");
    CHECK(clock.zone_name() == "Europe/Athens");
    // Cached hours give the same answers as the C library (the clock has set TZ) for every minute
    // of two days around the change.
    for (int64_t t = 1792800000000; t < 1792972800000; t += 60'000) {
        const std::time_t secs = static_cast<std::time_t>(t / 1000);
        std::tm tm{};
        ::localtime_r(&secs, &tm);
        char expected[32];
        std::strftime(expected, sizeof expected, "%Y-%m-%d %H:%M:%S", &tm);
        REQUIRE(clock.local(t) == expected);
    }
}

TEST_CASE("report clock: UTC is Z, zones west of Greenwich and half hours have their sign", "[report][clock]") {
    CHECK(report::LocalClock("UTC").iso(0) == "1970-01-01T00:00:00Z");
    CHECK(report::LocalClock("UTC").iso(-1) == "1969-12-31T23:59:59Z");
    CHECK(report::LocalClock("America/St_Johns").iso(1792888200000) == "2026-10-24T22:00:00-02:30");
    CHECK(report::LocalClock("Asia/Kolkata").iso(1792888200000) == "2026-10-25T06:00:00+05:30");
    CHECK(report::LocalClock("UTC").iso(4102444800000) == "2100-01-01T00:00:00Z");
}
