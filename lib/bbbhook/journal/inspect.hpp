#pragma once
// `bbbhook journal dump` and `bbbhook journal verify`: read a journal folder as a sysadmin would.
#include <cstdio>
#include <filesystem>
#include <optional>

#include "bbbhook/journal/position.hpp"
#include "bbbhook/util/error.hpp"

namespace bbbhook::journal {

struct DumpOptions {
    std::filesystem::path dir;
    Position from;
    bool json = false;   // one JSON object per line instead of a table
    bool events = false; // each callback's events, decoded, one JSON per line (for jq)
    std::optional<uint64_t> limit;
};
// Prints the records in write order (corrupt regions and torn tails as warnings on stderr).
ExitCode dump(const DumpOptions& options, std::FILE* out);

struct VerifySummary {
    uint64_t files = 0, records = 0, corrupt_regions = 0, corrupt_bytes = 0, torn_tails = 0, torn_bytes = 0,
             pending_bytes = 0;
};
// Reads every file, checking every record's CRC. ok if all is intact, data if anything was
// skipped (each place is printed with its file and offset).
ExitCode verify(const std::filesystem::path& dir, std::FILE* out, VerifySummary* summary = nullptr);

// "FILE:OFFSET" -> Position.
std::optional<Position> parse_position(std::string_view text);

// The event ids of a callback body (mapped `data.id`, raw `envelope.name` or `header.name`),
// comma-separated; "?" for what cannot be read.
std::string event_ids(std::string_view body);

} // namespace bbbhook::journal
