#pragma once
// The database schema (docs/SCHEMA.md) and its forward migrations, versioned by PRAGMA user_version.
#include <filesystem>

#include "bbbhook/util/sqlite.hpp"

namespace bbbhook::store {

inline constexpr int k_schema_version = 2;

// Opens the database and brings its schema to k_schema_version (in one transaction per step).
// Fails with data when the file holds a newer schema than this bbbhook knows, cant_create/no_input
// when it cannot be opened.
Result<util::Db> open_database(const std::filesystem::path& path,
                               util::Db::Mode mode = util::Db::Mode::read_write_create);

} // namespace bbbhook::store
