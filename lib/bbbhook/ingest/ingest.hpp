#pragma once
// `bbbhook ingest`: the journal, read from its checkpoint, sessionized into SQLite, exactly once
// (docs/INGEST.md).
#include <chrono>
#include <cstdint>
#include <filesystem>

#include "bbbhook/util/error.hpp"

namespace bbbhook::ingest {

struct IngestOptions {
    std::filesystem::path journal_dir;
    std::filesystem::path database;
    std::chrono::milliseconds idle_close = std::chrono::hours(6);
    int64_t batch_records = 20000; // journal records per transaction
    bool follow = false;           // keep tailing the journal
    std::chrono::milliseconds follow_interval = std::chrono::seconds(1);
    bool rebuild = false;  // recreate the database from all journal files
    bool progress = false; // progress lines on stderr
    // With this much journal (bytes) ahead of the checkpoint, the per-person reader indexes are
    // dropped and built again at the end of the catch-up (store::reader_indexes). Not a setting:
    // tests use it.
    uint64_t bulk_bytes = 64ull << 20;
    // People kept in memory (about 130 bytes each); more, and the cache is cleared. Not a
    // setting: tests use it.
    size_t people_cache = 50000;
    // At most this many people in the directory of a run into an empty people table: 750,000
    // fill at most 1M slots of 8 bytes. More, and people are looked up by their key. Not a
    // setting: tests use it.
    size_t people_directory = 750000;
};

struct IngestSummary {
    uint64_t records = 0, events = 0, bad_records = 0, corrupt_regions = 0, torn_tails = 0;
    uint64_t meetings_updated = 0;
};

// Runs ingest once (or, with follow, until SIGTERM/SIGINT). Fails with temp_fail when another
// ingest holds the database, data when the journal or database is inconsistent, io on SQLite or
// read errors.
Result<IngestSummary> run_ingest(const IngestOptions& options);

// The command: run_ingest plus a summary line. Returns the exit code.
ExitCode run(const IngestOptions& options);

} // namespace bbbhook::ingest
