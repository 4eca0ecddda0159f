#include "bbbhook/cli/app.hpp"

#include <cstdio>
#include <fmt/format.h>
#include <iostream>
#include <spdlog/spdlog.h>

#include "bbbhook/config/settings.hpp"
#include "bbbhook/util/error.hpp"
#include "bbbhook/util/log.hpp"
#include "bbbhook/util/text.hpp"

#ifndef BBBHOOK_VERSION
#define BBBHOOK_VERSION "unknown"
#endif

namespace bbbhook::cli {

std::string_view version() {
    return BBBHOOK_VERSION;
}

config::LoadRequest Context::load_request() const {
    return config::LoadRequest{config_path, flags, config::process_environment()};
}

config::Config Context::load_config(Sources sources) const {
    auto layers = config::load_layers(load_request());
    if (sources == Sources::ignore) layers.sources.clear();
    auto resolved = config::resolve(layers);
    for (const auto& w : resolved.warnings)
        spdlog::warn("{}", w.text());
    if (!resolved.problems.empty()) {
        for (const auto& p : resolved.problems)
            std::fprintf(stderr, "bbbhook: %s\n", p.text().c_str());
        throw Failure(ExitCode::config, fmt::format("{} configuration problem(s); see above (bbbhook config check)",
                                                    resolved.problems.size()));
    }
    spdlog::set_level(static_cast<spdlog::level::level_enum>(static_cast<int>(resolved.config.log_level)));
    return std::move(resolved.config);
}

void add_all_setting_flags(CLI::App& app, Context& ctx) {
    for (const auto& spec : config::specs())
        if (!spec.flag.empty() && spec.key != "log_level" && spec.key != "data_dir")
            add_setting_flags(app, ctx, {spec.key});
}

void add_setting_flags(CLI::App& app, Context& ctx, std::initializer_list<std::string_view> keys) {
    for (auto key : keys) {
        const config::Spec* spec = config::find_spec(key);
        if (!spec || spec->flag.empty()) throw std::logic_error(fmt::format("no flag for setting '{}'", key));
        std::string flag(spec->flag);
        std::string help = spec->default_text.empty()
                               ? fmt::format("{} (env {})", spec->help, config::env_name(key))
                               : fmt::format("{} [default: {}] (env {})", spec->help, spec->default_text,
                                             config::env_name(key));
        if (!spec->choices.empty()) help += fmt::format(" {{{}}}", spec->choices);
        std::string k(key);
        if (spec->kind == config::Kind::boolean) {
            // "--quarantine" or "--quarantine=false": CLI11 counts a false value as -1.
            app.add_flag_function(
                flag,
                [&ctx, k, flag](std::int64_t n) {
                    ctx.flags.push_back({k, {n > 0 ? "true" : "false"}, flag});
                },
                help);
        } else if (spec->kind == config::Kind::list) {
            app.add_option_function<std::vector<std::string>>(
                   flag,
                   [&ctx, k, flag](const std::vector<std::string>& v) {
                       ctx.flags.push_back({k, v, flag});
                   },
                   help)
                ->type_name("VALUE");
        } else {
            app.add_option_function<std::string>(
                   flag,
                   [&ctx, k, flag](const std::string& v) {
                       ctx.flags.push_back({k, {v}, flag});
                   },
                   help)
                ->type_name("VALUE");
        }
    }
}

namespace {

// The subcommand word in argv (skipping global options and their values), if any.
std::optional<std::string_view> subcommand_word(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        if (a == "--") return std::nullopt;
        if (a.starts_with("-")) {
            bool takes_value = (a == "--config" || a == "--log-level" || a == "--data-dir");
            if (takes_value) ++i;
            continue;
        }
        return a;
    }
    return std::nullopt;
}

std::string exit_status_footer() {
    std::string out = "Exit status:";
    for (auto c : {ExitCode::ok, ExitCode::usage, ExitCode::data, ExitCode::no_input, ExitCode::no_host, ExitCode::unavailable,
                   ExitCode::internal, ExitCode::cant_create, ExitCode::io, ExitCode::temp_fail, ExitCode::protocol,
                   ExitCode::no_perm, ExitCode::config, ExitCode::interrupted})
        out += fmt::format(" {} {},", to_int(c), exit_code_name(c));
    out.pop_back();
    return out + ".";
}

} // namespace

int run(int argc, char** argv, std::span<const Command> commands) {
    util::setup_logging(util::LogLevel::info);
    Context ctx;
    CLI::App app{"bbbhook: BigBlueButton attendance from webhooks, kept forever.", "bbbhook"};
    app.set_version_flag("--version", fmt::format("bbbhook {}", version()));
    app.require_subcommand(1);
    app.fallthrough();
    app.add_option("--config", ctx.config_path,
                   fmt::format("Configuration file [default: {}] (env {})", config::k_default_config_path,
                               config::k_config_env))
        ->type_name("FILE");
    add_setting_flags(app, ctx, {"log_level", "data_dir"});
    app.footer(fmt::format(
        "Configuration: built-in defaults < config file < BBBHOOK_* environment < flags; see "
        "bbbhook.conf(5), `bbbhook config show`.\n{}\nRun `bbbhook COMMAND --help` or `man bbbhook-COMMAND`.",
        exit_status_footer()));

    std::vector<std::string> names;
    for (const auto& c : commands) {
        CLI::App* sub = app.add_subcommand(std::string(c.name), std::string(c.summary));
        c.setup(*sub, ctx);
        names.emplace_back(c.name);
    }

    // A mistyped subcommand gets a suggestion instead of CLI11's generic complaint.
    if (auto word = subcommand_word(argc, argv); word && std::ranges::find(names, *word) == names.end()) {
        auto guess = util::closest_match(*word, names);
        std::fprintf(stderr, "bbbhook: '%s' is not a bbbhook command.%s See 'bbbhook --help'.\n",
                     util::printable(*word).c_str(), guess ? fmt::format(" Did you mean '{}'?", *guess).c_str() : "");
        return to_int(ExitCode::usage);
    }

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int rc = app.exit(e); // prints help, version or the error with a hint
        return rc == 0 ? 0 : to_int(ExitCode::usage);
    } catch (const Failure& e) {
        std::fprintf(stderr, "bbbhook: error: %s\n", e.what());
        return to_int(e.code());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bbbhook: internal error: %s\n", e.what());
        return to_int(ExitCode::internal);
    }
    spdlog::default_logger()->flush();
    return to_int(ctx.exit);
}

} // namespace bbbhook::cli
