#pragma once
// The one table of settings. Each has a dotted key (its TOML place), a BBBHOOK_* environment
// variable derived from the key, an optional command-line flag, a default and a help line.
// Sources ([source.NAME] tables) are described separately: see source_keys().
#include <span>
#include <string>
#include <string_view>

namespace bbbhook::config {

enum class Kind { text, path, size, duration, integer, boolean, choice, list };

struct Spec {
    std::string_view key;          // "serve.listen"
    std::string_view flag;         // "--listen", or "" when only file/environment set it
    std::string_view default_text; // as shown to users; "<data_dir>/journal" style for derived ones
    Kind kind;
    std::string_view help;
    std::string_view choices = {}; // "sync|none" for Kind::choice
};

std::span<const Spec> specs();
const Spec* find_spec(std::string_view key);

// "serve.max_body" -> "BBBHOOK_SERVE_MAX_BODY"
std::string env_name(std::string_view key);

// Keys allowed inside a [source.NAME] table, with their help lines.
struct SourceKey {
    std::string_view key;
    std::string_view help;
};
std::span<const SourceKey> source_keys();

// The environment variable that names the config file.
inline constexpr std::string_view k_config_env = "BBBHOOK_CONFIG";
inline constexpr std::string_view k_default_config_path = "/etc/bbbhook/bbbhook.conf";

} // namespace bbbhook::config
