#include "bbbhook/util/exit_code.hpp"

#include <cerrno>
#include <cstring>

#include "bbbhook/util/error.hpp"

namespace bbbhook {

std::string_view exit_code_name(ExitCode c) {
    switch (c) {
    case ExitCode::ok: return "ok";
    case ExitCode::usage: return "usage";
    case ExitCode::data: return "data";
    case ExitCode::no_input: return "no-input";
    case ExitCode::no_host: return "no-host";
    case ExitCode::unavailable: return "unavailable";
    case ExitCode::internal: return "internal";
    case ExitCode::cant_create: return "cant-create";
    case ExitCode::io: return "io";
    case ExitCode::temp_fail: return "temp-fail";
    case ExitCode::protocol: return "protocol";
    case ExitCode::no_perm: return "no-perm";
    case ExitCode::config: return "config";
    case ExitCode::interrupted: return "interrupted";
    }
    return "unknown";
}

std::string errno_message(int err) {
    char buf[256];
    // GNU strerror_r returns the message pointer (which may or may not be buf).
    return ::strerror_r(err, buf, sizeof buf);
}

} // namespace bbbhook
