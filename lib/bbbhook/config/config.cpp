#include "bbbhook/config/config.hpp"

#include <algorithm>
#include <charconv>
#include <fmt/format.h>
#include <set>
#include <sys/stat.h>

#include "bbbhook/hooks/api.hpp"
#include "bbbhook/util/fd.hpp"
#include "bbbhook/util/text.hpp"

namespace bbbhook::config {

std::string Endpoint::text() const {
    return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port) : fmt::format("{}:{}", host, port);
}

std::optional<Endpoint> parse_endpoint(std::string_view text) {
    text = util::trim(text);
    Endpoint ep;
    std::string_view port;
    if (text.starts_with('[')) {
        size_t close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return std::nullopt;
        ep.host = std::string(text.substr(1, close - 1));
        port = text.substr(close + 2);
    } else {
        size_t colon = text.rfind(':');
        if (colon == std::string_view::npos || text.substr(0, colon).find(':') != std::string_view::npos)
            return std::nullopt;
        ep.host = std::string(text.substr(0, colon));
        port = text.substr(colon + 1);
    }
    if (ep.host.empty()) return std::nullopt;
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), ep.port);
    if (ec != std::errc() || p != port.data() + port.size() || ep.port < 0 || ep.port > 65535) return std::nullopt;
    return ep;
}

namespace {

// Reads one setting, converting it and recording a problem (with the value's origin) if it is bad.
class Reader {
public:
    Reader(const Layers& layers, Resolved& out) : m_layers(layers), m_out(out) {}

    const Value& value(std::string_view key) const { return m_layers.get(key); }
    std::string text(std::string_view key) const { return value(key).text(); }

    void problem(const Value& v, std::string_view key, std::string message) {
        m_out.problems.push_back({v.where, fmt::format("{}: {}", key, message)});
    }

