#pragma once
// Logging to stderr through spdlog. Under journald ($JOURNAL_STREAM) lines carry no timestamp,
// because journald adds its own. Never log a secret, a token or a URL with its checksum.
#include <optional>
#include <string_view>

namespace bbbhook::util {

enum class LogLevel { trace, debug, info, warn, error, off };

std::optional<LogLevel> log_level_from_name(std::string_view name);
void setup_logging(LogLevel level);

} // namespace bbbhook::util
