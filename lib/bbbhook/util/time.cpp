#include "bbbhook/util/time.hpp"

#include <chrono>
#include <fmt/chrono.h>
#include <fmt/format.h>

namespace bbbhook::util {

int64_t now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

int64_t monotonic_ns() {
    using namespace std::chrono;
    return duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count();
}

std::string format_iso_utc_ms(int64_t ms) {
    using namespace std::chrono;
    auto t = floor<seconds>(sys_time<milliseconds>{milliseconds{ms}});
    auto frac = ms - duration_cast<milliseconds>(t.time_since_epoch()).count();
    return fmt::format("{:%FT%T}.{:03}Z", t, frac);
}

std::string format_compact_utc(int64_t ms) {
    using namespace std::chrono;
    auto t = floor<seconds>(sys_time<milliseconds>{milliseconds{ms}});
    return fmt::format("{:%Y%m%dT%H%M%S}Z", t);
}

} // namespace bbbhook::util
