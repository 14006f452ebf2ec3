// A large product import (store.hpp, import_products): one transaction on a connection of its
// own, written a slice at a time with the event loop given back between slices, so that chats go
// on meanwhile. The main connection keeps reading the catalog as it was (WAL: readers see the last
// commit) and holds its exchange batches until the import ends (sqlite_store.cpp).
#include "sqlite_store_impl.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace brandchat::sqlite_store {

namespace {

// Products written between two turns of the event loop, and word counts: each slice a few
// milliseconds (about 20 µs a product with its kinds and full-text rows).
constexpr std::size_t products_per_slice = 200;
constexpr std::size_t words_per_slice = 2000;

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

    sqlite::Database db(options_.path, false);
    db.exec("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 1000; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -65536");
    db.exec("BEGIN IMMEDIATE");
    try {
        ProductWriter writer(db, brand_id);
        std::size_t written = 0;
        for (auto const& p : products) {
            writer.put(p);
            if (++written % products_per_slice == 0) {
                co_await asio::post(executor, asio::use_awaitable);
                if (!*alive) throw std::runtime_error("the store closed during the import");
            }
        }
        while (writer.write_words(words_per_slice) > 0) {
            co_await asio::post(executor, asio::use_awaitable);
            if (!*alive) throw std::runtime_error("the store closed during the import");
        }
        db.exec("COMMIT");
    } catch (...) {
        roll_back(db);
        throw;
    }
}

} // namespace brandchat::sqlite_store
