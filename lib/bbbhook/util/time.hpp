#pragma once
// Wall-clock time in UTC milliseconds, and its text forms.
#include <cstdint>
#include <string>

namespace bbbhook::util {

// Milliseconds since the Unix epoch (CLOCK_REALTIME).
int64_t now_ms();
// Monotonic nanoseconds, for measuring durations.
int64_t monotonic_ns();
// "2026-11-25T22:11:00.123Z"
std::string format_iso_utc_ms(int64_t ms);
// "20261125T221100Z" (for file names: sorts like the time).
std::string format_compact_utc(int64_t ms);

} // namespace bbbhook::util
