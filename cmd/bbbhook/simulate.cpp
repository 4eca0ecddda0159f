// `bbbhook simulate`: options -> SimulateOptions -> simulate::run. Needs no configuration file:
// every knob is a plain option, and the output (a folder or a URL) is always given explicitly.
#include "bbbhook/simulate/simulate.hpp"
#include "commands.hpp"

namespace bbbhook::cmd {

namespace {

void add_generator_options(CLI::App& sub, simulate::GeneratorOptions& g, std::string& start) {
    sub.add_option("--seed", g.seed, "Seed: the same seed and options give byte-identical traffic")
        ->capture_default_str();
    sub.add_option("--servers", g.servers, "BBB servers, named bbb1.example.org, bbb2.example.org, …")
        ->check(CLI::Range(1, 1000))
        ->capture_default_str();
    auto* meetings = sub.add_option("--meetings", g.meetings, "Meetings to generate, breakout rooms not counted")
                         ->check(CLI::Range(1, 10'000'000))
                         ->capture_default_str();
    sub.add_option("--callbacks", g.target_callbacks, "Generate meetings until about N callbacks (for benchmarks)")
        ->check(CLI::Range(uint64_t{1}, uint64_t{10'000'000'000}))
        ->excludes(meetings)
        ->type_name("N");
    sub.add_option("--start", start, "When the first day starts, UTC [default: 2026-10-05T08:00:00Z]")
        ->type_name("TIME");
    const std::pair<const char*, double*> rates[] = {
        {"--duplicates", &g.duplicates}, {"--reorder", &g.reorder},   {"--crashed", &g.crashed},
        {"--breakouts", &g.breakouts},   {"--guests", &g.guests},     {"--two-tabs", &g.two_tabs},
        {"--rejoins", &g.rejoins},       {"--recorded", &g.recorded},
    };
    const char* help[] = {
        "Probability that a callback is delivered twice",
        "Probability that a callback is retried and arrives after later ones",
        "Share of meetings whose end is lost (no meeting-ended)",
        "Share of meetings with 1-4 breakout rooms",
        "Share of meetings with 1-3 guests",
        "Probability that a participant opens a second tab",
        "Probability that a participant drops and joins again",
        "Share of recordable meetings that are recorded",
    };
    for (size_t i = 0; i < std::size(rates); ++i)
        sub.add_option(rates[i].first, *rates[i].second, help[i])
            ->check(CLI::Range(0.0, 1.0))
            ->type_name("P")
            ->capture_default_str();
}

void add_output_options(CLI::App& sub, simulate::SimulateOptions& o, std::string& auth) {
    auto* dir = sub.add_option("--journal-dir", o.journal_dir, "Write the callbacks into this journal folder")
                    ->type_name("DIR");
    auto* post = sub.add_option("--post", o.post_url, "POST the callbacks to this serve source URL")
                     ->type_name("URL")
                     ->excludes(dir);
    auto* secret = sub.add_option("--secret", o.secret, "The shared secret (visible in ps: prefer --secret-file)")
                       ->type_name("SECRET")
                       ->needs(post);
    sub.add_option("--secret-file", o.secret_file, "File holding the shared secret")
        ->type_name("FILE")
        ->needs(post)
        ->excludes(secret);
    sub.add_option("--auth", auth, "How callbacks prove they come from BBB")
        ->check(CLI::IsMember({"bearer", "checksum"}))
        ->capture_default_str()
        ->needs(post);
    sub.add_option("--callback-url", o.callback_url, "Checksum mode: the URL as registered with BBB [default: --post]")
        ->type_name("URL")
        ->needs(post);
    sub.add_option("--concurrency", o.concurrency, "Requests in flight")
        ->check(CLI::Range(1, 256))
        ->capture_default_str()
        ->needs(post);
    sub.add_flag("--stats", o.stats, "Also print how many events of each kind were generated");
}

} // namespace

void setup_simulate(CLI::App& sub, cli::Context& ctx) {
    static simulate::SimulateOptions options;
    static std::string start;
    static std::string auth = "bearer";
    add_generator_options(sub, options.generator, start);
    add_output_options(sub, options, auth);
    sub.footer("Exactly one of --journal-dir and --post. See bbbhook-simulate(1).");
    sub.callback([&ctx] {
        if (!start.empty()) {
            auto ms = simulate::parse_utc_time(start);
            if (!ms) throw Failure(ExitCode::usage, "--start: expected a UTC time such as 2026-10-05T08:00:00Z");
            options.generator.start_ms = *ms;
        }
        options.auth = auth == "checksum" ? simulate::PostAuth::checksum : simulate::PostAuth::bearer;
        ctx.exit = simulate::run(options);
    });
}

} // namespace bbbhook::cmd
