// The SQLite schema as a list of migrations: migration N takes a file from version N-1 to N
// (PRAGMA user_version). A file at an older version is upgraded at open, in one transaction; a
// newer one is refused. Append a migration to change the schema; never edit one that shipped.
#pragma once

#include "sqlite_db.hpp"

namespace brandchat::store_schema {

int latest_version();
// Brings `db` from its version to `target` (≤ latest_version()), all or nothing. Throws
// std::runtime_error naming `path` when the file is newer or not a brandchat database.
void migrate(sqlite::Database& db, std::string const& path, int target);

} // namespace brandchat::store_schema
