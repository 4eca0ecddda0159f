// `bbbhook config check|show`.
#include "bbbhook/config/commands.hpp"
#include "commands.hpp"

namespace bbbhook::cmd {

void setup_config(CLI::App& sub, cli::Context& ctx) {
    sub.require_subcommand(1);
    CLI::App* check = sub.add_subcommand("check", "Report every configuration problem at once (exit 78 if any)");
    check->callback([&ctx] { ctx.exit = config::check(ctx.load_request(), stdout, stderr); });

    CLI::App* show = sub.add_subcommand("show", "Print every setting, its value and its origin (secrets masked)");
    static bool json = false;
    show->add_flag("--json", json, "Print JSON instead of text");
    show->callback([&ctx] {
        ctx.exit = config::show(ctx.load_request(), json ? config::ShowFormat::json : config::ShowFormat::text, stdout,
                                stderr);
    });
    // Settings may be given as flags here too, to see their effect.
    for (CLI::App* s : {check, show})
        cli::add_all_setting_flags(*s, ctx);
}

} // namespace bbbhook::cmd
