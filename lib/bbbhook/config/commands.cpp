#include "bbbhook/config/commands.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bbbhook/config/config.hpp"
#include "bbbhook/config/settings.hpp"

namespace bbbhook::config {

namespace {

std::string origin_name(const Value& v) {
    switch (v.origin) {
    case Origin::builtin: return "default";
    case Origin::file: return v.where;
    case Origin::environment: return "environment " + v.where;
    case Origin::flag: return "flag " + v.where;
    }
    return "?";
}

void print_problems(const Resolved& r, std::FILE* err) {
    for (const auto& w : r.warnings)
        std::fprintf(err, "bbbhook: warning: %s\n", w.text().c_str());
    for (const auto& p : r.problems)
        std::fprintf(err, "bbbhook: %s\n", p.text().c_str());
}

// The value as shown: resolved where a default depends on other settings.
std::string shown_value(const Spec& s, const Value& v, const Config& c) {
    if (s.key == "data_dir") return c.data_dir.string();
    if (s.key == "journal.dir") return c.journal.dir.string();
    if (s.key == "database") return c.database.string();
    if (s.key == "serve.quarantine_dir") return c.serve.quarantine_dir.string();
    return v.text();
}

} // namespace

ExitCode check(const LoadRequest& request, std::FILE* out, std::FILE* err) {
    Layers layers = load_layers(request);
    Resolved r = resolve(layers);
    print_problems(r, err);
    if (!r.problems.empty()) {
        std::fprintf(err, "bbbhook: %zu problem(s) in the configuration\n", r.problems.size());
        return ExitCode::config;
    }
    if (r.config.sources.empty())
        std::fprintf(err, "bbbhook: warning: no [source.NAME] is configured: `bbbhook serve` will not start\n");
    std::fprintf(out, "configuration OK (%s; %zu source%s)\n",
                 layers.file.empty() ? "no config file, built-in defaults" : layers.file.c_str(),
                 r.config.sources.size(), r.config.sources.size() == 1 ? "" : "s");
    return ExitCode::ok;
}

ExitCode show(const LoadRequest& request, ShowFormat format, std::FILE* out, std::FILE* err) {
    Layers layers = load_layers(request);
    Resolved r = resolve(layers);
    print_problems(r, err);

    struct Row {
        std::string key, value, origin;
    };
    std::vector<Row> rows;
    for (const auto& s : specs()) {
        const Value& v = layers.get(s.key);
        rows.push_back({std::string(s.key), shown_value(s, v, r.config), origin_name(v)});
    }
    for (const auto& src : layers.sources) {
        for (const auto& [k, v] : src.values) {
            std::string value = v.text();
            if (k == "secret") value = fmt::format("(secret, {} bytes)", value.size());
            rows.push_back({fmt::format("source.{}.{}", src.name, k), value, origin_name(v)});
        }
    }

    if (format == ShowFormat::json) {
        nlohmann::ordered_json j = nlohmann::ordered_json::object();
        j["config_file"] = layers.file.string();
        for (const auto& row : rows)
            j["settings"][row.key] = {{"value", row.value}, {"origin", row.origin}};
        j["problems"] = nlohmann::json::array();
        for (const auto& p : r.problems)
            j["problems"].push_back(p.text());
        std::fprintf(out, "%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    } else {
        std::fprintf(out, "# config file: %s\n",
                     layers.file.empty() ? "(none; built-in defaults)" : layers.file.c_str());
        size_t width = 0;
        for (const auto& row : rows)
            width = std::max(width, row.key.size() + 3 + row.value.size());
        for (const auto& row : rows) {
            std::string kv = fmt::format("{} = {}", row.key, row.value);
            std::fprintf(out, "%-*s  # %s\n", static_cast<int>(width), kv.c_str(), row.origin.c_str());
        }
    }
    return r.problems.empty() ? ExitCode::ok : ExitCode::config;
}

} // namespace bbbhook::config
