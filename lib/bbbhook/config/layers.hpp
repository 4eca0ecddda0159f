#pragma once
// Raw configuration values with their origin, layered: built-in default < config file <
// BBBHOOK_* environment < command-line flag. Nothing is interpreted here beyond syntax;
// config.hpp turns the winning values into typed settings.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace bbbhook::config {

enum class Origin { builtin, file, environment, flag };

struct Value {
    std::vector<std::string> items; // one item for scalars
    Origin origin = Origin::builtin;
    std::string where;        // "default", "/etc/bbbhook/bbbhook.conf:12", "BBBHOOK_LISTEN", "--listen"
    std::string text() const; // items joined with ", "
};

// One problem in the configuration: `where` names the file:line, variable or flag.
struct Problem {
    std::string where;
    std::string message;
    std::string text() const { return where.empty() ? message : where + ": " + message; }
};

struct SourceEntry {
    std::string name;
    std::string where; // file:line of the [source.NAME] table
    std::map<std::string, Value, std::less<>> values;
};

// A value given on the command line, recorded by the CLI layer.
struct FlagValue {
    std::string key;
    std::vector<std::string> items;
    std::string flag;
};

struct LoadRequest {
    std::optional<std::filesystem::path> config_path; // --config; else $BBBHOOK_CONFIG; else the default path
    std::vector<FlagValue> flags;
    std::map<std::string, std::string> environment; // BBBHOOK_* variables (and STATE_DIRECTORY)
};

struct Layers {
    std::filesystem::path file;                       // the config file read, empty if none
    std::map<std::string, Value, std::less<>> values; // every setting's winning value (defaults included)
    std::vector<SourceEntry> sources;
    std::vector<Problem> problems; // syntax and unknown-key problems, all of them
    std::map<std::string, std::string> environment;

    const Value& get(std::string_view key) const; // key must be in specs()
};

// The BBBHOOK_* (and STATE_DIRECTORY) variables of this process.
std::map<std::string, std::string> process_environment();

// Reads the layers. Never throws on bad input: every problem is collected in Layers::problems.
Layers load_layers(const LoadRequest& request);

} // namespace bbbhook::config
