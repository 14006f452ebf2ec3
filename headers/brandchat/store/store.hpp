// The one seam to kept data: brands with their products, and conversations with their turns and
// token usage. Everything above it (setup, the reply pipeline, later the management API) sees
// values and awaitables, never SQL. The embedded implementation is SQLite (sqlite_store.hpp); the
// next one keeps the same data in Redis so that several instances share it.
//
// The contract, for every implementation:
// - Brands are read and written whole, with their products, at start (load_brands,
//   save_brands). save_brands is all or nothing: after a failure the store holds what it held.
// - record() returns once the exchange is durable: after it, a crash of the process (kill -9)
//   loses none of it. Calls made in the same turn of the event loop share one write (group
//   commit). The one exception: while a product import runs (import_products), record() returns
//   at once and the exchange is written as soon as the import ends, so that replies do not wait
//   for it; a crash during an import loses it with the import. It never throws for a failed write: the failure is logged and counted
//   (counters().write_errors), and the caller goes on (the customer still gets the reply). A
//   cancellation of the caller does not cut the wait short.
// - load_conversation() gives a conversation's state and its last `max_turns` turns as they were
//   recorded, or nothing when the id is unknown, of another brand, or expired.
// - A conversation expires `expiry` after its last recorded exchange: it is no longer loaded, and
//   its rows are deleted a bounded number at a time as writes go on, apart from any reply's write.
// - The management calls (api/) are each one transaction, all or nothing: after a failure (a
//   thrown sqlite or runtime error) the store holds what it held. A product change keeps the
//   brand's words (its vocabulary) and kinds in step, so that the next load_brand ranks with them.
// - Only hashes of API keys are kept (ApiKeyRecord), never a key.
// - Everything runs on the server's one event loop thread; no call blocks for longer than one
//   small transaction or one search. (SQLite: plus a checkpoint, in a turn of its own whenever
//   the log reaches 1,000 pages, which syncs the file: the one wait for the disk.)
#pragma once

#include "brandchat/catalog/brand.hpp"
#include "brandchat/chat/conversation.hpp"

#include <boost/asio/awaitable.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace brandchat {

// One exchange of a conversation as its reply ends, with the conversation's state after it.
struct Exchange {
    std::string conversation_id;
    std::string brand_id;
    std::optional<std::string> user_id;
    std::optional<Language> language;
    std::string user_text;
    std::string reply_text;                   // what reached the client; empty when nothing did
    std::vector<std::string> last_product_ids; // the products to resolve follow-ups against
    std::optional<double> last_confidence;
    TokenUsage usage;                          // of this reply
    std::int64_t at_ms = 0;                    // wall clock, milliseconds since the epoch
};

// A search of one brand's products in the store's full-text index (FTS5), for a brand whose
// catalog is kept there (Brand::catalog_in_store). What is asked for comes as groups of
// alternatives ("laptop" or "notebook"; "gaming"): products matching every group first, in the
// catalog's order, then those missing one group; for "cheapest", the cheapest of those matching.
struct ProductSearch {
    std::string brand_id;
    std::vector<std::string> kinds;               // products of any of these kinds (Concept::name)
    std::vector<std::vector<std::string>> groups; // words or phrases; none (nor kinds): the catalog in order
    std::optional<double> max_price, min_price;
    bool in_stock_only = false;
    bool cheapest = false, priciest = false;   // also the cheapest (priciest) products matching
    std::vector<std::string> ids;              // these products too, when the brand has them
    std::size_t limit = 48;                    // per ordering
};

// A turn of a conversation as it was kept, for its history.
struct StoredTurn {
    Turn::Role role = Turn::Role::user;
    std::string text;
    std::int64_t at_ms = 0;
};

// An API key as the store keeps it: its SHA-256, never the key (api/keys.hpp).
struct ApiKeyRecord {
    std::string id;                       // public: names the key in listings and to revoke it
    std::array<unsigned char, 32> hash{};
    std::optional<std::string> brand_id;  // none: an admin key (every brand)
    std::string label;
    std::int64_t created_at_ms = 0;
};

// How many products a brand has, and how many of them are available.
struct CatalogCounts {
    std::size_t total = 0, available = 0;
};

struct StoreCounters {
    std::uint64_t exchanges_written = 0;
    std::uint64_t commits = 0;          // transactions: exchanges_written / commits is the batch size
    std::uint64_t write_errors = 0;     // exchanges that could not be written (logged)
    std::uint64_t conversations_loaded = 0;
    std::uint64_t conversations_expired = 0;
};

