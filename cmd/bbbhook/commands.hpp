#pragma once
// The table of bbbhook's subcommands; `bbbhook --help` is generated from it.
#include <span>

#include "bbbhook/cli/app.hpp"

namespace bbbhook::cmd {

void setup_serve(CLI::App& sub, cli::Context& ctx);
void setup_ingest(CLI::App& sub, cli::Context& ctx);
void setup_config(CLI::App& sub, cli::Context& ctx);
void setup_journal(CLI::App& sub, cli::Context& ctx);
void setup_simulate(CLI::App& sub, cli::Context& ctx);
void setup_hooks(CLI::App& sub, cli::Context& ctx);
void setup_report(CLI::App& sub, cli::Context& ctx);

inline std::span<const cli::Command> commands() {
    static constexpr cli::Command table[] = {
        {"serve", "Receive BBB webhook callbacks and journal them durably", setup_serve},
        {"ingest", "Sessionize the journal into the attendance database, exactly once", setup_ingest},
        {"hooks", "Register, list, destroy and keep alive our webhook on the BBB servers", setup_hooks},
        {"report", "Write attendance reports (PDF, CSV, JSON, or a table) filtered by date, name, course …",
         setup_report},
        {"journal", "Inspect and verify the journal (dump, verify)", setup_journal},
        {"config", "Check the configuration or show every value and its origin", setup_config},
        {"simulate", "Generate realistic BBB webhook traffic (journal files or live POSTs)", setup_simulate},
    };
    return table;
}

} // namespace bbbhook::cmd