    template <class T, class Parse> T get(std::string_view key, T fallback, Parse parse, std::string_view expected) {
        const Value& v = value(key);
        auto parsed = parse(v.text());
        if (!parsed) {
            problem(v, key, fmt::format("invalid value '{}': expected {}", util::printable(v.text()), expected));
            return fallback;
        }
        return *parsed;
    }

private:
    const Layers& m_layers;
    Resolved& m_out;
};

std::optional<bool> parse_bool(std::string_view s) {
    if (s == "true" || s == "yes" || s == "on" || s == "1") return true;
    if (s == "false" || s == "no" || s == "off" || s == "0") return false;
    return std::nullopt;
}

std::optional<int> parse_int(std::string_view s) {
    int v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

// A derived default like "<data_dir>/journal" becomes data_dir / "journal".
std::filesystem::path path_setting(const Value& v, const std::filesystem::path& data_dir) {
    std::string t = v.text();
    if (t.starts_with("<data_dir>/")) return data_dir / t.substr(11);
    return t;
}

// The keys `bbbhook hooks` reads: api_url and what to register there.
// One [source.NAME] table's values, and its problems prefixed with "source.NAME: ".
struct SourceTable {
    const SourceEntry& e;
    Resolved& out;
    const Value* get(std::string_view key) const {
        auto it = e.values.find(key);
        return it == e.values.end() ? nullptr : &it->second;
    }
    void problem(const std::string& where, std::string_view msg) const {
        out.problems.push_back({where, fmt::format("source.{}: {}", e.name, msg)});
    }
};

void resolve_source_hooks(const SourceEntry& e, SourceConfig& s, Resolved& out) {
    SourceTable table{e, out};
    auto get = [&](std::string_view key) { return table.get(key); };
    auto problem = [&](const std::string& where, std::string_view msg) { table.problem(where, msg); };
    SourceHooks& h = s.hooks;
    const Value* api_url = get("api_url");
    if (api_url) {
        if (auto base = hooks::normalize_api_base(api_url->text()))
            h.api_url = *base;
        else
            problem(api_url->where, fmt::format("api_url: {}", base.error().message));
        if (!get("callback_url"))
            problem(api_url->where, "api_url needs callback_url: the URL that bbbhook hooks registers");
    }
    if (const Value* v = get("checksum_algorithm")) {
        if (auto alg = util::hash_alg_from_name(v->text()))
            h.algorithm = *alg;
        else
            problem(v->where, fmt::format("checksum_algorithm '{}' is not one of sha1, sha256, sha384, sha512",
                                          util::printable(v->text())));
    }
    if (const Value* v = get("event_id"))
        for (const auto& item : v->items)
            for (auto& id : util::split_list(item))
                h.event_ids.push_back(std::move(id));
    if (const Value* v = get("get_raw")) {
        if (auto b = parse_bool(v->text()))
            h.get_raw = *b;
        else
            problem(v->where, fmt::format("get_raw '{}' is not true or false", util::printable(v->text())));
    }
    if (const Value* v = get("meeting_id")) {
        if (v->text().empty())
            problem(v->where, "meeting_id is empty");
        else
            h.meeting_id = v->text();
    }
    if (!api_url)
        for (std::string_view key : {"checksum_algorithm", "event_id", "get_raw", "meeting_id"})
            if (const Value* v = get(key))
                out.warnings.push_back(
                    {v->where, fmt::format("source.{}: {} has no effect without api_url", e.name, key)});
}

void resolve_source(const SourceEntry& e, const std::filesystem::path& config_dir, Resolved& out,
                    std::set<std::string>& paths, std::set<std::string>& warned_files) {
    SourceConfig s;
    s.name = e.name;
    s.where = e.where;
    SourceTable table{e, out};
    auto problem = [&](const std::string& where, std::string_view msg) { table.problem(where, msg); };
    auto get = [&](std::string_view key) { return table.get(key); };
    bool name_ok = !e.name.empty() && std::ranges::all_of(e.name, [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
               c == '.';
    });
    if (!name_ok) problem(e.where, "a source name may contain only letters, digits, '-', '_' and '.'");

    // Secret: inline or from a file, exactly one.
    const Value* secret = get("secret");
    const Value* secret_file = get("secret_file");
    if (secret && secret_file)
        problem(secret_file->where, "set either secret or secret_file, not both");
    else if (secret) {
        s.auth.secret = secret->text();
        s.secret_origin = "inline at " + secret->where;
    } else if (secret_file) {
        std::filesystem::path p = secret_file->text();
        if (p.is_relative()) p = config_dir / p;
        s.secret_origin = p.string();
        if (auto content = util::read_file(p); !content)
            problem(secret_file->where, fmt::format("cannot read secret_file: {}", content.error().message));
        else {
            s.auth.secret = std::string(util::trim(*content));
            struct stat st {};
            if (::stat(p.c_str(), &st) == 0 && (st.st_mode & S_IROTH) && warned_files.insert(p.string()).second)
                out.warnings.push_back(
                    {secret_file->where, fmt::format("secret_file {} is world-readable (chmod 600 it)", p.string())});
        }
    } else {
        problem(e.where, "no secret: set secret_file (or secret)");
    }
    if ((secret || secret_file) && s.auth.secret.empty() && !(secret && secret_file))
        problem((secret ? secret : secret_file)->where, "the shared secret is empty");

    if (const Value* v = get("auth")) {
        if (auto m = bbb::auth_mode_from_name(v->text()))
            s.auth.mode = *m;
        else
            problem(v->where, fmt::format("auth '{}' is not one of any, bearer, checksum", util::printable(v->text())));
    }
    if (const Value* v = get("legacy_checksum")) {
        for (const auto& item : v->items) {
            if (item == "v2")
                s.auth.legacy_v2 = true;
            else if (item == "v3-constant")
                s.auth.legacy_v3_constant = true;
            else
                problem(v->where,
                        fmt::format("legacy_checksum '{}' is not one of v2, v3-constant", util::printable(item)));
        }
    }

    // The callback URL as registered, and the path we serve it on.
    std::string url_path;
    if (const Value* v = get("callback_url")) {
        s.auth.callback_url = v->text();
        std::string_view url = s.auth.callback_url;
        size_t scheme = url.find("://");
        if (!(url.starts_with("http://") || url.starts_with("https://")) || scheme == std::string_view::npos)
            problem(v->where, "callback_url must start with http:// or https://");
        else {
            size_t path_start = url.find('/', scheme + 3);
            url_path = path_start == std::string_view::npos
                           ? "/"
                           : std::string(url.substr(path_start, url.find('?', path_start) - path_start));
        }
    } else if (s.auth.mode == bbb::AuthMode::checksum) {
        problem(e.where, "auth = checksum needs callback_url: the checksum covers the URL exactly as registered");
    } else if (s.auth.mode == bbb::AuthMode::any) {
        out.warnings.push_back(
            {e.where, fmt::format("source.{}: no callback_url, so only bearer tokens can be verified", e.name)});
    }
    if (const Value* v = get("path")) {
        s.path = v->text();
        if (!s.path.starts_with('/') || s.path.find('?') != std::string::npos)
            problem(v->where, "path must start with '/' and hold no query");
    } else {
        s.path = url_path.empty() ? "/bbb/" + e.name : url_path;
    }
    resolve_source_hooks(e, s, out);
    if (s.path == "/healthz" || s.path == "/metrics") problem(e.where, fmt::format("path {} is reserved", s.path));
    if (!paths.insert(s.path).second)
        problem(e.where, fmt::format("path {} is already used by another source", s.path));
    out.config.sources.push_back(std::move(s));
}

} // namespace

Resolved resolve(const Layers& layers) {
    Resolved out;
    out.problems = layers.problems;
    Reader r(layers, out);
    Config& c = out.config;

    // data_dir: a default that depends on where we run.
    const Value& dd = r.value("data_dir");
    if (dd.origin == Origin::builtin) {
        auto it = layers.environment.find("STATE_DIRECTORY");
        // systemd may list several folders (':'-separated): the first one. A blank value counts as unset.
        auto state_dirs =
            it != layers.environment.end() ? util::split_list(it->second, ':') : std::vector<std::string>{};
        c.data_dir =
            !state_dirs.empty() ? std::filesystem::path(state_dirs.front()) : std::filesystem::path("bbbhook-data");
    } else {
        c.data_dir = dd.text();
    }
    c.log_level =
        r.get("log_level", util::LogLevel::info, util::log_level_from_name, "trace, debug, info, warn, error or off");

    c.database = path_setting(r.value("database"), c.data_dir);
    c.ingest.idle_close = r.get("ingest.idle_close", c.ingest.idle_close, util::parse_duration, "a duration like 6h");
    if (c.ingest.idle_close < std::chrono::minutes(1))
        r.problem(r.value("ingest.idle_close"), "ingest.idle_close", "must be at least 1m");
    c.ingest.batch = r.get("ingest.batch", 20000, parse_int, "a whole number");
    if (c.ingest.batch < 1 || c.ingest.batch > 10'000'000)
        r.problem(r.value("ingest.batch"), "ingest.batch", "must be 1 to 10000000");
    c.journal.dir = path_setting(r.value("journal.dir"), c.data_dir);
    c.journal.rotate_size = r.get("journal.rotate_size", c.journal.rotate_size, util::parse_size, "a size like 64MiB");
    c.journal.rotate_age =
        r.get("journal.rotate_age", c.journal.rotate_age, util::parse_duration, "a duration like 1d or 6h");
    c.journal.durability = r.get(
        "journal.durability", journal::Durability::sync,
        [](std::string_view s) -> std::optional<journal::Durability> {
            if (s == "sync") return journal::Durability::sync;
            if (s == "none") return journal::Durability::none;
            return std::nullopt;
        },
        "sync or none");
    c.journal.spare_files = r.get(
        "journal.preallocate", true,
        [](std::string_view s) -> std::optional<bool> {
            if (s == "zeros") return true;
            if (s == "reserve") return false;
            return std::nullopt;
        },
        "zeros or reserve");
    if (c.journal.rotate_size < 4096)
        r.problem(r.value("journal.rotate_size"), "journal.rotate_size", "must be at least 4KiB");
    if (c.journal.rotate_age < std::chrono::seconds(1))
        r.problem(r.value("journal.rotate_age"), "journal.rotate_age", "must be at least 1s");

    const Value& listen = r.value("serve.listen");
    for (const auto& item : listen.items) {
        if (auto ep = parse_endpoint(item))
            c.serve.listen.push_back(*ep);
        else
            r.problem(listen, "serve.listen",
                      fmt::format("invalid address '{}': expected HOST:PORT or [IPv6]:PORT", util::printable(item)));
    }
    if (listen.items.empty()) r.problem(listen, "serve.listen", "no address to listen on");
    c.serve.max_body = r.get("serve.max_body", c.serve.max_body, util::parse_size, "a size like 1MiB");
    if (c.serve.max_body == 0 || c.serve.max_body > journal::k_max_payload / 2)
        r.problem(r.value("serve.max_body"), "serve.max_body", "must be between 1 byte and 128MiB");
    c.serve.threads = r.get("serve.threads", c.serve.threads, parse_int, "a whole number");
    if (c.serve.threads < 1 || c.serve.threads > 64)
        r.problem(r.value("serve.threads"), "serve.threads", "must be 1 to 64");
    c.serve.read_timeout =
        r.get("serve.read_timeout", c.serve.read_timeout, util::parse_duration, "a duration like 10s");
    c.serve.quarantine = r.get("serve.quarantine", false, parse_bool, "true or false");
    c.serve.quarantine_dir = path_setting(r.value("serve.quarantine_dir"), c.data_dir);
    c.serve.quarantine_max =
        r.get("serve.quarantine_max", c.serve.quarantine_max, util::parse_size, "a size like 256MiB");

    c.hooks.timeout = r.get("hooks.timeout", c.hooks.timeout, util::parse_duration, "a duration like 15s");
    c.hooks.connect_timeout =
        r.get("hooks.connect_timeout", c.hooks.connect_timeout, util::parse_duration, "a duration like 5s");
    for (auto [key, value] :
         {std::pair{"hooks.timeout", c.hooks.timeout}, {"hooks.connect_timeout", c.hooks.connect_timeout}})
        if (value < std::chrono::milliseconds(100) || value > std::chrono::hours(1))
            r.problem(r.value(key), key, "must be between 100ms and 1h");
    c.hooks.retries = r.get("hooks.retries", c.hooks.retries, parse_int, "a whole number");
    if (c.hooks.retries < 0 || c.hooks.retries > 10)
        r.problem(r.value("hooks.retries"), "hooks.retries", "must be 0 to 10");
    c.hooks.ca_file = r.text("hooks.ca_file");

    std::set<std::string> paths, warned_files;
    auto config_dir = layers.file.empty() ? std::filesystem::current_path() : layers.file.parent_path();
    for (const auto& e : layers.sources)
        resolve_source(e, config_dir, out, paths, warned_files);

    // Report file problems in line order (toml++ walks keys alphabetically), then the others.
    auto line_of = [](const Problem& p) -> std::optional<std::pair<std::string, long>> {
        size_t colon = p.where.rfind(':');
        if (colon == std::string::npos || colon + 1 == p.where.size()) return std::nullopt;
        long line = 0;
        auto [ptr, ec] = std::from_chars(p.where.data() + colon + 1, p.where.data() + p.where.size(), line);
        if (ec != std::errc() || ptr != p.where.data() + p.where.size()) return std::nullopt;
        return std::pair{p.where.substr(0, colon), line};
    };
    std::ranges::stable_sort(out.problems, [&](const Problem& a, const Problem& b) {
        auto la = line_of(a), lb = line_of(b);
        if (la && lb) return *la < *lb;
        return la.has_value() && !lb.has_value();
    });
    return out;
}

} // namespace bbbhook::config
