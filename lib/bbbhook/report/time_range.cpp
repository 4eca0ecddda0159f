#include "bbbhook/report/time_range.hpp"

#include <charconv>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <optional>

#include "bbbhook/report/clock.hpp"
#include "bbbhook/util/text.hpp"

namespace bbbhook::report {

namespace {

bool read_number(std::string_view s, size_t pos, size_t len, int& out) {
    if (pos + len > s.size()) return false;
    auto [p, ec] = std::from_chars(s.data() + pos, s.data() + pos + len, out);
    return ec == std::errc() && p == s.data() + pos + len;
}

struct Local {
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    bool has_time = false;
};

std::optional<Local> parse_local(std::string_view s) {
    Local l;
    if (s.size() < 10 || s[4] != '-' || s[7] != '-' || !read_number(s, 0, 4, l.year) ||
        !read_number(s, 5, 2, l.month) || !read_number(s, 8, 2, l.day))
        return std::nullopt;
    if (s.size() > 10) {
        if ((s[10] != 'T' && s[10] != ' ') || s.size() < 16 || s[13] != ':' || !read_number(s, 11, 2, l.hour) ||
            !read_number(s, 14, 2, l.minute))
            return std::nullopt;
        if (s.size() == 19) {
            if (s[16] != ':' || !read_number(s, 17, 2, l.second)) return std::nullopt;
        } else if (s.size() != 16) {
            return std::nullopt;
        }
        l.has_time = true;
    }
    if (l.month < 1 || l.month > 12 || l.day < 1 || l.day > 31 || l.hour > 23 || l.minute > 59 || l.second > 59)
        return std::nullopt;
    return l;
}

// mktime for a local time; nullopt when that local time does not exist in the zone, or the
// date does not exist (31 April).
std::optional<int64_t> to_utc(const Local& l) {
    std::tm want{};
    want.tm_year = l.year - 1900;
    want.tm_mon = l.month - 1;
    want.tm_mday = l.day;
    want.tm_hour = l.hour;
    want.tm_min = l.minute;
    want.tm_sec = l.second;
    // First occurrence of an ambiguous time: try as daylight time first, then as standard.
    for (int dst : {1, 0}) {
        std::tm t = want;
        t.tm_isdst = dst;
        std::time_t utc = std::mktime(&t);
        if (utc == static_cast<std::time_t>(-1)) continue;
        std::tm back{};
        ::localtime_r(&utc, &back);
        if (back.tm_year == want.tm_year && back.tm_mon == want.tm_mon && back.tm_mday == want.tm_mday &&
            back.tm_hour == want.tm_hour && back.tm_min == want.tm_min && back.tm_sec == want.tm_sec)
            return static_cast<int64_t>(utc) * 1000;
    }
    return std::nullopt;
}

// "today", "yesterday" or "-7d" (seven days before today): a day of the zone set by TZ, counted
// from now (or from `now_ms`, for tests) in the local calendar.
std::optional<Local> relative_day(std::string_view s, std::optional<int64_t> now_ms) {
    int days_back = 0;
    if (s == "today") {
        days_back = 0;
    } else if (s == "yesterday") {
        days_back = 1;
    } else if (s.size() >= 3 && s.front() == '-' && s.back() == 'd' && read_number(s, 1, s.size() - 2, days_back) &&
               days_back <= 100000) {
    } else {
        return std::nullopt;
    }
    std::time_t now = now_ms ? static_cast<std::time_t>(*now_ms / 1000) : std::time(nullptr);
    std::tm t{};
    ::localtime_r(&now, &t);
    // Normalized by mktime at noon, which exists on every day of every zone.
    t.tm_mday -= days_back;
    t.tm_hour = 12;
    t.tm_min = t.tm_sec = 0;
    t.tm_isdst = -1;
    std::mktime(&t);
    Local l;
    l.year = t.tm_year + 1900;
    l.month = t.tm_mon + 1;
    l.day = t.tm_mday;
    return l;
}

} // namespace

Status check_time_zone(std::string_view tz) {
    if (tz.empty() || tz == "UTC") return {};
    bool plausible = tz.find("..") == std::string_view::npos && !tz.starts_with('/');
    std::error_code ec;
    if (!plausible || !std::filesystem::is_regular_file(std::filesystem::path("/usr/share/zoneinfo") / tz, ec))
        return make_error(ExitCode::usage,
                          fmt::format("--tz '{}' is not a time zone this machine knows (like Europe/Berlin or UTC; "
                                      "see /usr/share/zoneinfo, package tzdata)",
                                      util::printable(tz)));
    return {};
}

Result<int64_t> parse_bound(std::string_view text, std::string_view tz, Bound bound, std::optional<int64_t> now_ms) {
    const char* flag = bound == Bound::from ? "--from" : "--to";
    if (auto ok = check_time_zone(tz); !ok) return std::unexpected(ok.error());
    ScopedTimeZone zone(tz);
    auto local = parse_local(util::trim(text));
    if (!local) local = relative_day(util::trim(text), now_ms);
    if (!local)
        return make_error(ExitCode::usage, fmt::format("{} '{}' is not a date (YYYY-MM-DD), a date-time "
                                                       "(YYYY-MM-DDTHH:MM[:SS]), today, yesterday or -Nd",
                                                       flag, util::printable(text)));
    if (bound == Bound::to && !local->has_time) {
        // The whole day: up to the start of the next calendar day (normalized by mktime).
        std::tm t{};
        t.tm_year = local->year - 1900;
        t.tm_mon = local->month - 1;
        t.tm_mday = local->day + 1;
        t.tm_isdst = -1;
        std::mktime(&t);
        local->year = t.tm_year + 1900;
        local->month = t.tm_mon + 1;
        local->day = t.tm_mday;
    }
    auto utc = to_utc(*local);
    if (!utc && !local->has_time) {
        // Zones that change to daylight time at midnight (America/Santiago) skip 00:00: the day
        // then starts at 01:00.
        local->hour = 1;
        utc = to_utc(*local);
    }
    if (!utc)
        return make_error(ExitCode::usage,
                          fmt::format("{} '{}' does not exist in time zone {} (a day that is not in the calendar, "
                                      "or an hour skipped by a daylight saving change)",
                                      flag, util::printable(text), tz.empty() ? "of this system" : std::string(tz)));
    return *utc;
}

std::string format_local(int64_t utc_ms, std::string_view tz) {
    return LocalClock(tz).local(utc_ms);
}

} // namespace bbbhook::report
