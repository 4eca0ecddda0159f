#include "bbbhook/util/log.hpp"

#include <algorithm>
#include <cstdlib>
#include <spdlog/pattern_formatter.h>
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

namespace {
// journald reads a "<N>" syslog priority prefix (sd-daemon(3)); a level name would be text.
class SyslogPriority : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
        static constexpr std::string_view k_prefix[] = {"<7>", "<7>", "<6>", "<4>", "<3>", "<2>", ""};
        auto p = k_prefix[std::min<size_t>(static_cast<size_t>(msg.level), std::size(k_prefix) - 1)];
        dest.append(p.data(), p.data() + p.size());
    }
    std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<SyslogPriority>(); }
};
} // namespace

void setup_logging(LogLevel level) {
    // Plain stderr sink (no colors): output is read by journald, files and test harnesses.
    auto logger = spdlog::stderr_logger_mt("bbbhook");
    spdlog::set_default_logger(logger);
    if (std::getenv("JOURNAL_STREAM")) {
        // journald timestamps lines itself and takes the priority from the prefix.
        auto formatter = std::make_unique<spdlog::pattern_formatter>();
        formatter->add_flag<SyslogPriority>('*').set_pattern("%*%v");
        spdlog::set_formatter(std::move(formatter));
    } else {
        spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z bbbhook[%P] %l: %v");
    }
    spdlog::set_level(static_cast<spdlog::level::level_enum>(static_cast<int>(level)));
    spdlog::flush_on(spdlog::level::warn);
}

} // namespace bbbhook::util
