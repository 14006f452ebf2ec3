#include "brandchat/store/sqlite_store.hpp"

#include "brandchat/catalog/query.hpp"
#include "brandchat/catalog/ranking.hpp"
#include "brandchat/language/text.hpp"
#include "brandchat/log.hpp"
#include "brandchat/search/vocabulary.hpp"
#include "schema.hpp"
#include "sqlite_db.hpp"
#include "sqlite_store_impl.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <unordered_set>

namespace brandchat {

namespace asio = boost::asio;
namespace json = boost::json;

std::int64_t wall_clock_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

int sqlite_schema_version() { return store_schema::latest_version(); }

namespace sqlite_store {

// Conversations deleted per expiry step (with their turns), so a step is one small transaction.
constexpr int expiry_batch = 100;

std::string json_strings(std::vector<std::string> const& items) {
    json::array a;
    for (auto const& s : items) a.emplace_back(s);
    return json::serialize(a);
}

std::string json_pairs(std::vector<std::pair<std::string, std::string>> const& items) {
    json::object o;
    for (auto const& [k, v] : items) o[k] = v;
    return json::serialize(o);
}

// A JSON column back as values; what is not the expected shape reads as empty (the store wrote it).
std::vector<std::string> strings_of(std::string const& text) {
    std::vector<std::string> out;
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    if (!ec && v.is_array())
        for (auto const& item : v.get_array())
            if (item.is_string()) out.emplace_back(item.get_string());
    return out;
}

std::vector<std::pair<std::string, std::string>> pairs_of(std::string const& text) {
    std::vector<std::pair<std::string, std::string>> out;
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    if (!ec && v.is_object())
        for (auto const& [k, item] : v.get_object())
            out.emplace_back(std::string(k), item.is_string() ? std::string(item.get_string()) : json::serialize(item));
    return out;
}

// A product's kinds as the kinds column holds them: concept names ("mesin cuci" has a space)
// separated by '|', which the full-text index also takes for a separator.
std::string kinds_text(Product const& p) {
    std::string out;
    for (auto const* c : kinds_of_product(p)) {
        if (!out.empty()) out += '|';
        out += c->name;
    }
    return out;
}

// The concept a kind's name names, or null.
Concept const* kind_named(std::string_view name) {
    for (auto const& c : concepts())
        if (c.name == name) return &c;
    return nullptr;
}

Product product_from(sqlite::Statement const& row) {
    Product p;
    p.id = row.text(1);
    p.name = row.text(2);
    p.description = row.text(3);
    p.category = row.text(4);
    p.price = row.real(5);
    p.features = strings_of(row.text(6));
    p.specifications = pairs_of(row.text(7));
    p.availability = row.integer(8) != 0;
    for_each_kind(row.text(9), [&](std::string_view name) {
        if (auto const* c = kind_named(name)) p.kinds.push_back(c);
    });
    p.image_url = row.text(10);
    p.url = row.text(11);
    derive_product_fields(p, false);
    return p;
}

// An FTS5 string: quoted (a phrase when it has spaces), quotes doubled.
void append_quoted(std::string& out, std::string_view text) {
    out += '"';
    for (char c : text) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
}

// An FTS5 query: the kinds in the columns that say what a product is, and every group (but
// `skip`), each by any of its words.
std::string match_groups(std::vector<std::string> const& kinds, std::vector<std::vector<std::string>> const& groups,
                         std::size_t skip = SIZE_MAX) {
    std::string out;
    if (!kinds.empty()) {
        out += "kinds : (";
        for (std::size_t i = 0; i < kinds.size(); ++i) {
            if (i) out += " OR ";
            append_quoted(out, kinds[i]);
        }
        out += ')';
    }
    for (std::size_t g = 0; g < groups.size(); ++g) {
        if (g == skip || groups[g].empty()) continue;
        if (!out.empty()) out += " AND ";
        out += '(';
        for (std::size_t i = 0; i < groups[g].size(); ++i) {
            if (i) out += " OR ";
            append_quoted(out, groups[g][i]);
        }
        out += ')';
    }
    return out;
}

bool is_file(std::string const& path) { return path != ":memory:" && !path.empty(); }

// After a failed statement: rolls back what SQLite has not rolled back by itself already (a
// failed COMMIT on a full disk has), so that the error reported is the first one.
void roll_back(sqlite::Database& db) {
    if (!sqlite3_get_autocommit(db.handle())) sqlite3_exec(db.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

SqliteStore::SqliteStore(StoreOptions options)
    : options_(std::move(options)), db_(options_.path.empty() ? ":memory:" : options_.path, true) {
    auto const& path = options_.path;
    if (is_file(path) && sqlite3_db_readonly(db_.handle(), "main") == 1)
        throw std::runtime_error("database " + path + " is read-only: give the server's user write access to it and its folder");
    store_schema::migrate(db_, path, store_schema::latest_version());
    try {
        if (is_file(path)) {
            // Committed transactions survive a crash of the process; a power loss can take the
            // last ones since a checkpoint (README, "Data"). WAL lets a backup read meanwhile.
            auto mode = db_.prepare("PRAGMA journal_mode = WAL");
            if (!mode.step() || mode.text(0) != "wal")
                throw std::runtime_error("database " + path + ": cannot use write-ahead logging (is its folder writable?)");
            db_.exec("PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0");
            // Only notes the log's size; the checkpoint runs in a turn of its own (checkpoint()).
            sqlite3_wal_hook(
                db_.handle(),
                [](void* self, sqlite3*, char const*, int pages) {
                    static_cast<SqliteStore*>(self)->wal_pages_ = pages;
                    return SQLITE_OK;
                },
                this);
        }
        // 16 MiB of page cache (SQLite's default is 2): the pages of the conversations in use stay
        // in memory instead of being read back from the operating system for each exchange.
        db_.exec("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 50; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -16384");
        begin_ = db_.prepare("BEGIN IMMEDIATE");
        commit_ = db_.prepare("COMMIT");
        upsert_conversation_ = db_.prepare(R"sql(
            INSERT INTO conversations (id, brand_id, user_id, language, last_product_ids, last_confidence,
                                       prompt_tokens, completion_tokens, total_tokens, created_at, updated_at)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)
            ON CONFLICT (id) DO UPDATE SET
                user_id = coalesce(excluded.user_id, user_id), language = coalesce(excluded.language, language),
                last_product_ids = excluded.last_product_ids, last_confidence = excluded.last_confidence,
                prompt_tokens = prompt_tokens + excluded.prompt_tokens,
                completion_tokens = completion_tokens + excluded.completion_tokens,
                total_tokens = total_tokens + excluded.total_tokens, updated_at = excluded.updated_at)sql");
        insert_turn_ = db_.prepare("INSERT INTO turns (conversation_id, role, content, created_at) VALUES (?1, ?2, ?3, ?4)");
        upsert_usage_ = db_.prepare(R"sql(
            INSERT INTO brand_usage (brand_id, replies, prompt_tokens, completion_tokens, total_tokens)
            VALUES (?1, ?5, ?2, ?3, ?4)
            ON CONFLICT (brand_id) DO UPDATE SET replies = replies + excluded.replies,
                prompt_tokens = prompt_tokens + excluded.prompt_tokens,
                completion_tokens = completion_tokens + excluded.completion_tokens,
                total_tokens = total_tokens + excluded.total_tokens)sql");
        find_conversation_ = db_.prepare(R"sql(
            SELECT user_id, language, last_product_ids, last_confidence, prompt_tokens, completion_tokens, total_tokens
            FROM conversations WHERE id = ?1 AND brand_id = ?2 AND updated_at >= ?3)sql");
        recent_turns_ = db_.prepare(R"sql(
            SELECT role, content FROM (SELECT id, role, content FROM turns WHERE conversation_id = ?1
                                       ORDER BY id DESC LIMIT ?2) ORDER BY id)sql");
        expire_ = db_.prepare(R"sql(
            DELETE FROM conversations WHERE id IN (SELECT id FROM conversations WHERE updated_at < ?1 LIMIT ?2))sql");
        std::string columns = product_columns;
        std::string filters = " AND (?3 IS NULL OR p.price <= ?3) AND (?4 IS NULL OR p.price >= ?4) AND (?5 = 0 OR p.availability = 1) ";
        // The index first (CROSS JOIN keeps that order), read in rowid order: the first matches
        // end the search, whatever a word's frequency. BM25 would score every match, and a word
        // such as "laptop" matches a quarter of a large catalog.
        search_by_words_ = db_.prepare("SELECT " + columns + " FROM product_text CROSS JOIN products p ON p.n = product_text.rowid "
                                       "WHERE product_text MATCH ?1 AND p.brand_id = ?2" + filters + "LIMIT ?6");
        // By price: the brand's price index in order, each product looked up among the matches.
        std::string matching = "SELECT " + columns + " FROM products p INDEXED BY products_by_price WHERE p.brand_id = ?2 "
                               "AND p.n IN (SELECT rowid FROM product_text WHERE product_text MATCH ?1)" + filters;
        search_by_words_cheapest_ = db_.prepare(matching + "ORDER BY p.price ASC LIMIT ?6");
        search_by_words_priciest_ = db_.prepare(matching + "ORDER BY p.price DESC LIMIT ?6");
        // A kind by price: its rows of product_kinds in order (?7 the kind), with the words if any.
        std::string of_kind = "SELECT " + columns + " FROM product_kinds k CROSS JOIN products p ON p.n = k.n "
                              "WHERE k.brand_id = ?2 AND k.kind = ?7" + filters;
        std::string of_kind_words = of_kind + "AND k.n IN (SELECT rowid FROM product_text WHERE product_text MATCH ?1) ";
        of_kind += "AND ?1 IS NULL ";
        kind_cheapest_ = db_.prepare(of_kind + "ORDER BY k.price ASC LIMIT ?6");
        kind_priciest_ = db_.prepare(of_kind + "ORDER BY k.price DESC LIMIT ?6");
        kind_words_cheapest_ = db_.prepare(of_kind_words + "ORDER BY k.price ASC LIMIT ?6");
        kind_words_priciest_ = db_.prepare(of_kind_words + "ORDER BY k.price DESC LIMIT ?6");
        std::string in_brand = "SELECT " + columns + " FROM products p WHERE ?1 IS NULL AND p.brand_id = ?2" + filters;
        search_in_order_ = db_.prepare(in_brand + "ORDER BY p.position LIMIT ?6");
        search_cheapest_ = db_.prepare(in_brand + "ORDER BY p.price ASC LIMIT ?6");
        search_priciest_ = db_.prepare(in_brand + "ORDER BY p.price DESC LIMIT ?6");
        product_by_id_ = db_.prepare("SELECT " + columns + " FROM products p WHERE p.brand_id = ?1 AND p.id = ?2");
        list_products_ = db_.prepare("SELECT " + columns + " FROM products p WHERE p.brand_id = ?1 "
                                     "AND (?4 = '' OR p.category = ?4 COLLATE NOCASE) ORDER BY p.position LIMIT ?2 OFFSET ?3");
        // What expired while the server was down goes now, before anything is served.
        auto now = wall_clock_ms();
        while (expire_some(now) == expiry_batch) {}
    } catch (sqlite::Error const& e) {
        throw std::runtime_error("database " + path + ": " + e.what());
    }
    description_ = is_file(path) ? "SQLite file " + std::filesystem::absolute(path).string() : std::string("SQLite in memory (nothing kept)");
    description_ += ", schema " + std::to_string(store_schema::latest_version());
}

SqliteStore::~SqliteStore() {
    *alive_ = false;
    // Exchanges recorded in the loop's last turn, whose commit never ran (the loop stopped).
    if (open_batch_ && !open_batch_->exchanges.empty()) write(open_batch_->exchanges);
}

std::vector<Brand> SqliteStore::load_brands(std::size_t in_memory_products) {
    std::vector<Brand> out;
    auto brands = db_.prepare(std::string("SELECT ") + brand_columns + " FROM brands ORDER BY id");
    while (brands.step()) out.push_back(brand_from(brands, in_memory_products));
    return out;
}

Brand SqliteStore::brand_from(sqlite::Statement const& row, std::size_t in_memory_products, bool finish_words) {
    Brand b;
    b.id = row.text(0);
    b.name = row.text(1);
    b.description = row.text(2);
    b.is_active = row.integer(3) != 0;
    if (auto language = parse_language_code(row.text(4))) b.language = *language;
    b.welcome_message = row.text(5);
    b.persona_prompt = row.text(6);
    b.system_prompt = row.text(7);
    b.model = row.text(8);
    b.company.fields = pairs_of(row.text(9));
    b.appearance_json = row.text(10);
    b.allowed_origins = strings_of(row.text(11));
    b.created_at = row.text(12);
    b.updated_at = row.text(13);
    auto count = db_.prepare("SELECT count(*) FROM products WHERE brand_id = ?1");
    count.bind(b.id);
    auto n = count.step() ? static_cast<std::size_t>(count.integer(0)) : 0;
    if (n > in_memory_products) {
        build_word_index(b);
        b.catalog_in_store = true;
        b.product_count = n;
        // Each category in the order of its first product: a skip from one category to the next
        // along products_by_category, a few lookups per category (a GROUP BY read all 100,000
        // rows of a large catalog, 20 ms, each time the brand was published).
        auto categories = db_.prepare(R"sql(
            WITH RECURSIVE kinds(category) AS (
                SELECT min(category) FROM products WHERE brand_id = ?1
                UNION ALL
                SELECT (SELECT min(category) FROM products WHERE brand_id = ?1 AND category > kinds.category)
                FROM kinds WHERE kinds.category IS NOT NULL)
            SELECT category FROM kinds WHERE category IS NOT NULL
            ORDER BY (SELECT min(position) FROM products WHERE brand_id = ?1 AND category = kinds.category))sql");
        categories.bind(b.id);
        while (categories.step()) b.categories.push_back(categories.text(0));
        b.vocabulary = load_words(b.id, n, finish_words);
        return b;
    }
    auto products = db_.prepare(std::string("SELECT ") + product_columns + " FROM products p WHERE p.brand_id = ?1 ORDER BY p.position");
    products.bind(b.id);
    while (products.step()) {
        auto p = product_from(products);
        p.json = product_json(p); // in memory for good: serialized once
        b.products.push_back(std::move(p));
    }
    build_word_index(b);
    return b;
}

void SqliteStore::upsert_brand_row(Brand const& b) {
    auto upsert = db_.prepare(R"sql(
        INSERT INTO brands (id, name, description, is_active, language, welcome_message, persona_prompt, system_prompt,
                            model, company_info, appearance, allowed_origins, created_at, updated_at)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
        ON CONFLICT (id) DO UPDATE SET name = excluded.name, description = excluded.description,
            is_active = excluded.is_active, language = excluded.language, welcome_message = excluded.welcome_message,
            persona_prompt = excluded.persona_prompt, system_prompt = excluded.system_prompt, model = excluded.model,
            company_info = excluded.company_info, appearance = excluded.appearance,
            allowed_origins = excluded.allowed_origins, created_at = excluded.created_at,
            updated_at = excluded.updated_at)sql");
    upsert.bind(b.id, b.name, b.description, b.is_active, language_code(b.language), b.welcome_message, b.persona_prompt,
                b.system_prompt, b.model, json_pairs(b.company.fields), b.appearance_json.empty() ? std::string("{}") : b.appearance_json,
                json_strings(b.allowed_origins), b.created_at, b.updated_at)
        .run();
}

void SqliteStore::save_brands(std::vector<Brand> const& brands) {
    auto clear = db_.prepare("DELETE FROM products WHERE brand_id = ?1");
    auto insert = db_.prepare(R"sql(
        INSERT INTO products (brand_id, id, position, name, description, category, price, features, specifications,
                              availability, kinds, image_url, url) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13))sql");
    auto insert_kind = db_.prepare("INSERT INTO product_kinds (brand_id, kind, price, n) VALUES (?1, ?2, ?3, ?4)");
    begin_.bind().run();
    try {
        for (auto const& b : brands) {
            upsert_brand_row(b);
            clear.bind(b.id).run();
            std::int64_t position = 0;
            for (auto const& p : b.products) {
                auto kinds = kinds_of_product(p);
                insert.bind(b.id, p.id, position++, p.name, p.description, p.category, p.price, json_strings(p.features),
                            json_pairs(p.specifications), p.availability, kinds_text(p), p.image_url, p.url)
                    .run();
                auto n = db_.last_insert_rowid();
                for (auto const* c : kinds) insert_kind.bind(b.id, c->name, p.price, n).run();
            }
            save_words(b.id, b.products);
        }
        commit_.bind().run();
    } catch (...) {
        roll_back(db_);
        throw;
    }
}

std::shared_ptr<Vocabulary const> SqliteStore::load_words(std::string const& brand_id, std::size_t products, bool finish) {
    auto words = db_.prepare("SELECT word, products, in_names FROM brand_words WHERE brand_id = ?1");
    auto vocabulary = std::make_shared<Vocabulary>();
    auto read = [&] {
        words.bind(brand_id);
        while (words.step())
            vocabulary->add(words.text(0), static_cast<std::uint32_t>(words.integer(1)), static_cast<std::uint32_t>(words.integer(2)));
        words.reset();
    };
    read();
    if (vocabulary->size() == 0) { // a brand saved by an older schema: worked out once, and kept
        upgrade_catalog(brand_id);
        read();
    }
    vocabulary->set_documents(products);
    {
        auto kinds = db_.prepare("SELECT DISTINCT kind FROM product_kinds WHERE brand_id = ?1");
        kinds.bind(brand_id);
        std::vector<Concept const*> found;
        while (kinds.step())
            if (auto const* c = kind_named(kinds.text(0))) found.push_back(c);
        add_kind_words(*vocabulary, found);
    }
    // The kinds of the products whose names use a word that names a kind (Vocabulary::names_kind).
    // CROSS JOIN: the matches drive the loop (a plain join let the planner walk every product of
    // the brand and look each up in the index: 10 s at start for 100,000 products).
    auto named = db_.prepare("SELECT p.kinds FROM product_text CROSS JOIN products p ON p.n = product_text.rowid "
                             "WHERE product_text MATCH ?1 AND p.brand_id = ?2 LIMIT 64");
    for (auto const& c : concepts()) {
        if (!c.is_category) continue;
        for (auto w : c.words) {
            if (!single_word_text(w) || vocabulary->names_using(w) == 0) continue;
            std::string match = "name : \"";
            match.append(w).append("\"");
            named.bind(match, brand_id);
            while (named.step()) for_each_kind(named.text(0), [&](std::string_view kind) { vocabulary->add_name_kind(w, kind); });
            named.reset();
        }
    }
    if (finish) vocabulary->finish();
    else vocabulary->begin_finish();
    return vocabulary;
}

// A brand saved by an older schema: its products' kinds and its words, worked out and kept.
void SqliteStore::upgrade_catalog(std::string const& brand_id) {
    auto rows = db_.prepare(std::string("SELECT ") + product_columns + " FROM products p WHERE p.brand_id = ?1");
    auto set_kinds = db_.prepare("UPDATE products SET kinds = ?2 WHERE n = ?1");
    auto insert_kind = db_.prepare("INSERT OR IGNORE INTO product_kinds (brand_id, kind, price, n) VALUES (?1, ?2, ?3, ?4)");
    auto clear_kinds = db_.prepare("DELETE FROM product_kinds WHERE brand_id = ?1");
    begin_.bind().run();
    try {
        clear_kinds.bind(brand_id).run(); // kinds the query reader no longer gives
        std::vector<Product> products;
        rows.bind(brand_id);
        std::vector<std::pair<std::int64_t, std::size_t>> numbers;
        while (rows.step()) {
            numbers.emplace_back(rows.integer(0), products.size());
            products.push_back(product_from(rows));
        }
        rows.reset();
        for (auto const& [n, i] : numbers) {
            set_kinds.bind(n, kinds_text(products[i])).run();
            for (auto const* c : kinds_of_product(products[i])) insert_kind.bind(brand_id, c->name, products[i].price, n).run();
        }
        save_words(brand_id, products);
        commit_.bind().run();
    } catch (...) {
        roll_back(db_);
        throw;
    }
}

// Inside a transaction: the brand's words as its products use them.
void SqliteStore::save_words(std::string const& brand_id, std::vector<Product> const& products) {
    std::unordered_map<std::string, std::pair<std::uint32_t, std::uint32_t>> counts; // products, of them naming it
    for (auto const& p : products) {
        std::vector<std::string> words;
        for (auto const& text : p.field_text)
            for (auto& w : distinct_words(text)) words.push_back(std::move(w));
        std::sort(words.begin(), words.end());
        words.erase(std::unique(words.begin(), words.end()), words.end());
        for (auto& w : words) ++counts[std::move(w)].first;
        for (auto& w : distinct_words(p.field_text[name_field])) ++counts[std::move(w)].second;
    }
    auto clear = db_.prepare("DELETE FROM brand_words WHERE brand_id = ?1");
    clear.bind(brand_id).run();
    auto insert = db_.prepare("INSERT INTO brand_words (brand_id, word, products, in_names) VALUES (?1, ?2, ?3, ?4)");
    for (auto const& [word, n] : counts)
        insert.bind(brand_id, word, static_cast<std::int64_t>(n.first), static_cast<std::int64_t>(n.second)).run();
}

std::vector<Product> SqliteStore::search_products(ProductSearch const& q) {
    std::vector<Product> out;
    std::unordered_set<std::int64_t> seen;
    auto collect = [&](sqlite::Statement& st) {
        while (st.step())
            if (seen.insert(st.integer(0)).second) out.push_back(product_from(st));
        st.reset();
    };
    auto limit = q.limit + q.ids.size();
    auto run = [&](sqlite::Statement& st, std::optional<std::string> const& match, std::string const& kind = {}) {
        if (out.size() >= limit) return;
        auto wanted = static_cast<std::int64_t>(limit - out.size());
        if (kind.empty()) st.bind(match, q.brand_id, q.max_price, q.min_price, q.in_stock_only, wanted);
        else st.bind(match, q.brand_id, q.max_price, q.min_price, q.in_stock_only, wanted, kind);
        collect(st);
    };
    try {
        for (auto const& id : q.ids) {
            product_by_id_.bind(q.brand_id, id);
            collect(product_by_id_);
        }
        if (q.limit == 0) return out;
        bool by_price = q.cheapest || q.priciest;
        if (by_price && !q.kinds.empty()) {
            // Each kind asked for, by price, among the products matching the other words.
            auto words = match_groups({}, q.groups);
            std::optional<std::string> match;
            if (!words.empty()) match = words;
            auto& st = match ? (q.cheapest ? kind_words_cheapest_ : kind_words_priciest_) : (q.cheapest ? kind_cheapest_ : kind_priciest_);
            for (auto const& kind : q.kinds) {
                limit = out.size() + q.limit; // each kind its own share
                run(st, match, kind);
            }
            if (out.size() > q.ids.size() || !match) return out;
        }
        auto all = match_groups(q.kinds, q.groups);
        if (all.empty()) {
            run(q.cheapest ? search_cheapest_ : q.priciest ? search_priciest_ : search_in_order_, std::nullopt);
            return out;
        }
        auto& ordered = q.cheapest ? search_by_words_cheapest_ : q.priciest ? search_by_words_priciest_ : search_by_words_;
        run(ordered, all);
        // Products missing one of the groups can still fit (ranking.hpp: half of the aspects);
        // the kind asked for is a hard filter, never skipped.
        for (std::size_t skip = 0; q.groups.size() + !q.kinds.empty() > 1 && skip < q.groups.size(); ++skip)
            run(ordered, match_groups(q.kinds, q.groups, skip));
    } catch (sqlite::Error const& e) {
        log::error("store: product search in ", q.brand_id, " failed: ", e.what());
    }
    return out;
}

std::vector<Product> SqliteStore::list_products(std::string const& brand_id, std::size_t offset, std::size_t limit,
                                                std::string const& category) {
    std::vector<Product> out;
    list_products_.bind(brand_id, static_cast<std::int64_t>(limit), static_cast<std::int64_t>(offset), category);
    while (list_products_.step()) out.push_back(product_from(list_products_));
    list_products_.reset();
    return out;
}

asio::awaitable<std::optional<Conversation>> SqliteStore::load_conversation(std::string const& id, std::string const& brand_id,
                                                                          std::size_t max_turns) {
    std::optional<Conversation> out;
    try {
        find_conversation_.bind(id, brand_id, cutoff(wall_clock_ms()));
        if (!find_conversation_.step()) co_return out;
        auto& c = out.emplace();
        c.id = id;
        c.brand_id = brand_id;
        if (!find_conversation_.null(0)) c.user_id = find_conversation_.text(0);
        if (!find_conversation_.null(1)) c.language = parse_language_code(find_conversation_.text(1));
        c.last_product_ids = strings_of(find_conversation_.text(2));
        if (!find_conversation_.null(3)) c.last_confidence = find_conversation_.real(3);
        c.usage.prompt = static_cast<std::uint64_t>(find_conversation_.integer(4));
        c.usage.completion = static_cast<std::uint64_t>(find_conversation_.integer(5));
        c.usage.total = static_cast<std::uint64_t>(find_conversation_.integer(6));
        find_conversation_.reset();
        recent_turns_.bind(id, static_cast<std::int64_t>(max_turns));
        while (recent_turns_.step())
            c.turns.push_back({recent_turns_.text(0) == "user" ? Turn::Role::user : Turn::Role::assistant, recent_turns_.text(1)});
        recent_turns_.reset();
        ++counters_.conversations_loaded;
    } catch (sqlite::Error const& e) {
        // The customer goes on in a new conversation rather than getting no reply.
        log::error("store: could not read conversation ", id, ": ", e.what());
        out.reset();
    }
    co_return out;
}

asio::awaitable<void> SqliteStore::record(Exchange exchange) {
    auto executor = co_await asio::this_coro::executor;
    if (!open_batch_) {
        open_batch_ = std::make_shared<Batch>(executor);
        asio::co_spawn(executor, commit_at_end_of_turn(open_batch_, alive_), asio::detached);
    }
    auto batch = open_batch_;
    batch->exchanges.push_back(std::move(exchange));
    // During a product import the file's write lock is the import's: the exchange is written as
    // soon as it ends, and the reply does not wait for that (store.hpp).
    if (importing()) co_return;
    // Not cut short by a cancellation of the caller: returning means the exchange is kept. (A
    // caller cancelled before it calls gets operation_aborted, as from any awaitable, and its
    // exchange is still written.)
    while (!batch->done)
        co_await batch->written.async_wait(asio::bind_cancellation_slot(asio::cancellation_slot(), asio::as_tuple(asio::use_awaitable)));
}

asio::awaitable<void> SqliteStore::commit_at_end_of_turn(std::shared_ptr<Batch> batch, std::shared_ptr<bool> alive) {
    // Every reply that ends in this turn of the loop joins the batch before it is written.
    auto executor = co_await asio::this_coro::executor;
    co_await asio::post(executor, asio::use_awaitable);
    struct Wake { // the batch's callers go on once it is written, or whatever happens
        Batch& batch;
        void now() {
            if (batch.done) return;
            batch.done = true;
            batch.written.cancel();
        }
        ~Wake() { now(); }
    } wake{*batch};
    if (!*alive) co_return; // the store is gone; its destructor wrote the batch
    if (open_batch_ == batch) open_batch_.reset();
    // An import holds the file's write lock: the batch is written once it ends (sqlite_import.cpp).
    while (import_done_) {
        auto done = import_done_;
        co_await done->async_wait(asio::as_tuple(asio::use_awaitable));
        if (!*alive) co_return;
    }
    write(batch->exchanges);
    wake.now();
    // Housekeeping in turns of their own, after the replies of this batch went on.
    if (importing()) co_return; // housekeeping after it
    if (auto now = wall_clock_ms(); now >= next_expiry_ms_) {
        next_expiry_ms_ = now + std::clamp<std::int64_t>((now - cutoff(now)) / 4, 1000, 60000);
        co_await asio::post(executor, asio::use_awaitable);
        if (*alive && !importing()) expire_step(now);
    }
    if (wal_pages_ >= checkpoint_pages) {
        wal_pages_ = 0;
        co_await asio::post(executor, asio::use_awaitable);
        if (*alive && !importing()) start_checkpoint(executor);
    }
}

void SqliteStore::write(std::vector<Exchange> const& exchanges) {
    if (exchanges.empty()) return;
    try {
        begin_.bind().run();
        try {
            // Token usage per brand, summed over the batch: one row update per brand, not per exchange.
            std::map<std::string_view, std::pair<TokenUsage, std::int64_t>> by_brand;
            for (auto const& e : exchanges) {
                write_one(e);
                auto& [usage, replies] = by_brand[e.brand_id];
                usage.prompt += e.usage.prompt;
                usage.completion += e.usage.completion;
                usage.total += e.usage.total;
                replies += e.reply_text.empty() ? 0 : 1;
            }
            for (auto const& [brand, sum] : by_brand)
                upsert_usage_.bind(brand, sum.first.prompt, sum.first.completion, sum.first.total, sum.second).run();
            commit_.bind().run();
        } catch (...) {
            roll_back(db_);
            throw;
        }
        counters_.exchanges_written += exchanges.size();
        ++counters_.commits;
    } catch (sqlite::Error const& e) {
        counters_.write_errors += exchanges.size();
        log::error("store: ", exchanges.size(), exchanges.size() == 1 ? " exchange" : " exchanges",
                   " not kept: ", e.what(), e.disk_full() ? " (the disk is full)" : "");
    } catch (std::exception const& e) {
        counters_.write_errors += exchanges.size();
        log::error("store: ", exchanges.size(), exchanges.size() == 1 ? " exchange" : " exchanges", " not kept: ", e.what());
    }
}

// One small transaction of expiry, apart from any reply's.
void SqliteStore::expire_step(std::int64_t now_ms) {
    try {
        expire_some(now_ms);
    } catch (std::exception const& e) {
        log::warn("store: expiring old conversations failed (tried again later): ", e.what());
    }
}

void SqliteStore::write_one(Exchange const& e) {
    std::optional<std::string> language;
    if (e.language) language = std::string(language_code(*e.language));
    upsert_conversation_
        .bind(e.conversation_id, e.brand_id, e.user_id, language, json_strings(e.last_product_ids), e.last_confidence,
              e.usage.prompt, e.usage.completion, e.usage.total, e.at_ms)
        .run();
    insert_turn_.bind(e.conversation_id, "user", e.user_text, e.at_ms).run();
    if (!e.reply_text.empty()) insert_turn_.bind(e.conversation_id, "assistant", e.reply_text, e.at_ms).run();
}

std::size_t SqliteStore::expire_some(std::int64_t now_ms) {
    expire_.bind(cutoff(now_ms), expiry_batch).run();
    auto n = static_cast<std::size_t>(db_.changes());
    counters_.conversations_expired += n;
    return n;
}

} // namespace sqlite_store

std::unique_ptr<Store> open_sqlite_store(StoreOptions const& options) {
    try {
        return std::make_unique<sqlite_store::SqliteStore>(options);
    } catch (sqlite::Error const& e) {
        throw std::runtime_error(std::string(e.what()) + " (--database " + options.path + ")");
    }
}

void create_sqlite_schema_at(std::string const& path, int version) {
    sqlite::Database db(path, true);
    store_schema::migrate(db, path, version);
}

} // namespace brandchat
