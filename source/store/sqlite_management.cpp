// The management API's changes to the SQLite store (store.hpp has the contract): a brand's own
// fields, its products one by one or many at once, conversations' histories, and API keys. Each
// call is one transaction; a product change counts the brand's words and kinds up and down in
// the same one, so that a catalog kept in the store ranks with them at its next load.
#include "brandchat/catalog/catalog_index.hpp"
#include "brandchat/catalog/query.hpp"
#include "brandchat/catalog/ranking.hpp"
#include "brandchat/language/text.hpp"
#include "sqlite_store_impl.hpp"

#include <algorithm>
#include <cstdio>
#include <unordered_map>

namespace brandchat::sqlite_store {

namespace {

std::string hex_of(std::array<unsigned char, 32> const& bytes) {
    std::string out;
    char two[3];
    for (auto b : bytes) {
        std::snprintf(two, sizeof two, "%02x", b);
        out += two;
    }
    return out;
}

std::array<unsigned char, 32> bytes_of_hex(std::string const& hex) {
    std::array<unsigned char, 32> out{};
    auto nibble = [](char c) -> unsigned { return c <= '9' ? unsigned(c - '0') : unsigned((c | 0x20) - 'a' + 10); };
    for (std::size_t i = 0; i < out.size() && 2 * i + 1 < hex.size(); ++i)
        out[i] = static_cast<unsigned char>(nibble(hex[2 * i]) << 4 | nibble(hex[2 * i + 1]));
    return out;
}

} // namespace

std::optional<Brand> SqliteStore::load_brand(std::string const& id, std::size_t in_memory_products, bool finish_words) {
    auto row = db_.prepare(std::string("SELECT ") + brand_columns + " FROM brands WHERE id = ?1");
    row.bind(id);
    if (!row.step()) return std::nullopt;
    return brand_from(row, in_memory_products, finish_words);
}

void SqliteStore::save_brand_settings(Brand const& brand) {
    in_transaction([&] { upsert_brand_row(brand); });
}

bool SqliteStore::delete_brand(std::string const& id) {
    bool found = false;
    in_transaction([&] {
        // Products first, one statement, so that the full-text index's triggers see each row go.
        db_.prepare("DELETE FROM products WHERE brand_id = ?1").bind(id).run();
        db_.prepare("DELETE FROM brand_words WHERE brand_id = ?1").bind(id).run();
        db_.prepare("DELETE FROM api_keys WHERE brand_id = ?1").bind(id).run();
        db_.prepare("DELETE FROM brand_usage WHERE brand_id = ?1").bind(id).run();
        db_.prepare("DELETE FROM brands WHERE id = ?1").bind(id).run();
        found = db_.changes() > 0;
    });
    return found;
}

ProductWriter::ProductWriter(sqlite::Database& db, std::string brand_id)
    : db_(db), brand_id_(std::move(brand_id)),
      find_(db.prepare(std::string("SELECT ") + product_columns + " FROM products p WHERE p.brand_id = ?1 AND p.id = ?2")),
      insert_(db.prepare(R"sql(
          INSERT INTO products (brand_id, id, position, name, description, category, price, features, specifications,
                                availability, kinds, image_url, url) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13))sql")),
      update_(db.prepare(R"sql(
          UPDATE products SET name = ?2, description = ?3, category = ?4, price = ?5, features = ?6, specifications = ?7,
                              availability = ?8, kinds = ?9, image_url = ?10, url = ?11 WHERE n = ?1)sql")),
      clear_kinds_(db.prepare("DELETE FROM product_kinds WHERE n = ?1")),
      insert_kind_(db.prepare("INSERT OR IGNORE INTO product_kinds (brand_id, kind, price, n) VALUES (?1, ?2, ?3, ?4)")),
      add_word_(db.prepare(R"sql(
          INSERT INTO brand_words (brand_id, word, products, in_names) VALUES (?1, ?2, ?3, ?4)
          ON CONFLICT (brand_id, word) DO UPDATE SET products = products + excluded.products,
                                                     in_names = in_names + excluded.in_names)sql")) {
    if (!db_.prepare("SELECT 1 FROM brands WHERE id = ?1").bind(brand_id_).step()) throw std::runtime_error("no brand " + brand_id_);
    auto next = db_.prepare("SELECT coalesce(max(position) + 1, 0) FROM products WHERE brand_id = ?1");
    next.bind(brand_id_);
    position_ = next.step() ? next.integer(0) : 0;
}

void ProductWriter::tally(Product const& p, int delta) {
    std::vector<std::string> words;
    for (auto const& text : p.field_text)
        for (auto& w : distinct_words(text)) words.push_back(std::move(w));
    std::sort(words.begin(), words.end());
    words.erase(std::unique(words.begin(), words.end()), words.end());
    auto named = distinct_words(p.field_text[name_field]);
    std::sort(named.begin(), named.end());
    for (auto& w : words) {
        bool in_name = std::binary_search(named.begin(), named.end(), w);
        auto& [products, in_names] = words_[std::move(w)];
        products += delta;
        in_names += in_name ? delta : 0;
    }
}

void ProductWriter::put(Product const& p) {
    auto kinds = kinds_of_product(p);
    std::int64_t n = 0;
    find_.bind(brand_id_, p.id);
    if (find_.step()) {
        n = find_.integer(0);
        auto old = product_from(find_);
        find_.reset();
        tally(old, -1);
        clear_kinds_.bind(n).run();
        update_.bind(n, p.name, p.description, p.category, p.price, json_strings(p.features), json_pairs(p.specifications), p.availability,
                     kinds_text(p), p.image_url, p.url)
            .run();
    } else {
        find_.reset();
        insert_.bind(brand_id_, p.id, position_++, p.name, p.description, p.category, p.price, json_strings(p.features),
                     json_pairs(p.specifications), p.availability, kinds_text(p), p.image_url, p.url)
            .run();
        n = db_.last_insert_rowid();
    }
    for (auto const* c : kinds) insert_kind_.bind(brand_id_, c->name, p.price, n).run();
    tally(p, 1);
}

bool ProductWriter::remove(std::string const& product_id) {
    find_.bind(brand_id_, product_id);
    if (!find_.step()) {
        find_.reset();
        return false;
    }
    auto n = find_.integer(0);
    auto old = product_from(find_);
    find_.reset();
    tally(old, -1);
    db_.prepare("DELETE FROM products WHERE n = ?1").bind(n).run(); // its product_kinds rows go with it
    return true;
}

std::size_t ProductWriter::write_words(std::size_t at_most) {
    for (std::size_t i = 0; i < at_most && !words_.empty(); ++i) {
        auto node = words_.extract(words_.begin());
        auto const& [products, in_names] = node.mapped();
        if (products != 0 || in_names != 0) add_word_.bind(brand_id_, node.key(), products, in_names).run();
    }
    if (words_.empty()) db_.prepare("DELETE FROM brand_words WHERE brand_id = ?1 AND products <= 0").bind(brand_id_).run();
    return words_.size();
}

void SqliteStore::put_products(std::string const& brand_id, std::vector<Product> const& products) {
    in_transaction([&] {
        ProductWriter writer(db_, brand_id);
        for (auto const& p : products) writer.put(p);
        writer.write_words(SIZE_MAX);
    });
}

bool SqliteStore::delete_product(std::string const& brand_id, std::string const& product_id) {
    bool found = false;
    in_transaction([&] {
        ProductWriter writer(db_, brand_id);
        found = writer.remove(product_id);
        writer.write_words(SIZE_MAX);
    });
    return found;
}

std::optional<Product> SqliteStore::find_product(std::string const& brand_id, std::string const& product_id) {
    std::optional<Product> out;
    product_by_id_.bind(brand_id, product_id);
    if (product_by_id_.step()) out = product_from(product_by_id_);
    product_by_id_.reset();
    return out;
}

CatalogCounts SqliteStore::catalog_counts(std::string const& brand_id, std::string const& category) {
    auto row = db_.prepare("SELECT count(*), coalesce(sum(availability), 0) FROM products WHERE brand_id = ?1 "
                           "AND (?2 = '' OR category = ?2 COLLATE NOCASE)");
    row.bind(brand_id, category);
    CatalogCounts out;
    if (row.step()) {
        out.total = static_cast<std::size_t>(row.integer(0));
        out.available = static_cast<std::size_t>(row.integer(1));
    }
    return out;
}

std::optional<std::vector<StoredTurn>> SqliteStore::load_history(std::string const& conversation_id, std::string const& brand_id) {
    auto found = db_.prepare("SELECT 1 FROM conversations WHERE id = ?1 AND brand_id = ?2 AND updated_at >= ?3");
    if (!found.bind(conversation_id, brand_id, cutoff(wall_clock_ms())).step()) return std::nullopt;
    std::vector<StoredTurn> turns;
    auto rows = db_.prepare("SELECT role, content, created_at FROM turns WHERE conversation_id = ?1 ORDER BY id");
    rows.bind(conversation_id);
    while (rows.step())
        turns.push_back({rows.text(0) == "user" ? Turn::Role::user : Turn::Role::assistant, rows.text(1), rows.integer(2)});
    return turns;
}

bool SqliteStore::delete_conversation(std::string const& conversation_id, std::string const& brand_id) {
    bool found = false;
    in_transaction([&] {
        db_.prepare("DELETE FROM conversations WHERE id = ?1 AND brand_id = ?2").bind(conversation_id, brand_id).run();
        found = db_.changes() > 0; // its turns go with it (ON DELETE CASCADE)
    });
    return found;
}

std::vector<ApiKeyRecord> SqliteStore::load_keys() {
    std::vector<ApiKeyRecord> out;
    auto rows = db_.prepare("SELECT id, hash, brand_id, label, created_at FROM api_keys ORDER BY created_at, id");
    rows.bind();
    while (rows.step()) {
        ApiKeyRecord k;
        k.id = rows.text(0);
        k.hash = bytes_of_hex(rows.text(1));
        if (!rows.null(2)) k.brand_id = rows.text(2);
        k.label = rows.text(3);
        k.created_at_ms = rows.integer(4);
        out.push_back(std::move(k));
    }
    return out;
}

void SqliteStore::save_key(ApiKeyRecord const& key) {
    in_transaction([&] {
        db_.prepare("INSERT INTO api_keys (id, hash, brand_id, label, created_at) VALUES (?1, ?2, ?3, ?4, ?5)")
            .bind(key.id, hex_of(key.hash), key.brand_id, key.label, key.created_at_ms)
            .run();
    });
}

bool SqliteStore::delete_key(std::string const& id) {
    bool found = false;
    in_transaction([&] {
        db_.prepare("DELETE FROM api_keys WHERE id = ?1").bind(id).run();
        found = db_.changes() > 0;
    });
    return found;
}

} // namespace brandchat::sqlite_store
