// The store's management calls against real files: product changes keep the brand's words and
// kinds as a fresh save of the same catalog counts them; a large import is all or nothing, and
// the exchanges recorded while it runs are kept once it ends; brands, keys and histories.
#include "brandchat/catalog/brand.hpp"
#include "brandchat/api/keys.hpp"
#include "brandchat/log.hpp"
#include "brandchat/store/sqlite_store.hpp"
#include "store_support.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <filesystem>
#include <set>
#include <tuple>

using namespace brandchat;
using namespace brandchat::store_support;
namespace fs = std::filesystem;

namespace {

// Every row of a query, each row's columns joined with '|'.
std::multiset<std::string> rows(std::string const& path, std::string const& sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
    std::multiset<std::string> out;
    while (sqlite3_step(st) == SQLITE_ROW) {
        std::string row;
        for (int i = 0; i < sqlite3_column_count(st); ++i) {
            auto const* text = sqlite3_column_text(st, i);
            if (i) row += '|';
            row += text ? reinterpret_cast<char const*>(text) : "NULL";
        }
        out.insert(row);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
}

Product product(std::string id, std::string name, std::string category, double price) {
    Product p;
    p.id = std::move(id);
    p.name = std::move(name);
    p.category = std::move(category);
    p.price = price;
    p.features = {"Wireless", "16GB RAM"};
    derive_product_fields(p, false);
    return p;
}

Brand techpro() {
    for (auto& b : bundled_brands())
        if (b.id == "techpro") return b;
    FAIL("no techpro");
    return {};
}

} // namespace

TEST_CASE("store: product changes keep the brand's words and kinds as a fresh save of the same catalog counts them") {
    TempDir dir;
    log::set_level(log::Level::off);
    asio::io_context io;
    auto changed_path = dir.file("changed.db"), fresh_path = dir.file("fresh.db");
    auto brand = techpro();
    auto changed = open_sqlite_store({changed_path});
    changed->save_brands({brand});

    // The same changes, made on the store and on a copy of the catalog in memory.
    auto expected = brand.products;
    auto put = [&](std::vector<Product> const& ps) {
        for (auto const& p : ps) {
            auto it = std::find_if(expected.begin(), expected.end(), [&](auto const& e) { return e.id == p.id; });
            if (it != expected.end()) *it = p;
            else expected.push_back(p);
        }
    };
    auto replaced = expected[3];
    replaced.name = "Galaxy Tab Ultra Quokka";
    replaced.category = "Tablet";
    derive_product_fields(replaced, false);
    std::vector<Product> first = {replaced, product("new-1", "Sony WH-1000XM6 Headphones", "Accessory", 5499000),
                                  product("new-2", "Kompor Induksi 2 Tungku", "Kompor", 899000)};
    changed->put_products("techpro", first);
    put(first);
    CHECK(changed->delete_product("techpro", expected[0].id));
    CHECK(changed->delete_product("techpro", "new-2"));
    CHECK_FALSE(changed->delete_product("techpro", "no-such-product"));
    std::erase_if(expected, [&](auto const& p) { return p.id == brand.products[0].id || p.id == "new-2"; });
    std::vector<Product> imported;
    for (int i = 0; i < 450; ++i)
        imported.push_back(product("imp-" + std::to_string(i), "Lenovo Legion " + std::to_string(i % 7) + " Gaming Laptop", "Laptop", 1e7 + i));
    imported.push_back(product(expected[5].id, "ThinkPad X1 Carbon Gen 12 Refurbished", "Laptop", 15999000));
    run(io, changed->import_products("techpro", imported));
    put(imported);

    auto fresh_brand = brand;
    fresh_brand.products = expected;
    open_sqlite_store({fresh_path})->save_brands({fresh_brand});
    changed.reset();

    CHECK(rows(changed_path, "SELECT word, products, in_names FROM brand_words") == rows(fresh_path, "SELECT word, products, in_names FROM brand_words"));
    auto kinds = "SELECT p.id, k.kind, k.price FROM product_kinds k JOIN products p ON p.n = k.n";
    CHECK(rows(changed_path, kinds) == rows(fresh_path, kinds));
    CHECK(rows(changed_path, "SELECT id, name, kinds FROM products") == rows(fresh_path, "SELECT id, name, kinds FROM products"));
    // The full-text index follows: the new name is found, the old is not.
    CHECK(query(changed_path, "SELECT count(*) FROM product_text WHERE product_text MATCH 'quokka'") == 1);
    CHECK(query(changed_path, "SELECT count(*) FROM product_text WHERE product_text MATCH '\"wh\" \"1000xm6\"'") == 1);
    CHECK(query(changed_path, "SELECT count(*) FROM product_text WHERE product_text MATCH 'tungku'") == 0);
    // Replaced products kept their places; new ones came last, in order.
    auto reopened = open_sqlite_store({changed_path});
    auto listed = reopened->list_products("techpro", 0, 10000, "");
    REQUIRE(listed.size() == expected.size());
    for (std::size_t i = 0; i < listed.size(); ++i) CHECK(listed[i].id == expected[i].id);
}

TEST_CASE("store: a large import is all or nothing; exchanges recorded while it runs are kept when it ends") {
    TempDir dir;
    log::set_level(log::Level::off);
    asio::io_context io;
    auto path = dir.file("shop.db");
    auto store = open_sqlite_store({path});
    store->save_brands({techpro()});
    auto before = query(path, "SELECT count(*) FROM products");

    for (bool fails : {true, false}) {
        CAPTURE(fails);
        std::vector<Product> products;
        for (int i = 0; i < 3000; ++i) products.push_back(product("bulk-" + std::to_string(i), "Cable " + std::to_string(i), "Accessory", 1000 + i));
        if (fails) products.back().price = -1; // the database refuses it (CHECK price >= 0), at the very end
        bool threw = false, recorded_during = false, was_importing = false;
        asio::co_spawn(io, [&]() -> asio::awaitable<void> {
            try {
                co_await store->import_products("techpro", products);
            } catch (std::exception const&) {
                threw = true;
            }
        }, asio::detached);
        asio::co_spawn(io, [&]() -> asio::awaitable<void> {
            co_await asio::post(io, asio::use_awaitable); // the import has begun
            was_importing = store->importing();
            co_await store->record(exchange(fails ? "conv-a" : "conv-b", "hello", "hi")); // returns at once during an import
            recorded_during = store->importing();
        }, asio::detached);
        io.restart();
        io.run();
        CHECK(threw == fails);
        CHECK(was_importing);
        CHECK(recorded_during);
        CHECK_FALSE(store->importing());
        CHECK(query(path, "SELECT count(*) FROM products") == before + (fails ? 0 : 3000));
        CHECK(query(path, std::string("SELECT count(*) FROM turns WHERE conversation_id = '") + (fails ? "conv-a" : "conv-b") + "'") == 2);
    }
}

TEST_CASE("store: the checkpoint process's work copies the log into the file the store has open") {
    // What `brandchat --checkpoint-log FILE` runs (StoreOptions::checkpoint_program), here called
    // in this process on a connection of its own, as the child does.
    TempDir dir;
    log::set_level(log::Level::off);
    auto path = dir.file("shop.db");
    auto store = open_sqlite_store({path});
    store->save_brands({techpro()});
    std::vector<Product> products;
    for (int i = 0; i < 2000; ++i) products.push_back(product("ck-" + std::to_string(i), "Cable " + std::to_string(i), "Accessory", 1000 + i));
    store->put_products("techpro", products); // no checkpoint follows (only an exchange's commit or an import starts one)
    auto file_before = fs::file_size(path);
    REQUIRE(fs::file_size(path + "-wal") > 500'000); // the import is in the log, not yet in the file
    CHECK(checkpoint_sqlite_log(path) == 0);
    CHECK(fs::file_size(path) > file_before + 500'000);
    CHECK(query(path, "SELECT count(*) FROM products WHERE id LIKE 'ck-%'") == 2000);
    // The store goes on writing after it.
    store->put_products("techpro", {product("ck-after", "Cable after", "Accessory", 5)});
    CHECK(query(path, "SELECT count(*) FROM products WHERE id = 'ck-after'") == 1);
    CHECK(checkpoint_sqlite_log(dir.file("missing.db")) == 1);
}

TEST_CASE("store: a brand's settings, deletion, keys and a conversation's history") {
    TempDir dir;
    log::set_level(log::Level::off);
    asio::io_context io;
    auto path = dir.file("shop.db");
    auto store = open_sqlite_store({path});
    store->save_brands({techpro()});
    auto b = *store->load_brand("techpro", 1000);
    b.system_prompt = "Be brief.";
    b.is_active = false;
    store->save_brand_settings(b);
    auto again = *store->load_brand("techpro", 1000);
    CHECK(again.system_prompt == "Be brief.");
    CHECK_FALSE(again.is_active);
    CHECK(again.products.size() == techpro().products.size()); // the products stay
    CHECK_FALSE(store->load_brand("nosuch", 1000));

    auto [key, record] = make_api_key(std::string("techpro"), "staff");
    store->save_key(record);
    auto keys = store->load_keys();
    REQUIRE(keys.size() == 1);
    CHECK(keys[0].hash == record.hash);
    CHECK(keys[0].brand_id == std::optional<std::string>("techpro"));
    CHECK(read_bytes(path).find(key) == std::string::npos);

    run(io, store->record(exchange("conv-h", "what laptops?", "these")));
    run(io, store->record(exchange("conv-h", "cheaper?", "this one")));
    auto history = store->load_history("conv-h", "techpro");
    REQUIRE(history);
    REQUIRE(history->size() == 4);
    CHECK((*history)[2].text == "cheaper?");
    CHECK((*history)[3].role == Turn::Role::assistant);
    CHECK_FALSE(store->load_history("conv-h", "rumahkita"));
    CHECK(store->delete_conversation("conv-h", "techpro"));
    CHECK_FALSE(store->load_history("conv-h", "techpro"));
    CHECK(query(path, "SELECT count(*) FROM turns") == 0);

    CHECK(store->delete_brand("techpro"));
    CHECK_FALSE(store->delete_brand("techpro"));
    CHECK(query(path, "SELECT count(*) FROM products") == 0);
    CHECK(query(path, "SELECT count(*) FROM product_text") == 0);
    CHECK(query(path, "SELECT count(*) FROM brand_words") == 0);
    CHECK(query(path, "SELECT count(*) FROM api_keys") == 0);
}
