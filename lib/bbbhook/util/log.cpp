#include "bbbhook/util/log.hpp"

#include <cstdlib>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace bbbhook::util {

std::optional<LogLevel> log_level_from_name(std::string_view name) {
    if (name == "trace") return LogLevel::trace;
    if (name == "debug") return LogLevel::debug;
    if (name == "info") return LogLevel::info;
    if (name == "warn" || name == "warning") return LogLevel::warn;
    if (name == "error") return LogLevel::error;
    if (name == "off") return LogLevel::off;
    return std::nullopt;
}

void setup_logging(LogLevel level) {
    // Plain stderr sink (no colors): output is read by journald, files and test harnesses.
    auto logger = spdlog::stderr_logger_mt("bbbhook");
    spdlog::set_default_logger(logger);
    if (std::getenv("JOURNAL_STREAM"))
        spdlog::set_pattern("<%l> %v"); // journald timestamps lines itself
    else
        spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z bbbhook[%P] %l: %v");
    spdlog::set_level(static_cast<spdlog::level::level_enum>(static_cast<int>(level)));
    spdlog::flush_on(spdlog::level::warn);
}

} // namespace bbbhook::util
