#include "bbbhook/config/layers.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <unistd.h>

#define TOML_EXCEPTIONS 1
#include <toml++/toml.h>

#include "bbbhook/config/settings.hpp"
#include "bbbhook/util/text.hpp"

extern char** environ;

namespace bbbhook::config {

std::string Value::text() const {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) out += ", ";
        out += item;
    }
    return out;
}

const Value& Layers::get(std::string_view key) const {
    auto it = values.find(key);
    if (it == values.end()) throw std::logic_error(fmt::format("config: no setting '{}'", key));
    return it->second;
}

std::map<std::string, std::string> process_environment() {
    std::map<std::string, std::string> env;
    for (char** e = environ; e && *e; ++e) {
        std::string_view kv(*e);
        auto eq = kv.find('=');
        if (eq == std::string_view::npos) continue;
        auto name = kv.substr(0, eq);
        if (name.starts_with("BBBHOOK_") || name == "STATE_DIRECTORY")
            env.emplace(std::string(name), std::string(kv.substr(eq + 1)));
    }
    return env;
}

namespace {

std::string location(const std::filesystem::path& file, const toml::source_region& where) {
    return fmt::format("{}:{}", file.string(), where.begin.line);
}

// A TOML scalar or array of scalars as text items; nullopt for tables and nested arrays.
std::optional<std::vector<std::string>> node_items(const toml::node& node) {
    auto scalar = [](const toml::node& n) -> std::optional<std::string> {
        if (auto s = n.as_string()) return s->get();
        if (auto i = n.as_integer()) return std::to_string(i->get());
        if (auto b = n.as_boolean()) return b->get() ? "true" : "false";
        if (auto f = n.as_floating_point()) return fmt::format("{}", f->get());
        return std::nullopt;
    };
    if (auto arr = node.as_array()) {
        std::vector<std::string> items;
        for (const auto& el : *arr) {
            auto s = scalar(el);
            if (!s) return std::nullopt;
            items.push_back(*s);
        }
        return items;
    }
    auto s = scalar(node);
    if (!s) return std::nullopt;
    return std::vector<std::string>{*s};
}

std::vector<std::string> all_keys() {
    std::vector<std::string> keys;
    for (const auto& s : specs())
        keys.emplace_back(s.key);
    return keys;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
    auto m = util::closest_match(word, candidates);
    return m ? fmt::format(" (did you mean '{}'?)", *m) : std::string();
}

void read_source_table(Layers& layers, const std::string& name, const toml::table& table,
                       const std::filesystem::path& file) {
    SourceEntry entry{name, location(file, table.source()), {}};
    std::vector<std::string> allowed;
    for (const auto& k : source_keys())
        allowed.emplace_back(k.key);
    for (const auto& [k, node] : table) {
        std::string key(k.str());
        std::string where = location(file, node.source());
        if (std::ranges::find(allowed, key) == allowed.end()) {
            layers.problems.push_back(
                {where, fmt::format("unknown key '{}' in [source.{}]{}", key, name, did_you_mean(key, allowed))});
            continue;
        }
        auto items = node_items(node);
        if (!items) {
            layers.problems.push_back({where, fmt::format("source.{}.{}: expected a value or a list", name, key)});
            continue;
        }
        entry.values[key] = Value{*items, Origin::file, where};
    }
    layers.sources.push_back(std::move(entry));
}

void read_file_layer(Layers& layers, const std::filesystem::path& file) {
    toml::table root;
    try {
        root = toml::parse_file(file.string());
    } catch (const toml::parse_error& e) {
        layers.problems.push_back({location(file, e.source()), fmt::format("syntax error: {}", e.description())});
        return;
    }
    auto keys = all_keys();
    // Walk the tree: leaves become dotted keys; [source.NAME] tables are sources.
    auto visit = [&](auto& self, const toml::table& table, const std::string& prefix) -> void {
        for (const auto& [k, node] : table) {
            std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
            std::string where = location(file, node.source());
            if (key == "source") {
                const auto* sources = node.as_table();
                if (!sources) {
                    layers.problems.push_back({where, "'source' must be a table of [source.NAME] tables"});
                    continue;
                }
                for (const auto& [name, src] : *sources) {
                    if (const auto* t = src.as_table())
                        read_source_table(layers, std::string(name.str()), *t, file);
                    else
                        layers.problems.push_back(
                            {location(file, src.source()), fmt::format("source.{} must be a table", name.str())});
                }
                continue;
            }
            if (const auto* t = node.as_table()) {
                self(self, *t, key);
                continue;
            }
            if (!find_spec(key)) {
                layers.problems.push_back({where, fmt::format("unknown setting '{}'{}", key, did_you_mean(key, keys))});
                continue;
            }
            auto items = node_items(node);
            if (!items) {
                layers.problems.push_back({where, fmt::format("{}: expected a value or a list of values", key)});
                continue;
            }
            layers.values[key] = Value{*items, Origin::file, where};
        }
    };
    visit(visit, root, "");
}

} // namespace

