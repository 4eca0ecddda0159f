// `bbbhook journal dump|verify`.
#include "bbbhook/journal/inspect.hpp"
#include "commands.hpp"

namespace bbbhook::cmd {

void setup_journal(CLI::App& sub, cli::Context& ctx) {
    sub.require_subcommand(1);

    static journal::DumpOptions dump;
    static std::string from;
    static uint64_t limit = 0;
    CLI::App* d = sub.add_subcommand("dump", "Print the journal's records in write order");
    d->add_flag("--json", dump.json, "One JSON object per record (with the raw body) instead of a table");
    d->add_flag("--events", dump.events, "Each callback's events, decoded, one JSON document per line (for jq)")
        ->excludes("--json");
    d->add_option("--from", from, "Start at FILE:OFFSET (a position printed by dump)")->type_name("FILE:OFFSET");
    d->add_option("--limit", limit, "Print at most N records")->type_name("N");
    d->callback([&ctx] {
        dump.dir = ctx.load_config(cli::Context::Sources::ignore).journal.dir;
        if (!from.empty()) {
            auto p = journal::parse_position(from);
            if (!p) throw Failure(ExitCode::usage, "--from: expected FILE:OFFSET, got '" + from + "'");
            dump.from = *p;
        }
        if (limit) dump.limit = limit;
        ctx.exit = journal::dump(dump, stdout);
    });

    cli::add_setting_flags(*d, ctx, {"journal.dir"});
    CLI::App* v = sub.add_subcommand("verify", "Check every record's CRC; exit 65 if anything is corrupt or torn");
    cli::add_setting_flags(*v, ctx, {"journal.dir"});
    v->callback(
        [&ctx] { ctx.exit = journal::verify(ctx.load_config(cli::Context::Sources::ignore).journal.dir, stdout); });
}

} // namespace bbbhook::cmd