struct StoreOptions {
    std::string path;                             // a file, or ":memory:" to keep nothing
    std::chrono::seconds expiry{std::chrono::hours(24 * 30)};
    // A program that checkpoints the file's write-ahead log in a process of its own when run as
    // `PROGRAM --checkpoint-log FILE` (the server itself: main sets its /proc/self/exe), so the
    // copy into the file and its sync never hold the event loop. Empty: in this process.
    std::string checkpoint_program{};
};

class Store {
public:
    virtual ~Store() = default;

    virtual std::string describe() const = 0;      // for the start-up log
    virtual std::size_t brand_count() = 0;
    // Every brand, inactive ones too, sorted by id; with its products when it has at most
    // `in_memory_products` of them, else with catalog_in_store set, its count and categories.
    virtual std::vector<Brand> load_brands(std::size_t in_memory_products) = 0;
    // Products of a brand whose catalog is kept here, distinct, best first (words, then price).
    virtual std::vector<Product> search_products(ProductSearch const& search) = 0;
    // The catalog in its order (in one category when it is not empty).
    virtual std::vector<Product> list_products(std::string const& brand_id, std::size_t offset, std::size_t limit,
                                               std::string const& category) = 0;
    // Inserts or replaces these brands (by id) and their products: a replaced brand's products are
    // exactly the given ones afterwards.
    virtual void save_brands(std::vector<Brand> const& brands) = 0;

    // The management API's calls (api/), each one transaction.
    // One brand as load_brands reads it, or nothing when there is none with this id.
    // With `finish_words` false, a catalog kept here comes with its vocabulary's stems not yet
    // worked out (Vocabulary::begin_finish done, finish_some left to the caller, who does it in
    // slices: apply_brand_change_in_slices).
    virtual std::optional<Brand> load_brand(std::string const& id, std::size_t in_memory_products, bool finish_words = true) = 0;
    // Inserts or updates a brand's own fields (not its products: a new brand starts with none).
    virtual void save_brand_settings(Brand const& brand) = 0;
    // Deletes a brand with its products, words and keys; false when there was none.
    virtual bool delete_brand(std::string const& id) = 0;
    // Inserts these products or replaces those with the same id (a replaced product keeps its
    // place in the catalog; new ones go last, in the given order). The brand must exist.
    virtual void put_products(std::string const& brand_id, std::vector<Product> const& products) = 0;
    // A large import (bulk, upload): put_products, written in slices so that chats go on meanwhile.
    // All or nothing, in one transaction on a connection of its own that gives the event loop back
    // between slices; replies meanwhile read the catalog as it was before, and their exchanges are
    // written as soon as the import ends (record() waits for it). Throws, having kept nothing, on
    // failure. One at a time: while it runs, importing() is true and the other management writes
    // must wait (the API answers 409).
    virtual boost::asio::awaitable<void> import_products(std::string brand_id, std::vector<Product> products) = 0;
    virtual bool importing() const = 0;
    virtual bool delete_product(std::string const& brand_id, std::string const& product_id) = 0;
    virtual std::optional<Product> find_product(std::string const& brand_id, std::string const& product_id) = 0;
    // In one category when it is not empty.
    virtual CatalogCounts catalog_counts(std::string const& brand_id, std::string const& category) = 0;
    // Every kept turn of a conversation of this brand, oldest first; nothing when unknown or expired.
    virtual std::optional<std::vector<StoredTurn>> load_history(std::string const& conversation_id, std::string const& brand_id) = 0;
    // Deletes a conversation and its turns; false when this brand has none with this id.
    virtual bool delete_conversation(std::string const& conversation_id, std::string const& brand_id) = 0;
    virtual std::vector<ApiKeyRecord> load_keys() = 0;
    virtual void save_key(ApiKeyRecord const& key) = 0;
    virtual bool delete_key(std::string const& id) = 0;

    virtual boost::asio::awaitable<std::optional<Conversation>> load_conversation(std::string const& id,
                                                                                   std::string const& brand_id,
                                                                                   std::size_t max_turns) = 0;
    virtual boost::asio::awaitable<void> record(Exchange exchange) = 0;

    virtual StoreCounters const& counters() const = 0;
};

// Milliseconds since the epoch, as the store keeps times.
std::int64_t wall_clock_ms();

} // namespace brandchat
