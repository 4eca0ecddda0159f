#pragma once
// The command-line front: one table of subcommands, global options, configuration loading with
// flags recorded in the layers, and the single place where failures become exit codes.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "bbbhook/config/config.hpp"
#include "bbbhook/util/exit_code.hpp"

namespace bbbhook::cli {

// State shared by all subcommands of one invocation.
struct Context {
    std::optional<std::filesystem::path> config_path; // --config
    std::vector<config::FlagValue> flags;             // setting flags given on the command line
    ExitCode exit = ExitCode::ok;                     // set by the subcommand's action

    config::LoadRequest load_request() const;
    // Loads and resolves the configuration; on any problem throws Failure(config) after printing
    // every problem (file:line, variable or flag) on stderr. Applies log_level. Commands that do
    // not talk to BBB pass Sources::ignore, so unreadable secret files do not stop them.
    enum class Sources { resolve, ignore };
    config::Config load_config(Sources sources = Sources::resolve) const;
};

struct Command {
    std::string_view name;
    std::string_view summary;
    // Adds the subcommand's options and sets its action (which stores its exit code in ctx.exit).
    void (*setup)(CLI::App& sub, Context& ctx);
};

// Parses argv, runs the chosen subcommand and returns the process exit code.
int run(int argc, char** argv, std::span<const Command> commands);

// Adds a flag per setting key (from config/settings), recording given values in ctx.flags.
void add_setting_flags(CLI::App& app, Context& ctx, std::initializer_list<std::string_view> keys);
// Adds the flag of every setting except the global ones (for `config check|show`).
void add_all_setting_flags(CLI::App& app, Context& ctx);

std::string_view version();

} // namespace bbbhook::cli
