#pragma once
// `bbbhook config check` and `bbbhook config show`.
#include <cstdio>

#include "bbbhook/config/layers.hpp"
#include "bbbhook/util/exit_code.hpp"

namespace bbbhook::config {

// Prints every problem (and warning) of the configuration; ok when there is none, config otherwise.
ExitCode check(const LoadRequest& request, std::FILE* out, std::FILE* err);

enum class ShowFormat { text, json };
// Prints every setting with its value and where it came from; secrets are masked.
// Returns config if the configuration has problems (they are printed on `err` too).
ExitCode show(const LoadRequest& request, ShowFormat format, std::FILE* out, std::FILE* err);

} // namespace bbbhook::config
