// A large product import (store.hpp, import_products): one transaction on a connection of its
// own, written a slice at a time with the event loop given back between slices, so that chats go
// on meanwhile. The main connection keeps reading the catalog as it was (WAL: readers see the last
// commit) and holds its exchange batches until the import ends (sqlite_store.cpp).
#include "sqlite_store_impl.hpp"

#include "brandchat/net/background_slices.hpp"

#include <boost/asio/this_coro.hpp>

namespace brandchat::sqlite_store {

namespace {

// A product with its kinds, words and full-text rows takes a few hundred microseconds, so a
// slice (BackgroundSlices::default_slice) is a handful of them.
constexpr std::size_t words_per_check = 200;

} // namespace

asio::awaitable<void> SqliteStore::import_products(std::string brand_id, std::vector<Product> products) {
    if (importing()) throw std::runtime_error("another product import is under way");
    auto executor = co_await asio::this_coro::executor;
    if (!is_file(options_.path)) { // an in-memory database has no second connection to it: at once
        put_products(brand_id, products);
        co_return;
    }
    import_done_ = std::make_shared<asio::steady_timer>(executor, asio::steady_timer::time_point::max());
    struct End { // whatever happens: the exchanges waiting for the import go on
        std::shared_ptr<bool> alive;
        std::shared_ptr<asio::steady_timer> done;
        SqliteStore* store;
        ~End() {
            if (*alive) store->import_done_.reset();
            done->cancel();
        }
    } end{alive_, import_done_, this};
    auto alive = alive_;

    std::optional<sqlite::Database> connection(std::in_place, options_.path, false); // closed in a turn of its own
    auto& db = *connection;
    // As the main connection: no sync at each commit, and no checkpoint inside one (the main
    // connection checkpoints in a turn of its own once the log is long: sqlite_store.cpp).
    db.exec("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 1000; PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0; "
            "PRAGMA temp_store = MEMORY; PRAGMA cache_size = -1024");
    // A small cache: its pages go to the log as the import goes, a few at a time.
    std::optional<ProductWriter> writer; // its word counts are let go in a turn of their own, after the commit
    BackgroundSlices slices;
    db.exec("BEGIN IMMEDIATE");
    try {
        // The full-text index buffers new rows and writes them as a segment when its buffer fills,
        // then merges segments: each of those steps holds the loop for as long as it takes. During
        // the import it flushes small buffers and merges a little in each slice, and after the
        // products the rest a little at a time; SQLite's defaults are set back before the commit.
        db.exec("INSERT INTO product_text (product_text, rank) VALUES ('automerge', 0)");
        db.exec("INSERT INTO product_text (product_text, rank) VALUES ('crisismerge', 64)");
        db.exec("INSERT INTO product_text (product_text, rank) VALUES ('hashsize', 262144)");
        writer.emplace(db, brand_id);
        auto give_back = [&]() -> asio::awaitable<void> {
            co_await slices.give_back();
            if (!*alive) throw std::runtime_error("the store closed during the import");
        };
        // A little merging in each slice keeps the segments few (FTS5 allows 2,000 at most).
        auto merge_some = [&] {
            auto before = sqlite3_total_changes64(db.handle());
            db.exec("INSERT INTO product_text (product_text, rank) VALUES ('merge', 16)");
            return sqlite3_total_changes64(db.handle()) - before >= 2; // SQLite's doc: fewer, nothing was left to merge
        };
        for (auto& p : products) {
            writer->put(p);
            p = Product(); // its text freed as the import goes; the emptied products after the commit
            if (slices.due()) {
                co_await give_back();
                merge_some();
            }
        }
        while (writer->write_words(words_per_check) > 0)
            if (slices.due()) co_await give_back();
        while (merge_some())
            if (slices.due()) co_await give_back();
        db.exec("INSERT INTO product_text (product_text, rank) VALUES ('automerge', 4)");
        db.exec("INSERT INTO product_text (product_text, rank) VALUES ('crisismerge', 16)");
        db.exec("INSERT INTO product_text (product_text, rank) VALUES ('hashsize', 1048576)");
        db.exec("COMMIT");
    } catch (...) {
        writer.reset(); // its statements, before the rollback
        roll_back(db);
        throw;
    }
    // Done; what is left is let go in turns of their own: the commit took one.
    co_await slices.give_back();
    writer.reset();
    co_await slices.give_back();
    connection.reset();
    co_await slices.give_back();
    while (!products.empty()) { // 100,000 of them took 40 ms to destroy at once
        products.pop_back();
        if (slices.due()) co_await slices.give_back();
    }
    if (!*alive) co_return;
    // The log now holds the whole import: copied into the file at once, in a process of its own.
    start_checkpoint(executor);
}

} // namespace brandchat::sqlite_store
