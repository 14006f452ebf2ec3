#include "schema.hpp"

#include <array>
#include <string_view>

namespace brandchat::store_schema {

namespace {

// PRAGMA application_id of a brandchat database: "bcht". A SQLite file with another one is
// someone else's and is never written to.
constexpr std::int64_t application_id = 0x62636874;

// Times are milliseconds since the epoch (INTEGER). JSON columns hold what Boost.JSON wrote.
constexpr std::array<std::string_view, 1> migrations = {
    // 1: brands, products, conversations, turns, token usage per brand.
    R"sql(
CREATE TABLE brands (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    is_active INTEGER NOT NULL DEFAULT 1,
    language TEXT NOT NULL DEFAULT 'en',
    welcome_message TEXT NOT NULL DEFAULT '',
    persona_prompt TEXT NOT NULL DEFAULT '',
    system_prompt TEXT NOT NULL DEFAULT '',
    model TEXT NOT NULL DEFAULT '',
    company_info TEXT NOT NULL DEFAULT '{}',     -- JSON object of strings, in the brand's order
    appearance TEXT NOT NULL DEFAULT '{}',       -- JSON object, passed to front ends as it is
    allowed_origins TEXT NOT NULL DEFAULT '[]',  -- JSON array of origins
    created_at TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE TABLE products (
    brand_id TEXT NOT NULL REFERENCES brands(id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    position INTEGER NOT NULL,                   -- the catalog's order
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    category TEXT NOT NULL,
    price REAL NOT NULL CHECK (price >= 0),
    features TEXT NOT NULL DEFAULT '[]',         -- JSON array of strings
    specifications TEXT NOT NULL DEFAULT '{}',   -- JSON object of strings, in order
    availability INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (brand_id, id)
) STRICT;
CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    brand_id TEXT NOT NULL,
    user_id TEXT,
    language TEXT,
    last_product_ids TEXT NOT NULL DEFAULT '[]', -- JSON array
    last_confidence REAL,
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    total_tokens INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX conversations_by_update ON conversations (updated_at);
CREATE INDEX conversations_by_brand ON conversations (brand_id, updated_at);
CREATE TABLE turns (
    id INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    content TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX turns_by_conversation ON turns (conversation_id, id);
CREATE TABLE brand_usage (
    brand_id TEXT PRIMARY KEY,
    replies INTEGER NOT NULL DEFAULT 0,
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    total_tokens INTEGER NOT NULL DEFAULT 0
) STRICT;
)sql",
};

} // namespace

int latest_version() { return static_cast<int>(migrations.size()); }

void migrate(sqlite::Database& db, std::string const& path, int target) {
    // Reading the header is the first thing done with the file: a file that is not SQLite fails
    // here, before anything is written.
    std::int64_t version = 0, app = 0, tables = 0;
    try {
        version = db.scalar("PRAGMA user_version");
        app = db.scalar("PRAGMA application_id");
        tables = db.scalar("SELECT count(*) FROM sqlite_schema");
    } catch (sqlite::Error const& e) {
        throw std::runtime_error("database " + path + " cannot be read (" + e.what() +
                                 "); it was left as it is: restore it from a backup, or point --database elsewhere");
    }
    if (app != application_id && (app != 0 || tables != 0))
        throw std::runtime_error("database " + path + " is an SQLite file of another program (application_id " +
                                 std::to_string(app) + "); it was left as it is: point --database at another file");
    if (version > latest_version())
        throw std::runtime_error("database " + path + " has schema version " + std::to_string(version) +
                                 ", newer than this server's " + std::to_string(latest_version()) +
                                 ": run a newer brandchat on it, or point --database at another file");
    if (version >= target) return;
    db.exec("BEGIN IMMEDIATE");
    try {
        for (auto v = version; v < target; ++v) db.exec(migrations[static_cast<std::size_t>(v)]);
        db.exec("PRAGMA application_id = " + std::to_string(application_id));
        db.exec("PRAGMA user_version = " + std::to_string(target));
        db.exec("COMMIT");
    } catch (...) {
        sqlite3_exec(db.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
}

} // namespace brandchat::store_schema
