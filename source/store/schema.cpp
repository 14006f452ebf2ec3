#include "schema.hpp"

#include <array>
#include <string_view>

namespace brandchat::store_schema {

namespace {

// PRAGMA application_id of a brandchat database: "bcht". A SQLite file with another one is
// someone else's and is never written to.
constexpr std::int64_t application_id = 0x62636874;

// Times are milliseconds since the epoch (INTEGER). JSON columns hold what Boost.JSON wrote.
constexpr std::array<std::string_view, 5> migrations = {
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
    // 2: products get a stable row number and a full-text index (FTS5) over their words that
    // triggers keep in step, and brands a table of their words: for catalogs too large to rank
    // in memory. Conversations lose an index nothing used.
    R"sql(
CREATE TABLE products_numbered (
    n INTEGER PRIMARY KEY,
    brand_id TEXT NOT NULL REFERENCES brands(id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    category TEXT NOT NULL,
    price REAL NOT NULL CHECK (price >= 0),
    features TEXT NOT NULL DEFAULT '[]',
    specifications TEXT NOT NULL DEFAULT '{}',
    availability INTEGER NOT NULL DEFAULT 1,
    kinds TEXT NOT NULL DEFAULT '',              -- the kinds of product it is (ranking.hpp), space-separated
    UNIQUE (brand_id, id)
) STRICT;
INSERT INTO products_numbered (brand_id, id, position, name, description, category, price, features, specifications, availability)
    SELECT brand_id, id, position, name, description, category, price, features, specifications, availability
    FROM products ORDER BY brand_id, position;
DROP TABLE products;
ALTER TABLE products_numbered RENAME TO products;
CREATE INDEX products_in_order ON products (brand_id, position);
CREATE INDEX products_by_price ON products (brand_id, price);
CREATE INDEX products_by_category ON products (brand_id, category, position);
-- Each brand's words and how many of its products use them (search/vocabulary.hpp), written with
-- its products; with products' kinds, worked out for a brand upgraded from schema 1 at its first load.
CREATE TABLE brand_words (
    brand_id TEXT NOT NULL REFERENCES brands(id) ON DELETE CASCADE,
    word TEXT NOT NULL,
    products INTEGER NOT NULL,
    PRIMARY KEY (brand_id, word)
) STRICT, WITHOUT ROWID;
-- Each product under each of its kinds, by price: "the cheapest phone" without reading the rest.
CREATE TABLE product_kinds (
    brand_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    price REAL NOT NULL,
    n INTEGER NOT NULL REFERENCES products(n) ON DELETE CASCADE,
    PRIMARY KEY (brand_id, kind, price, n)
) STRICT, WITHOUT ROWID;
CREATE INDEX product_kinds_by_product ON product_kinds (n);
-- Every exchange moves a conversation's updated_at: each index on it is one more page written per
-- exchange, and this one had no query.
DROP INDEX conversations_by_brand;
CREATE VIRTUAL TABLE product_text USING fts5 (
    brand_id UNINDEXED, name, category, description, features, specifications, kinds,
    content = 'products', content_rowid = 'n', tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER product_text_insert AFTER INSERT ON products BEGIN
    INSERT INTO product_text (rowid, brand_id, name, category, description, features, specifications, kinds)
    VALUES (new.n, new.brand_id, new.name, new.category, new.description, new.features, new.specifications, new.kinds);
END;
CREATE TRIGGER product_text_delete AFTER DELETE ON products BEGIN
    INSERT INTO product_text (product_text, rowid, brand_id, name, category, description, features, specifications, kinds)
    VALUES ('delete', old.n, old.brand_id, old.name, old.category, old.description, old.features, old.specifications, old.kinds);
END;
CREATE TRIGGER product_text_update AFTER UPDATE ON products BEGIN
    INSERT INTO product_text (product_text, rowid, brand_id, name, category, description, features, specifications, kinds)
    VALUES ('delete', old.n, old.brand_id, old.name, old.category, old.description, old.features, old.specifications, old.kinds);
    INSERT INTO product_text (rowid, brand_id, name, category, description, features, specifications, kinds)
    VALUES (new.n, new.brand_id, new.name, new.category, new.description, new.features, new.specifications, new.kinds);
END;
INSERT INTO product_text (product_text) VALUES ('rebuild');
)sql",
    // 3: a brand's words also count the products naming them (product lines and models the query
    // reader recognizes). Every brand's words and kinds are worked out again at its next load in
    // store mode (the kinds follow the query reader's concepts, which changed with it).
    R"sql(
ALTER TABLE brand_words ADD COLUMN in_names INTEGER NOT NULL DEFAULT 0;
DELETE FROM brand_words;
)sql",
    // 5 (below): products' optional picture and page.
    // 4: API keys for the management API, as SHA-256 hashes (never the keys).
    R"sql(
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE CHECK (length(hash) = 64), -- SHA-256, in hex
    brand_id TEXT,                               -- NULL: an admin key
    label TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
) STRICT;
)sql",
    // 5: a product's picture and its page in the shop (absolute http(s) addresses; '' for none).
    R"sql(
ALTER TABLE products ADD COLUMN image_url TEXT NOT NULL DEFAULT '';
ALTER TABLE products ADD COLUMN url TEXT NOT NULL DEFAULT '';
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
