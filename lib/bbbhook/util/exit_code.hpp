#pragma once
// Named process exit codes (sysexits.h values). Every man page lists them under EXIT STATUS.
#include <string_view>

namespace bbbhook {

enum class ExitCode : int {
    ok = 0,
    usage = 64,        // bad command line
    data = 65,         // bad input data
    no_input = 66,     // an input file is missing or unreadable
    no_host = 68,      // a host name does not resolve
    unavailable = 69,  // a service (port, remote server) is unavailable
    internal = 70,     // a bug: an unexpected internal error
    cant_create = 73,  // an output file or folder cannot be created
    io = 74,           // an I/O error on a file
    temp_fail = 75,    // temporary failure: retry later (e.g. locked by another process)
    protocol = 76,     // the remote end broke the protocol
    no_perm = 77,      // permission denied
    config = 78,       // configuration error
    interrupted = 130, // interrupted by SIGINT
};

constexpr int to_int(ExitCode c) {
    return static_cast<int>(c);
}

// A short lowercase name for logs and `--help` ("config", "temp-fail", …).
std::string_view exit_code_name(ExitCode c);

} // namespace bbbhook
