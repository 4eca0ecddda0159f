#pragma once
// Instants shown in the report's time zone, fast enough for a million rows: the zone's UTC offset
// is looked up once per hour of UTC time (through the C library, which reads /usr/share/zoneinfo)
// and cached; the calendar arithmetic is done here.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace bbbhook::report {

// Sets TZ for the life of the object and puts the old value back. libstdc++ 12 has no
// std::chrono::tzdb; the C library's zone code is what reads /usr/share/zoneinfo here. Not
// thread-safe: a report is computed on one thread. `tz` "" keeps the current zone.
class ScopedTimeZone {
public:
    explicit ScopedTimeZone(std::string_view tz);
    ~ScopedTimeZone();
    ScopedTimeZone(const ScopedTimeZone&) = delete;
    ScopedTimeZone& operator=(const ScopedTimeZone&) = delete;

private:
    std::optional<std::string> m_old;
};

class LocalClock {
public:
    // `tz` is an IANA zone name, "UTC", or "" for the system's zone; check it first with
    // check_time_zone. Sets TZ for the life of the object (one clock at a time, one thread).
    explicit LocalClock(std::string_view tz);
    ~LocalClock();
    LocalClock(const LocalClock&) = delete;
    LocalClock& operator=(const LocalClock&) = delete;

    // Offset from UTC in seconds at that instant (+10800 for 03:00 east of Greenwich).
    int offset_seconds(int64_t utc_ms);

    // "2026-10-01 08:00:00" (local, no zone).
    std::string local(int64_t utc_ms);
    // "2026-10-01T08:00:00+03:00" (ISO 8601 with the offset: unambiguous in repeated hours).
    std::string iso(int64_t utc_ms);
    // Appends iso(utc_ms) to `out` (no allocation in the hot path of CSV writing).
    void append_iso(std::string& out, int64_t utc_ms);
    // "08:00" (local).
    std::string hour_minute(int64_t utc_ms);
    // The zone as given, or the name the system uses for its own zone ("Europe/Athens", else "local time").
    const std::string& zone_name() const { return m_zone_name; }

private:
    struct State;
    ScopedTimeZone m_zone;
    std::unique_ptr<State> m_state;
    std::string m_zone_name;
};

} // namespace bbbhook::report
