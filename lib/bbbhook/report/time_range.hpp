#pragma once
// Report boundaries given as local dates or date-times in a time zone (--from/--to/--tz).
//   --from 2026-10-01          the start of that day (00:00 local)
//   --to   2026-10-31          the whole of that day: up to the start of 2026-11-01 (exclusive)
//   --from 2026-10-01T08:00    that instant (":SS" optional, a space instead of "T" too)
//   --to   2026-10-01T12:00    up to that instant (exclusive)
//   today, yesterday, -7d       days counted back from now in the zone, as dates (for timers:
//                               --from -7d --to yesterday is the last seven whole days)
// Days are calendar days of the zone, so a day with a DST change is 23 or 25 hours long (and one
// whose midnight is skipped starts at 01:00). A local time that does not exist (skipped by a DST
// change) is an error; one that exists twice is its first occurrence.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "bbbhook/util/error.hpp"

namespace bbbhook::report {

enum class Bound { from, to };

// UTC milliseconds of the boundary. `tz` is an IANA zone name ("Europe/Athens"), "UTC", or ""
// for the system's zone. Fails with ExitCode::usage naming the value and what is expected.
// `now_ms` (UTC) replaces the clock for today/yesterday/-Nd, in tests.
Result<int64_t> parse_bound(std::string_view text, std::string_view tz, Bound bound,
                            std::optional<int64_t> now_ms = std::nullopt);

// Checks that `tz` names a zone this machine knows (a file under /usr/share/zoneinfo).
Status check_time_zone(std::string_view tz);

// A UTC instant as local "YYYY-MM-DD HH:MM:SS" in `tz` ("" = the system's zone).
std::string format_local(int64_t utc_ms, std::string_view tz);

} // namespace bbbhook::report
