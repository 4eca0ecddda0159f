#pragma once
// The database schema (docs/SCHEMA.md) and its forward migrations, versioned by PRAGMA user_version.
#include <filesystem>
#include <span>

#include "bbbhook/util/sqlite.hpp"

namespace bbbhook::store {

inline constexpr int k_schema_version = 6;

// Secondary indexes that only readers (report, lti-serve) use, with the exact statements that
// made them (a test checks them against a fresh database). A long catch-up of ingest drops those
// on the per-person tables (`catch_up_drops`) and creates them again at its end: building such an
// index once from sorted keys costs a fraction of maintaining it row by row. The meetings' are
// kept: a table of one row per meeting costs little to maintain, and each index built at the end
// read the whole table again while nothing else could run (docs/BENCHMARKS.md).
struct IndexDefinition {
    const char* name;
    const char* sql;
    bool catch_up_drops = false;
};
std::span<const IndexDefinition> reader_indexes();
// Creates every missing reader index (after an interrupted catch-up). Cheap when none is missing.
void ensure_reader_indexes(util::Db& db);
// Drops the reader indexes that a catch-up builds at its end (`catch_up_drops`).
void drop_reader_indexes(util::Db& db);

// The unique index on people's (server_id, user_key). Ingest looks people up by it, except while
// its cache holds every person of the database (a first run, a rebuild): a catch-up into an empty
// people table drops it and builds it at its end, or when the cache must be cleared.
void ensure_people_key_index(util::Db& db);
void drop_people_key_index(util::Db& db);

// Opens the database and brings its schema to k_schema_version (in one transaction per step).
// Fails with data when the file holds a newer schema than this bbbhook knows, cant_create/no_input
// when it cannot be opened. `vfs` as util::Db::open.
Result<util::Db> open_database(const std::filesystem::path& path,
                               util::Db::Mode mode = util::Db::Mode::read_write_create, const char* vfs = nullptr);

} // namespace bbbhook::store
