// `bbbhook ingest`: flags -> configuration -> ingest::run.
#include <unistd.h>

#include "bbbhook/ingest/ingest.hpp"
#include "commands.hpp"

namespace bbbhook::cmd {

void setup_ingest(CLI::App& sub, cli::Context& ctx) {
    cli::add_setting_flags(sub, ctx, {"journal.dir", "database", "ingest.idle_close", "ingest.batch"});
    static bool follow = false, rebuild = false;
    sub.add_flag("--follow", follow, "Keep running and ingest new records as they are journaled (until SIGTERM)");
    sub.add_flag("--rebuild", rebuild, "Recreate the database from all journal files (replaces it when done)");
    sub.footer("Run by bbbhook-ingest.timer every minute; see bbbhook-ingest(1) and docs/INGEST.md.");
    sub.callback([&ctx] {
        auto config = ctx.load_config(cli::Context::Sources::ignore);
        ingest::IngestOptions options;
        options.journal_dir = config.journal.dir;
        options.database = config.database;
        options.idle_close = config.ingest.idle_close;
        options.batch_records = config.ingest.batch;
        options.follow = follow;
        options.rebuild = rebuild;
        options.progress = ::isatty(STDERR_FILENO) == 1;
        ctx.exit = ingest::run(options);
    });
}

} // namespace bbbhook::cmd
