#pragma once
// Runs a program (looked up in PATH, no shell) and captures its standard output.
#include <string>
#include <vector>

#include "bbbhook/util/error.hpp"

namespace bbbhook::util {

// argv[0] is searched in PATH. Standard input is /dev/null, standard error is inherited. Fails
// with ExitCode::no_input when the program cannot be started or exits non-zero (the message
// names the program and its status, never its output).
Result<std::string> capture_output(const std::vector<std::string>& argv);

} // namespace bbbhook::util