Layers load_layers(const LoadRequest& request) {
    Layers layers;
    layers.environment = request.environment;

    // 1. Built-in defaults.
    for (const auto& s : specs())
        layers.values[std::string(s.key)] = Value{{std::string(s.default_text)}, Origin::builtin, "default"};

    // 2. The config file: an explicit one must exist; the default one may be absent.
    std::optional<std::filesystem::path> path = request.config_path;
    std::string path_where = "--config";
    if (!path) {
        if (auto it = request.environment.find(std::string(k_config_env)); it != request.environment.end()) {
            path = it->second;
            path_where = std::string(k_config_env);
        }
    }
    if (path) {
        std::error_code ec;
        if (!std::filesystem::is_regular_file(*path, ec))
            layers.problems.push_back(
                {path_where, fmt::format("config file {} does not exist or is not a file", path->string())});
        else if (::access(path->c_str(), R_OK) != 0)
            layers.problems.push_back({path_where, fmt::format("config file {} is not readable", path->string())});
        else {
            layers.file = *path;
            read_file_layer(layers, *path);
        }
    } else if (std::error_code ec; std::filesystem::exists(k_default_config_path, ec)) {
        layers.file = k_default_config_path;
        read_file_layer(layers, layers.file);
    }

    // 3. BBBHOOK_* environment variables.
    std::map<std::string, std::string, std::less<>> env_to_key;
    for (const auto& s : specs())
        env_to_key[env_name(s.key)] = std::string(s.key);
    std::vector<std::string> env_names;
    for (const auto& [n, k] : env_to_key)
        env_names.push_back(n);
    for (const auto& [name, value] : request.environment) {
        if (!name.starts_with("BBBHOOK_") || name == k_config_env) continue;
        auto it = env_to_key.find(name);
        if (it == env_to_key.end()) {
            layers.problems.push_back(
                {name, fmt::format("unknown environment variable{}", did_you_mean(name, env_names))});
            continue;
        }
        const Spec* spec = find_spec(it->second);
        std::vector<std::string> items = spec->kind == Kind::list ? util::split_list(value) : std::vector{value};
        layers.values[it->second] = Value{std::move(items), Origin::environment, name};
    }

    // 4. Command-line flags, in the order given; a repeated list flag accumulates.
    std::map<std::string, Value> flag_values;
    for (const auto& f : request.flags) {
        const Spec* spec = find_spec(f.key);
        auto& v = flag_values[f.key];
        std::vector<std::string> items;
        for (const auto& item : f.items) {
            if (spec && spec->kind == Kind::list)
                for (auto& piece : util::split_list(item))
                    items.push_back(std::move(piece));
            else
                items.push_back(item);
        }
        if (spec && spec->kind == Kind::list && v.origin == Origin::flag)
            v.items.insert(v.items.end(), items.begin(), items.end());
        else
            v = Value{std::move(items), Origin::flag, f.flag};
    }
    for (auto& [k, v] : flag_values)
        layers.values[k] = std::move(v);
    return layers;
}

} // namespace bbbhook::config
