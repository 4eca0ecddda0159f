#pragma once
// Test support for ingest: journals built from captured callbacks, and a canonical text dump of
// the database (natural keys, no row ids, chunking ignored) to compare two databases.
#include <filesystem>
#include <string>
#include <vector>

#include "bbbhook/ingest/sessionize.hpp"
#include "support/support.hpp"

namespace bbbhook::test {

// Writes the captures' requests into a journal folder, in the given order, each received 2 ms
// after its form timestamp (so the journal's clock follows the captured traffic).
void write_journal(const std::filesystem::path& dir, const std::vector<Capture>& captures);

// The captures of a scenario whose target path contains `pattern` (all when empty).
std::vector<Capture> captures_of(const std::string& scenario, const std::string& pattern = {});

// Every table's content, sorted by natural keys.
std::string canonical_dump(const std::filesystem::path& database);

// Events in the stored chunk format 1 (schema 1 and 2), as bbbhook wrote them before format 2:
// per event zig(ts), kind, bits, then the five strings as length and bytes (docs/SCHEMA.md).
std::string encode_events_format1(const std::vector<ingest::StoredEvent>& events);

// Runs `bbbhook ingest` with an empty config on these folders; extra arguments are appended.
RunResult run_ingest(const std::filesystem::path& journal, const std::filesystem::path& database,
                     const std::vector<std::string>& extra = {});

} // namespace bbbhook::test
