// `bbbhook hooks register|list|destroy|ensure`: options -> hooks::CommandOptions -> hooks::run.
#include "bbbhook/hooks/commands.hpp"
#include "bbbhook/util/text.hpp"
#include "commands.hpp"

namespace bbbhook::cmd {

namespace {

struct HooksArgs {
    hooks::CommandOptions options;
    std::string from_bbb_conf;
    std::string get_raw;
    std::vector<std::string> event_ids;
};

void add_common_options(CLI::App& sub, cli::Context& ctx, HooksArgs& a, bool hook_settings) {
    hooks::CommandOptions& o = a.options;
    sub.add_option("--server", o.servers, "Only this configured server ([source.NAME]); repeatable")->type_name("NAME");
    sub.add_option("--api-url", o.one_shot.api_url,
                   "A server not in the configuration: its API URL (https://HOST/bigbluebutton/api)")
        ->type_name("URL");
    sub.add_option("--secret-file", o.one_shot.secret_file,
                   "With --api-url: file holding its shared secret (- = stdin)")
        ->type_name("FILE");
    sub.add_option("--from-bbb-conf", a.from_bbb_conf,
                   "On a BBB server: take the API URL and secret from `bbb-conf --secret` (or from its saved "
                   "output in FILE, - = stdin)")
        ->expected(0, 1)
        ->type_name("[FILE]");
    sub.add_option("--algorithm", o.one_shot.algorithm, "With --api-url: sha1, sha256 (default), sha384 or sha512")
        ->type_name("ALG");
    sub.add_option("--name", o.one_shot.name, "With --api-url: the server's name in the output [default: its host]")
        ->type_name("NAME");
    sub.add_option("--callback-url", o.one_shot.spec.callback_url,
                   hook_settings ? "With --api-url: the callback URL to register (serve's public URL for this source)"
                                 : "With --api-url: our callback URL, marked in the OURS column")
        ->type_name("URL");
    if (hook_settings) {
        sub.add_option("--meeting-id", o.one_shot.spec.meeting_id,
                       "With --api-url: register for this one meeting only (not recommended)")
            ->type_name("ID");
        sub.add_option("--event-id", a.event_ids, "With --api-url: only these event ids (comma-separated)")
            ->type_name("IDS");
        sub.add_option("--get-raw", a.get_raw, "With --api-url: true to receive BBB's raw events")
            ->check(CLI::IsMember({"true", "false"}))
            ->type_name("BOOL");
    }
    sub.add_flag("--json", o.json, "Print JSON instead of a table");
    cli::add_setting_flags(sub, ctx, {"hooks.timeout", "hooks.connect_timeout", "hooks.retries", "hooks.ca_file"});
}

void run_hooks(cli::Context& ctx, CLI::App& sub, HooksArgs& a, hooks::Verb verb) {
    hooks::CommandOptions o = a.options;
    o.verb = verb;
    if (sub.count("--from-bbb-conf") > 0) o.one_shot.from_bbb_conf = a.from_bbb_conf;
    if (!a.get_raw.empty()) o.one_shot.spec.get_raw = a.get_raw == "true";
    for (const auto& item : a.event_ids)
        for (auto& id : util::split_list(item))
            o.one_shot.spec.event_ids.push_back(std::move(id));
    // A server given by flags needs no configured sources: don't let a broken one stop it.
    auto config = ctx.load_config(o.one_shot.given() ? cli::Context::Sources::ignore : cli::Context::Sources::resolve);
    ctx.exit = hooks::run(o, config, stdout, stderr);
}

} // namespace

void setup_hooks(CLI::App& sub, cli::Context& ctx) {
    sub.require_subcommand(1);
    sub.footer("Servers are the [source.NAME] tables with an api_url (bbbhook.conf(5)), or one server given with "
               "--api-url or --from-bbb-conf. See bbbhook-hooks(1).");
    static HooksArgs register_args, list_args, destroy_args, ensure_args;

    CLI::App* reg = sub.add_subcommand("register", "Register our callback hook on every server (hooks/create)");
    add_common_options(*reg, ctx, register_args, true);
    reg->callback([&ctx, reg] { run_hooks(ctx, *reg, register_args, hooks::Verb::register_hook); });

    CLI::App* list = sub.add_subcommand("list", "List every hook of every server (hooks/list)");
    add_common_options(*list, ctx, list_args, false);
    list->callback([&ctx, list] { run_hooks(ctx, *list, list_args, hooks::Verb::list); });

    CLI::App* destroy = sub.add_subcommand("destroy", "Remove one hook by its id (hooks/destroy)");
    destroy->add_option("HOOK_ID", destroy_args.options.hook_id, "The hook's id, as `hooks list` shows it")->required();
    add_common_options(*destroy, ctx, destroy_args, false);
    destroy->callback([&ctx, destroy] { run_hooks(ctx, *destroy, destroy_args, hooks::Verb::destroy); });

    CLI::App* ensure = sub.add_subcommand(
        "ensure", "Make sure every server has our hook; create it where missing (run by bbbhook-hooks-ensure.timer)");
    add_common_options(*ensure, ctx, ensure_args, true);
    ensure->callback([&ctx, ensure] { run_hooks(ctx, *ensure, ensure_args, hooks::Verb::ensure); });
}

} // namespace bbbhook::cmd
