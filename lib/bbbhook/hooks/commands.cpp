#include "bbbhook/hooks/commands.hpp"

#include <algorithm>
#include <cstdio>
#include <fmt/format.h>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "bbbhook/util/fd.hpp"
#include "bbbhook/util/subprocess.hpp"
#include "bbbhook/util/table.hpp"
#include "bbbhook/util/text.hpp"

namespace bbbhook::hooks {

namespace {

// "https://bbb1.example.org:8443/bigbluebutton/api" → "bbb1.example.org".
std::string host_of(std::string_view url) {
    size_t start = url.find("://");
    start = start == std::string_view::npos ? 0 : start + 3;
    size_t end = url.find_first_of("/:?#", start);
    if (end != std::string_view::npos && url[end] == ':' && url.substr(start, 1) == "[") end = url.find(']', start) + 1;
    return std::string(url.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
}

Result<std::string> read_secret(const std::string& file) {
    std::string content;
    if (file == "-") {
        content.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    } else {
        auto r = util::read_file(file);
        if (!r) return make_error(ExitCode::no_input, fmt::format("--secret-file: {}", r.error().message));
        content = std::move(*r);
    }
    std::string secret(util::trim(content));
    if (secret.empty())
        return make_error(ExitCode::data, fmt::format("--secret-file {}: the secret is empty",
                                                      file == "-" ? "(standard input)" : file));
    return secret;
}

// URL and secret from `bbb-conf --secret` (run here, or its saved output in a file, "-" = stdin).
Result<BbbConfSecret> from_bbb_conf(const std::string& source, const std::string& program) {
    std::string output;
    std::string what;
    if (source.empty()) {
        what = fmt::format("`{} --secret`", program);
        auto r = util::capture_output({program, "--secret"});
        if (!r)
            return make_error(ExitCode::no_input, fmt::format("--from-bbb-conf: {} (is this a BigBlueButton server? "
                                                              "otherwise give --api-url and --secret-file)",
                                                              r.error().message));
        output = std::move(*r);
    } else if (source == "-") {
        what = "standard input";
        output.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    } else {
        what = source;
        auto r = util::read_file(source);
        if (!r) return make_error(ExitCode::no_input, fmt::format("--from-bbb-conf: {}", r.error().message));
        output = std::move(*r);
    }
    auto parsed = parse_bbb_conf_secret(output);
    if (!parsed)
        return make_error(parsed.error().code, fmt::format("--from-bbb-conf ({}): {}", what, parsed.error().message));
    return parsed;
}

Result<Target> one_shot_target(const CommandOptions& options) {
    const OneShot& o = options.one_shot;
    Target t;
    t.spec = o.spec;
    if (o.from_bbb_conf) {
        auto conf = from_bbb_conf(*o.from_bbb_conf, options.bbb_conf);
        if (!conf) return std::unexpected(conf.error());
        t.server.api_base = conf->api_base;
        t.server.secret = conf->secret;
    }
    if (!o.api_url.empty()) {
        auto base = normalize_api_base(o.api_url);
        if (!base) return make_error(ExitCode::usage, fmt::format("--api-url: {}", base.error().message));
        t.server.api_base = *base;
    }
    if (!o.secret_file.empty()) {
        auto secret = read_secret(o.secret_file);
        if (!secret) return std::unexpected(secret.error());
        t.server.secret = *secret;
    }
    if (t.server.secret.empty())
        return make_error(ExitCode::usage, "--api-url needs the server's shared secret: --secret-file FILE (or "
                                           "--from-bbb-conf on the BBB server itself)");
    t.server.alg = util::HashAlg::sha256;
    if (!o.algorithm.empty()) {
        auto alg = util::hash_alg_from_name(o.algorithm);
        if (!alg)
            return make_error(ExitCode::usage,
                              fmt::format("--algorithm '{}' is not one of sha1, sha256, sha384, sha512",
                                          util::printable(o.algorithm)));
        t.server.alg = *alg;
    }
    t.name = o.name.empty() ? host_of(t.server.api_base) : o.name;
    return t;
}

Target source_target(const config::SourceConfig& s) {
    Target t;
    t.name = s.name;
    t.server = Server{s.hooks.api_url, s.auth.secret, s.hooks.algorithm};
    t.spec.callback_url = s.auth.callback_url;
    t.spec.meeting_id = s.hooks.meeting_id;
    t.spec.event_ids = s.hooks.event_ids;
    t.spec.get_raw = s.hooks.get_raw;
    return t;
}

struct Outcome {
    const Target* target = nullptr;
    std::optional<ApiError> error;
    std::string status; // created, already-registered, present, destroyed, listed
    std::string hook_id;
    std::vector<HookInfo> hooks;
    std::vector<std::string> warnings;
};

Outcome run_one(const CommandOptions& options, const Target& t, Client& client) {
    Outcome o;
    o.target = &t;
    auto fail = [&](ApiError e) {
        o.error = std::move(e);
        return o;
    };
    switch (options.verb) {
    case Verb::register_hook: {
        o.warnings = spec_warnings(t.spec);
        auto r = client.create(create_params(t.spec));
        if (!r) return fail(std::move(r.error()));
        o.hook_id = r->hook_id;
        o.status = r->already_registered ? "already-registered" : "created";
        if (r->already_registered)
            o.warnings.push_back("a hook for this callback URL was already registered; bbb-webhooks keeps it "
                                 "unchanged (`bbbhook hooks list` shows its settings)");
        return o;
    }
    case Verb::ensure: {
        auto r = ensure(client, t.spec);
        if (!r) return fail(std::move(r.error()));
        o.hook_id = r->hook_id;
        o.status = std::string(ensure_action_name(r->action));
        o.warnings = std::move(r->warnings);
        return o;
    }
    case Verb::list: {
        auto r = client.list();
        if (!r) return fail(std::move(r.error()));
        o.hooks = std::move(r->hooks);
        o.status = "listed";
        o.warnings = list_warnings(o.hooks);
        return o;
    }
    case Verb::destroy: {
        auto r = client.destroy(util::trim(options.hook_id));
        if (!r) return fail(std::move(r.error()));
        o.hook_id = std::string(util::trim(options.hook_id));
        o.status = "destroyed";
        return o;
    }
    }
    return o;
}

std::string yes_no(std::optional<bool> b) {
    return b ? (*b ? "yes" : "no") : "-";
}

void print_table(const CommandOptions& options, const std::vector<Outcome>& outcomes, std::FILE* out) {
    if (options.verb == Verb::list) {
        util::TextTable table({"SERVER", "HOOK ID", "CALLBACK URL", "MEETING", "EVENTS", "RAW", "PERMANENT", "OURS"});
        for (const auto& o : outcomes) {
            if (o.error) {
                table.add({o.target->name, fmt::format("FAILED ({})", api_error_kind_name(o.error->kind))});
                continue;
            }
            if (o.hooks.empty()) table.add({o.target->name, "(no hooks)"});
            for (const auto& h : o.hooks) {
                bool ours = !o.target->spec.callback_url.empty() && h.callback_url == o.target->spec.callback_url;
                table.add({o.target->name, h.hook_id, util::printable(h.callback_url, 120),
                           h.meeting_id ? util::printable(*h.meeting_id, 60) : "-",
                           h.event_id && !h.event_id->empty() ? util::printable(*h.event_id, 60) : "all",
                           yes_no(h.raw_data), yes_no(h.permanent_hook), ours ? "yes" : "-"});
            }
        }
        std::fputs(table.render().c_str(), out);
        return;
    }
    util::TextTable table({"SERVER", "STATUS", "HOOK ID", "CALLBACK URL"});
    for (const auto& o : outcomes) {
        std::string status = o.error ? fmt::format("FAILED ({})", api_error_kind_name(o.error->kind)) : o.status;
        std::string url = options.verb == Verb::destroy ? "-" : util::printable(o.target->spec.callback_url, 120);
        table.add({o.target->name, status, o.hook_id.empty() ? "-" : o.hook_id, url});
    }
    std::fputs(table.render().c_str(), out);
}

template <class T> nlohmann::ordered_json optional_json(const std::optional<T>& v) {
    return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
}

void print_json(const CommandOptions& options, const std::vector<Outcome>& outcomes, std::FILE* out) {
    using json = nlohmann::ordered_json;
    json servers = json::array();
    for (const auto& o : outcomes) {
        json s = json::object();
        s["server"] = o.target->name;
        s["api_url"] = o.target->server.api_base;
        s["ok"] = !o.error.has_value();
        if (o.error) {
            s["error"] = {{"kind", api_error_kind_name(o.error->kind)},
                          {"exit_code", to_int(exit_code(o.error->kind))},
                          {"message", o.error->message},
                          {"message_key", o.error->reply ? json(o.error->reply->message_key) : json(nullptr)}};
        } else if (options.verb == Verb::list) {
            json hooks = json::array();
            for (const auto& h : o.hooks)
                hooks.push_back(
                    {{"hook_id", h.hook_id},
                     {"callback_url", h.callback_url},
                     {"meeting_id", optional_json(h.meeting_id)},
                     {"event_id", optional_json(h.event_id)},
                     {"raw", optional_json(h.raw_data)},
                     {"permanent", optional_json(h.permanent_hook)},
                     {"ours", !o.target->spec.callback_url.empty() && h.callback_url == o.target->spec.callback_url}});
            s["hooks"] = std::move(hooks);
        } else {
            s["status"] = o.status;
            s["hook_id"] = o.hook_id;
            if (options.verb != Verb::destroy) s["callback_url"] = o.target->spec.callback_url;
        }
        s["warnings"] = o.warnings;
        servers.push_back(std::move(s));
    }
    json doc = {{"servers", std::move(servers)}};
    std::fprintf(out, "%s\n", doc.dump(2, ' ', false, json::error_handler_t::replace).c_str());
}

} // namespace

Result<std::vector<Target>> select_targets(const CommandOptions& options, const config::Config& config) {
    std::vector<Target> targets;
    if (options.one_shot.given()) {
        if (!options.servers.empty())
            return make_error(ExitCode::usage, "--server picks configured servers; it cannot be combined with "
                                               "--api-url or --from-bbb-conf");
        auto t = one_shot_target(options);
        if (!t) return std::unexpected(t.error());
        targets.push_back(std::move(*t));
    } else {
        if (!options.one_shot.spec.callback_url.empty() || !options.one_shot.secret_file.empty())
            return make_error(ExitCode::usage, "--callback-url and --secret-file describe a server given with "
                                               "--api-url (or --from-bbb-conf); configured servers take them from "
                                               "their [source.NAME] table");
        std::vector<std::string> names;
        for (const auto& s : config.sources)
            names.push_back(s.name);
        for (const auto& wanted : options.servers) {
            auto it = std::ranges::find(config.sources, wanted, &config::SourceConfig::name);
            if (it == config.sources.end()) {
                auto guess = util::closest_match(wanted, names);
                return make_error(ExitCode::usage,
                                  fmt::format("--server {}: no [source.{}] in the configuration{}",
                                              util::printable(wanted), util::printable(wanted),
                                              guess ? fmt::format(" (did you mean '{}'?)", *guess) : std::string()));
            }
            if (it->hooks.api_url.empty())
                return make_error(ExitCode::config, fmt::format("--server {}: [source.{}] ({}) has no api_url",
                                                                it->name, it->name, it->where));
        }
        for (const auto& s : config.sources) {
            if (s.hooks.api_url.empty()) continue;
            if (!options.servers.empty() && std::ranges::find(options.servers, s.name) == options.servers.end())
                continue;
            targets.push_back(source_target(s));
        }
        if (targets.empty())
            return make_error(ExitCode::config,
                              "no BBB server to talk to: set api_url and callback_url in a [source.NAME] table of the "
                              "configuration (see bbbhook-hooks(1)), or give --api-url or --from-bbb-conf");
    }
    if (options.verb == Verb::register_hook || options.verb == Verb::ensure)
        for (const auto& t : targets)
            if (t.spec.callback_url.empty())
                return make_error(ExitCode::usage, fmt::format("server {}: no callback URL to register: give "
                                                               "--callback-url URL",
                                                               t.name));
    if (options.verb == Verb::destroy && util::trim(options.hook_id).empty())
        return make_error(ExitCode::usage, "HOOK_ID is empty: give the id that `bbbhook hooks list` shows");
    if (options.verb == Verb::destroy && targets.size() > 1)
        return make_error(ExitCode::usage, fmt::format("destroy talks to one server, and {} are configured: name it "
                                                       "with --server NAME",
                                                       targets.size()));
    return targets;
}

ExitCode run(const CommandOptions& options, const config::Config& config, std::FILE* out, std::FILE* err) {
    auto targets = value_or_throw(select_targets(options, config));

    ClientOptions client_options;
    client_options.http.timeout = config.hooks.timeout;
    client_options.http.connect_timeout = config.hooks.connect_timeout;
    client_options.http.ca_file = config.hooks.ca_file.string();
    client_options.http.user_agent = "bbbhook-hooks";
    client_options.retries = config.hooks.retries;

    std::vector<Outcome> outcomes;
    for (const auto& t : targets) {
        client_options.on_retry = [&t](const ApiError& e, int attempt, std::chrono::milliseconds wait) {
            spdlog::warn("server {}: attempt {} failed ({}); retrying in {}", t.name, attempt, e.message,
                         util::format_duration(wait));
        };
        Client client(t.server, client_options);
        outcomes.push_back(run_one(options, t, client));
    }

    if (options.json)
        print_json(options, outcomes, out);
    else
        print_table(options, outcomes, out);
    std::fflush(out);

    ExitCode code = ExitCode::ok;
    for (const auto& o : outcomes) {
        for (const auto& w : o.warnings)
            std::fprintf(err, "bbbhook: warning: server %s: %s\n", o.target->name.c_str(), w.c_str());
        if (o.error) {
            std::fprintf(err, "bbbhook: error: server %s: %s\n", o.target->name.c_str(), o.error->message.c_str());
            if (code == ExitCode::ok) code = exit_code(o.error->kind);
        }
    }
    return code;
}

} // namespace bbbhook::hooks
