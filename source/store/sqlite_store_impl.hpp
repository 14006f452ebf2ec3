// The SQLite store's class and the helpers its files share, private to source/store/:
// sqlite_store.cpp opens the file, loads brands, searches products and keeps conversations;
// sqlite_management.cpp makes the management API's changes (brands, products, keys, history).
#pragma once

#include "brandchat/store/store.hpp"
#include "sqlite_db.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace brandchat {

struct Concept;
class Vocabulary;

namespace sqlite_store {

namespace asio = boost::asio;

// JSON columns: what Boost.JSON writes, and back (what is not the expected shape reads as empty).
std::string json_strings(std::vector<std::string> const& items);
std::string json_pairs(std::vector<std::pair<std::string, std::string>> const& items);
std::vector<std::string> strings_of(std::string const& text);
std::vector<std::pair<std::string, std::string>> pairs_of(std::string const& text);

// A product's kinds as the kinds column holds them ('|'-separated concept names).
std::string kinds_text(Product const& p);
Concept const* kind_named(std::string_view name);
// A product read from a row of a query that selects product_columns.
Product product_from(sqlite::Statement const& row);
// A database file, not ":memory:".
bool is_file(std::string const& path);
// After a failed statement: rolls back what SQLite has not rolled back by itself already.
void roll_back(sqlite::Database& db);

// The columns every product query selects, read back into a Product.
inline constexpr char const* product_columns =
    "p.n, p.id, p.name, p.description, p.category, p.price, p.features, p.specifications, p.availability, p.kinds, p.image_url, p.url";

// Calls f with each concept name of a kinds column ('|'-separated, kinds_text).
template <class F>
void for_each_kind(std::string_view kinds, F f) {
    for (std::size_t at = 0; at < kinds.size();) {
        auto end = std::min(kinds.find('|', at), kinds.size());
        f(kinds.substr(at, end - at));
        at = end + 1;
    }
}

// Writes one brand's products on a connection, inside its transaction (put_products,
// delete_product, import_products): inserts or replaces by id (a replaced product keeps its place),
// keeps product_kinds in step, and tallies the brand's word counts (brand_words) up and down,
// written by write_words before the commit.
class ProductWriter {
public:
    ProductWriter(sqlite::Database& db, std::string brand_id); // throws when there is no such brand
    void put(Product const& p);
    bool remove(std::string const& product_id);
    // Writes up to `at_most` of the tallied word counts; returns how many are left (0: all written).
    std::size_t write_words(std::size_t at_most);

private:
    void tally(Product const& p, int delta);

    sqlite::Database& db_;
    std::string brand_id_;
    std::int64_t position_ = 0;
    sqlite::Statement find_, insert_, update_, clear_kinds_, insert_kind_, add_word_;
    std::unordered_map<std::string, std::pair<std::int64_t, std::int64_t>> words_; // products, of them naming it
};

// The columns of brands every brand query selects (brand_from reads them).
inline constexpr char const* brand_columns =
    "id, name, description, is_active, language, welcome_message, persona_prompt, system_prompt, model, "
    "company_info, appearance, allowed_origins, created_at, updated_at";

// The exchanges of one turn of the event loop, and the signal their record() calls wait on.
struct Batch {
    explicit Batch(asio::any_io_executor executor) : written(std::move(executor), asio::steady_timer::time_point::max()) {}
    std::vector<Exchange> exchanges;
    asio::steady_timer written; // cancelled once the batch is committed (or failed)
    bool done = false;
};

class SqliteStore final : public Store {
public:
    explicit SqliteStore(StoreOptions options);
    ~SqliteStore() override;

    std::string describe() const override { return description_; }
    std::size_t brand_count() override { return static_cast<std::size_t>(db_.scalar("SELECT count(*) FROM brands")); }
    std::vector<Brand> load_brands(std::size_t in_memory_products) override;
    std::vector<Product> search_products(ProductSearch const& search) override;
    std::vector<Product> list_products(std::string const& brand_id, std::size_t offset, std::size_t limit,
                                       std::string const& category) override;
    void save_brands(std::vector<Brand> const& brands) override;
    asio::awaitable<std::optional<Conversation>> load_conversation(std::string const& id, std::string const& brand_id,
                                                                   std::size_t max_turns) override;
    asio::awaitable<void> record(Exchange exchange) override;
    StoreCounters const& counters() const override { return counters_; }

