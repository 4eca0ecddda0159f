// `bbbhook serve`: flags -> configuration -> serve::run.
#include "bbbhook/serve/serve.hpp"
#include "commands.hpp"

namespace bbbhook::cmd {

void setup_serve(CLI::App& sub, cli::Context& ctx) {
    cli::add_setting_flags(sub, ctx,
                           {"serve.listen", "journal.dir", "journal.durability", "journal.preallocate",
                            "journal.rotate_size", "journal.rotate_age", "serve.max_body", "serve.threads",
                            "serve.read_timeout", "serve.quarantine", "serve.quarantine_dir", "serve.quarantine_max"});
    sub.footer("Sources are [source.NAME] tables in the config file; see bbbhook-serve(1) and bbbhook.conf(5).");
    sub.callback([&ctx] {
        serve::ServeOptions options{ctx.load_config(), [&ctx]() -> Result<config::Config> {
                                        auto resolved = config::resolve(config::load_layers(ctx.load_request()));
                                        if (!resolved.problems.empty())
                                            return make_error(ExitCode::config, resolved.problems.front().text());
                                        return std::move(resolved.config);
                                    }};
        ctx.exit = serve::run(options);
    });
}

} // namespace bbbhook::cmd
