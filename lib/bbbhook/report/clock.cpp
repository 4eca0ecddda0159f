#include "bbbhook/report/clock.hpp"

#include <array>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fmt/format.h>
#include <optional>

namespace bbbhook::report {

namespace {

constexpr int64_t k_hour_s = 3600;

// Days since 1970-01-01 to a civil date (proleptic Gregorian), after H. Hinnant's
// "chrono-Compatible Low-Level Date Algorithms".
struct Civil {
    int year;
    unsigned month, day;
};

Civil civil_from_days(int64_t z) {
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    return {static_cast<int>(yoe + era * 400 + (m <= 2)), m, d};
}

int64_t floor_div(int64_t a, int64_t b) {
    return a / b - (a % b != 0 && (a < 0) != (b < 0) ? 1 : 0);
}

void append_2(std::string& out, unsigned v) {
    out += static_cast<char>('0' + v / 10 % 10);
    out += static_cast<char>('0' + v % 10);
}

} // namespace

ScopedTimeZone::ScopedTimeZone(std::string_view tz) {
    if (const char* old = std::getenv("TZ")) m_old = old;
    if (!tz.empty()) ::setenv("TZ", std::string(tz).c_str(), 1);
    ::tzset();
}

ScopedTimeZone::~ScopedTimeZone() {
    if (m_old)
        ::setenv("TZ", m_old->c_str(), 1);
    else
        ::unsetenv("TZ");
    ::tzset();
}

struct LocalClock::State {
    // A direct-mapped cache: UTC hour -> offset, valid when the whole hour has one offset.
    struct Slot {
        int64_t hour = INT64_MIN;
        int offset = 0;
    };
    std::array<Slot, 1024> cache{};

    static int offset_at(int64_t utc_s) {
        std::time_t t = static_cast<std::time_t>(utc_s);
        std::tm local{};
        ::localtime_r(&t, &local);
        return static_cast<int>(local.tm_gmtoff);
    }
};

LocalClock::LocalClock(std::string_view tz) : m_zone(tz), m_state(std::make_unique<State>()) {
    if (!tz.empty()) {
        m_zone_name = std::string(tz);
    } else if (const char* env = std::getenv("TZ"); env && *env) {
        m_zone_name = *env == ':' ? env + 1 : env;
    } else {
        // /etc/localtime -> /usr/share/zoneinfo/Europe/Athens names the system's zone.
        std::error_code ec;
        auto target = std::filesystem::read_symlink("/etc/localtime", ec).string();
        auto pos = target.find("zoneinfo/");
        m_zone_name = !ec && pos != std::string::npos ? target.substr(pos + 9) : "UTC";
    }
}

LocalClock::~LocalClock() = default;

int LocalClock::offset_seconds(int64_t utc_ms) {
    const int64_t utc_s = floor_div(utc_ms, 1000);
    const int64_t hour = floor_div(utc_s, k_hour_s);
    auto& slot = m_state->cache[static_cast<size_t>(hour) & (m_state->cache.size() - 1)];
    if (slot.hour == hour) return slot.offset;
    const int at_start = State::offset_at(hour * k_hour_s);
    const int at_end = State::offset_at(hour * k_hour_s + k_hour_s - 1);
    // An hour with a change in it (rare) is not cached: asked for each time.
    if (at_start != at_end) return State::offset_at(utc_s);
    slot = {hour, at_start};
    return at_start;
}

namespace {

void append_local(std::string& out, int64_t local_s, char separator) {
    const int64_t days = floor_div(local_s, 86400);
    const auto secs = static_cast<unsigned>(local_s - days * 86400);
    const Civil c = civil_from_days(days);
    if (c.year >= 0 && c.year <= 9999) {
        append_2(out, static_cast<unsigned>(c.year) / 100);
        append_2(out, static_cast<unsigned>(c.year) % 100);
    } else {
        fmt::format_to(std::back_inserter(out), "{:04}", c.year);
    }
    out += '-';
    append_2(out, c.month);
    out += '-';
    append_2(out, c.day);
    out += separator;
    append_2(out, secs / 3600);
    out += ':';
    append_2(out, secs / 60 % 60);
    out += ':';
    append_2(out, secs % 60);
}

} // namespace

std::string LocalClock::local(int64_t utc_ms) {
    std::string out;
    append_local(out, floor_div(utc_ms, 1000) + offset_seconds(utc_ms), ' ');
    return out;
}

void LocalClock::append_iso(std::string& out, int64_t utc_ms) {
    const int offset = offset_seconds(utc_ms);
    append_local(out, floor_div(utc_ms, 1000) + offset, 'T');
    if (offset == 0) {
        out += 'Z';
        return;
    }
    const unsigned abs = static_cast<unsigned>(offset < 0 ? -offset : offset);
    out += offset < 0 ? '-' : '+';
    append_2(out, abs / 3600);
    out += ':';
    append_2(out, abs / 60 % 60);
}

std::string LocalClock::iso(int64_t utc_ms) {
    std::string out;
    append_iso(out, utc_ms);
    return out;
}

std::string LocalClock::hour_minute(int64_t utc_ms) {
    std::string out = local(utc_ms);
    return out.substr(11, 5);
}

} // namespace bbbhook::report