    // The management API's changes (sqlite_management.cpp).
    std::optional<Brand> load_brand(std::string const& id, std::size_t in_memory_products, bool finish_words = true) override;
    void save_brand_settings(Brand const& brand) override;
    bool delete_brand(std::string const& id) override;
    void put_products(std::string const& brand_id, std::vector<Product> const& products) override;
    asio::awaitable<void> import_products(std::string brand_id, std::vector<Product> products) override; // sqlite_import.cpp
    bool importing() const override { return import_done_ != nullptr; }
    bool delete_product(std::string const& brand_id, std::string const& product_id) override;
    std::optional<Product> find_product(std::string const& brand_id, std::string const& product_id) override;
    CatalogCounts catalog_counts(std::string const& brand_id, std::string const& category) override;
    std::optional<std::vector<StoredTurn>> load_history(std::string const& conversation_id, std::string const& brand_id) override;
    bool delete_conversation(std::string const& conversation_id, std::string const& brand_id) override;
    std::vector<ApiKeyRecord> load_keys() override;
    void save_key(ApiKeyRecord const& key) override;
    bool delete_key(std::string const& id) override;

private:
    // A brand from a row of brand_columns, with its products or (a large catalog) its words.
    Brand brand_from(sqlite::Statement const& row, std::size_t in_memory_products, bool finish_words = true);
    void upsert_brand_row(Brand const& b);
    // Runs f inside BEGIN IMMEDIATE ... COMMIT; rolls back and rethrows on failure.
    template <class F>
    void in_transaction(F&& f) {
        begin_.bind().run();
        try {
            f();
            commit_.bind().run();
        } catch (...) {
            roll_back(db_);
            throw;
        }
    }

    asio::awaitable<void> commit_at_end_of_turn(std::shared_ptr<Batch> batch, std::shared_ptr<bool> alive);
    void expire_step(std::int64_t now_ms);
    // Copies the write-ahead log into the file and syncs it (sqlite_checkpoint.cpp): in a process
    // of its own when StoreOptions::checkpoint_program is set, else here, in a turn of its own.
    void start_checkpoint(asio::any_io_executor executor);
    void checkpoint_here();
    // Runs the checkpoint process and waits for it; touches this store only while *alive.
    asio::awaitable<void> checkpoint_elsewhere(std::shared_ptr<bool> alive, std::shared_ptr<bool> checkpointing);
    std::shared_ptr<Vocabulary const> load_words(std::string const& brand_id, std::size_t products, bool finish = true);
    void save_words(std::string const& brand_id, std::vector<Product> const& products);
    void upgrade_catalog(std::string const& brand_id);
    void write(std::vector<Exchange> const& exchanges);
    void write_one(Exchange const& e);
    std::size_t expire_some(std::int64_t now_ms);
    std::int64_t cutoff(std::int64_t now_ms) const {
        return now_ms - std::chrono::duration_cast<std::chrono::milliseconds>(options_.expiry).count();
    }

    StoreOptions options_;
    sqlite::Database db_;
    std::string description_;
    StoreCounters counters_;
    std::shared_ptr<Batch> open_batch_; // the one record() calls join until it is committed
    std::int64_t next_expiry_ms_ = 0;
    int wal_pages_ = 0; // in the write-ahead log after the last commit (sqlite3_wal_hook)
    static constexpr int checkpoint_pages = 1000; // a checkpoint once the log holds this many (SQLite's own default)
    std::shared_ptr<bool> checkpointing_ = std::make_shared<bool>(false); // a checkpoint process runs
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true); // false once destroyed
    std::shared_ptr<asio::steady_timer> import_done_; // while an import runs; cancelled when it ends

    sqlite::Statement begin_, commit_;
    sqlite::Statement upsert_conversation_, insert_turn_, upsert_usage_;
    sqlite::Statement find_conversation_, recent_turns_, expire_;
    sqlite::Statement search_by_words_, search_by_words_cheapest_, search_by_words_priciest_;
    sqlite::Statement search_in_order_, search_cheapest_, search_priciest_, product_by_id_, list_products_;
    sqlite::Statement kind_cheapest_, kind_priciest_, kind_words_cheapest_, kind_words_priciest_;
};

} // namespace sqlite_store
} // namespace brandchat
