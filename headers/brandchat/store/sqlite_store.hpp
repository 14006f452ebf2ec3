// The embedded store: one SQLite file (WAL mode, synchronous=NORMAL), its schema upgraded at
// open, exchanges written in one transaction per turn of the event loop. See store.hpp for the
// contract and the README ("Data") for backups and what a power loss can cost.
#pragma once

#include "brandchat/store/store.hpp"

#include <memory>

namespace brandchat {

// Opens or creates the file and brings its schema up to date. Throws std::runtime_error with a
// message a user can act on when the file is not a brandchat database, is corrupt, is newer than
// this server, or cannot be written; the file is left as it was.
std::unique_ptr<Store> open_sqlite_store(StoreOptions const& options);

// `brandchat --checkpoint-log FILE`: copies the file's write-ahead log into it and syncs it
// (SQLite's PASSIVE checkpoint) on a connection of this process, for a server that has the file
// open (StoreOptions::checkpoint_program). 0 when done, 1 with a message on stderr when not.
int checkpoint_sqlite_log(std::string const& path);

// The schema version this server writes (PRAGMA user_version).
int sqlite_schema_version();

// For tests of upgrades: creates `path` with the schema as it was at `version` (1 ≤ version ≤
// sqlite_schema_version()), nothing in it.
void create_sqlite_schema_at(std::string const& path, int version);

} // namespace brandchat
