// The SQLite store against real files in a fresh folder: brands round-trip, exchanges kept across
// a reopen and written in one transaction per turn of the loop, expiry, schema upgrades, and
// files it must refuse without touching them.
#include "brandchat/catalog/brand.hpp"
#include "brandchat/catalog/ranking.hpp"
#include "brandchat/chat/candidates.hpp"
#include "brandchat/search/vocabulary.hpp"
#include "brandchat/log.hpp"
#include "brandchat/store/sqlite_store.hpp"
#include "store_support.hpp"
#include "test_brands.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/resource.h>
#include <csignal>

using namespace brandchat;
namespace asio = boost::asio;
namespace fs = std::filesystem;

using namespace brandchat::store_support;


TEST_CASE("store: brands and their products come back as they were saved, in their order") {
    TempDir dir;
    auto brands = bundled_brands();
    {
        auto store = open_sqlite_store({dir.file("shop.db")});
        CHECK(store->brand_count() == 0);
        store->save_brands(brands);
    }
    auto store = open_sqlite_store({dir.file("shop.db")});
    auto loaded = store->load_brands(1000);
    REQUIRE(loaded.size() == brands.size());
    for (std::size_t i = 0; i < brands.size(); ++i) {
        auto const& a = brands[i];
        auto const& b = loaded[i];
        CHECK(b.id == a.id);
        CHECK(b.name == a.name);
        CHECK(b.is_active == a.is_active);
        CHECK(b.language == a.language);
        CHECK(b.welcome_message == a.welcome_message);
        CHECK(b.system_prompt == a.system_prompt);
        CHECK(b.persona_prompt == a.persona_prompt);
        CHECK(b.company.fields == a.company.fields);
        CHECK(b.appearance_json == a.appearance_json);
        CHECK(b.allowed_origins == a.allowed_origins);
        REQUIRE(b.products.size() == a.products.size());
        for (std::size_t j = 0; j < a.products.size(); ++j) {
            CHECK(b.products[j].json == a.products[j].json); // every field, in the protocol's shape
            CHECK(b.products[j].field_text == a.products[j].field_text);
        }
        CHECK(b.word_index.size() == a.word_index.size());
    }
}

TEST_CASE("store: saving a brand again replaces its products; a failed save changes nothing") {
    TempDir dir;
    auto store = open_sqlite_store({dir.file("shop.db")});
    auto brands = bundled_brands();
    store->save_brands(brands);
    auto techpro = brands.back(); // sorted by id: techpro is last
    REQUIRE(techpro.id == "techpro");
    auto const before = techpro.products.size();
    techpro.products.resize(2);
    techpro.name = "TechPro Renamed";
    store->save_brands({techpro});
    auto loaded = store->load_brands(1000);
    CHECK(loaded.back().name == "TechPro Renamed");
    CHECK(loaded.back().products.size() == 2);

    auto broken = techpro;
    broken.products.push_back(broken.products[0]); // a duplicate id: the whole save is refused
    broken.name = "Half applied";
    CHECK_THROWS(store->save_brands({brands[0], broken}));
    loaded = store->load_brands(1000);
    CHECK(loaded.back().name == "TechPro Renamed");
    CHECK(loaded.back().products.size() == 2);
    CHECK(loaded.front().products.size() == brands[0].products.size());
    CHECK(before > 2);
}

TEST_CASE("store: exchanges are kept across a reopen, with the conversation's state and usage") {
    TempDir dir;
    log::set_level(log::Level::off);
    asio::io_context io;
    auto path = dir.file("shop.db");
    {
        auto store = open_sqlite_store({path});
        run(io, store->record(exchange("conv-a", "Ada laptop gaming?", "Ada, ini pilihannya.")));
        run(io, store->record(exchange("conv-a", "Berapa harganya?", "")));  // a reply that sent nothing
        CHECK(store->counters().exchanges_written == 2);
    }
    auto store = open_sqlite_store({path});
    auto c = run(io, store->load_conversation("conv-a", "techpro", 40));
    REQUIRE(c);
    CHECK(c->user_id == "customer-7");
    CHECK(c->language == Language::indonesian);
    CHECK(c->last_product_ids == std::vector<std::string>{"tp-001", "tp-004"});
    CHECK(c->last_confidence == doctest::Approx(0.83));
    CHECK(c->usage.total == 84);
    REQUIRE(c->turns.size() == 3);
    CHECK(c->turns[0].text == "Ada laptop gaming?");
    CHECK(c->turns[0].role == Turn::Role::user);
    CHECK(c->turns[1].role == Turn::Role::assistant);
    CHECK(c->turns[2].text == "Berapa harganya?");
    // The last turns only, oldest first.
    auto last = run(io, store->load_conversation("conv-a", "techpro", 2));
    REQUIRE(last);
    REQUIRE(last->turns.size() == 2);
    CHECK(last->turns[0].text == "Ada, ini pilihannya.");
    // Another brand's id, or an unknown one, is no conversation.
    CHECK_FALSE(run(io, store->load_conversation("conv-a", "rumahkita", 40)));
    CHECK_FALSE(run(io, store->load_conversation("conv-b", "techpro", 40)));
    CHECK(query(path, "SELECT replies FROM brand_usage WHERE brand_id = 'techpro'") == 1); // one reached the client
    CHECK(query(path, "SELECT total_tokens FROM brand_usage WHERE brand_id = 'techpro'") == 84);
}

TEST_CASE("store: exchanges recorded in one turn of the loop share one transaction") {
    TempDir dir;
    asio::io_context io;
    auto store = open_sqlite_store({dir.file("shop.db")});
    int returned = 0;
    for (int i = 0; i < 5; ++i)
        asio::co_spawn(io, [&, i]() -> asio::awaitable<void> {
            co_await store->record(exchange("conv-" + std::to_string(i), "hello", "hi"));
            ++returned;
        }, asio::detached);
    io.run();
    CHECK(returned == 5);
    CHECK(store->counters().exchanges_written == 5);
    CHECK(store->counters().commits == 1);
}

TEST_CASE("store: record() returns only after the exchange is committed") {
    TempDir dir;
    asio::io_context io;
    auto path = dir.file("shop.db");
    auto store = open_sqlite_store({path});
    std::int64_t seen_when_returned = -1;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        co_await store->record(exchange("conv-x", "hello", "hi"));
        seen_when_returned = query(path, "SELECT count(*) FROM turns WHERE conversation_id = 'conv-x'");
    }, asio::detached);
    io.run();
    CHECK(seen_when_returned == 2); // another connection already reads both turns
}

TEST_CASE("store: a conversation expires after its time without activity") {
    TempDir dir;
    asio::io_context io;
    auto path = dir.file("shop.db");
    auto const day = std::int64_t(86400) * 1000;
    {
        auto store = open_sqlite_store({path, std::chrono::hours(24 * 60)}); // both still current
        run(io, store->record(exchange("conv-old", "hello", "hi", wall_clock_ms() - 40 * day)));
        run(io, store->record(exchange("conv-new", "hello", "hi", wall_clock_ms() - 2 * day)));
        CHECK(run(io, store->load_conversation("conv-old", "techpro", 40)));
    }
    CHECK(query(path, "SELECT count(*) FROM turns WHERE conversation_id = 'conv-old'") == 2);
    {
        auto store = open_sqlite_store({path, std::chrono::hours(24 * 30)});
        // Deleted at this start, turns and all; the recent one is kept.
        CHECK_FALSE(run(io, store->load_conversation("conv-old", "techpro", 40)));
        CHECK(run(io, store->load_conversation("conv-new", "techpro", 40)));
        CHECK(store->counters().conversations_expired == 1);
    }
    CHECK(query(path, "SELECT count(*) FROM conversations WHERE id = 'conv-old'") == 0);
    CHECK(query(path, "SELECT count(*) FROM turns WHERE conversation_id = 'conv-old'") == 0);
    CHECK(query(path, "SELECT count(*) FROM turns WHERE conversation_id = 'conv-new'") == 2);
    // A shorter expiry takes it too.
    { auto store = open_sqlite_store({path, std::chrono::hours(24)}); }
    CHECK(query(path, "SELECT count(*) FROM conversations") == 0);
}

TEST_CASE("store: a file at every older schema version is upgraded and keeps its data") {
    for (int version = 0; version < sqlite_schema_version(); ++version) {
        CAPTURE(version);
        TempDir dir;
        auto path = dir.file("old.db");
        if (version > 0) {
            create_sqlite_schema_at(path, version);
            // What every schema has had: a brand, a product, a conversation with a turn, usage.
            sqlite3* db = nullptr;
            REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
            REQUIRE(sqlite3_exec(db, R"sql(
                INSERT INTO brands (id, name) VALUES ('kept', 'Kept Shop');
                INSERT INTO products (brand_id, id, position, name, category, price) VALUES ('kept', 'k1', 0, 'Kept Laptop', 'Laptop', 5000000);
                INSERT INTO conversations (id, brand_id, created_at, updated_at, total_tokens) VALUES ('conv-kept', 'kept', 1, 9e15, 7);
                INSERT INTO turns (conversation_id, role, content, created_at) VALUES ('conv-kept', 'user', 'still here?', 1);
                INSERT INTO brand_usage (brand_id, replies, total_tokens) VALUES ('kept', 3, 7);
            )sql", nullptr, nullptr, nullptr) == SQLITE_OK);
            sqlite3_close(db);
        }
        auto store = open_sqlite_store({path});
        CHECK(query(path, "PRAGMA user_version") == sqlite_schema_version());
        if (version > 0) {
            auto brands = store->load_brands(1000);
            REQUIRE(brands.size() == 1);
            REQUIRE(brands[0].products.size() == 1);
            CHECK(brands[0].products[0].name == "Kept Laptop");
            asio::io_context io;
            auto c = run(io, store->load_conversation("conv-kept", "kept", 40));
            REQUIRE(c);
            CHECK(c->turns.at(0).text == "still here?");
            CHECK(c->usage.total == 7);
            CHECK(query(path, "SELECT replies FROM brand_usage WHERE brand_id = 'kept'") == 3);
        }
        store->save_brands(bundled_brands());
        CHECK(store->load_brands(1000).size() == (version > 0 ? 4u : 3u));
    }
    TempDir dir;
    auto path = dir.file("current.db");
    create_sqlite_schema_at(path, sqlite_schema_version());
    CHECK(query(path, "PRAGMA user_version") == sqlite_schema_version());
}

TEST_CASE("store: a newer, corrupt or foreign file is refused with a clear message and left as it was") {
    TempDir dir;
    auto refused = [](std::string const& path) {
        try {
            open_sqlite_store({path});
        } catch (std::exception const& e) {
            return std::string(e.what());
        }
        return std::string("(opened)");
    };
    SUBCASE("newer") {
        auto path = dir.file("newer.db");
        { auto store = open_sqlite_store({path}); }
        sqlite3* db = nullptr;
        sqlite3_open(path.c_str(), &db);
        sqlite3_exec(db, ("PRAGMA user_version = " + std::to_string(sqlite_schema_version() + 1)).c_str(), nullptr, nullptr, nullptr);
        sqlite3_close(db);
        auto before = read_bytes(path);
        auto message = refused(path);
        CHECK(message.find("newer than this server's") != std::string::npos);
        CHECK(read_bytes(path) == before);
    }
    SUBCASE("corrupt") {
        auto path = dir.file("corrupt.db");
        std::string garbage(8192, '\0');
        for (std::size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<char>((i * 2654435761u) >> 13);
        std::ofstream(path, std::ios::binary) << garbage;
        auto message = refused(path);
        CHECK(message.find("cannot be read") != std::string::npos);
        CHECK(message.find(path) != std::string::npos);
        CHECK(read_bytes(path) == garbage);
        CHECK_FALSE(fs::exists(path + "-wal"));
    }
    SUBCASE("another program's SQLite file") {
        auto path = dir.file("other.db");
        sqlite3* db = nullptr;
        sqlite3_open(path.c_str(), &db);
        sqlite3_exec(db, "CREATE TABLE invoices (id INTEGER PRIMARY KEY); INSERT INTO invoices VALUES (1)", nullptr, nullptr, nullptr);
        sqlite3_close(db);
        auto before = read_bytes(path);
        CHECK(refused(path).find("another program") != std::string::npos);
        CHECK(read_bytes(path) == before);
    }
    SUBCASE("a folder that does not exist") {
        auto message = refused(dir.file("missing/shop.db"));
        CHECK(message.find("cannot open") != std::string::npos);
    }
    SUBCASE("a file that cannot be written") {
        auto path = dir.file("readonly.db");
        { auto store = open_sqlite_store({path}); }
        fs::remove(path + "-wal");
        fs::remove(path + "-shm");
        // Root writes through permission bits; an immutable file it cannot (chattr +i).
        bool immutable = ::geteuid() == 0 && std::system(("chattr +i '" + path + "' 2>/dev/null").c_str()) == 0;
        if (!immutable) fs::permissions(path, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
        if (::geteuid() != 0 || immutable) {
            auto message = refused(path);
            CHECK(message.find("read-only") != std::string::npos);
        }
        if (immutable) std::system(("chattr -i '" + path + "'").c_str());
    }
}

TEST_CASE("store: a write that fails (the file may not grow) is logged and counted; the next one works") {
    TempDir dir;
    log::set_level(log::Level::off);
    asio::io_context io;
    auto path = dir.file("full.db");
    auto store = open_sqlite_store({path});
    run(io, store->record(exchange("conv-1", "hello", "hi")));
    // A full disk, as the process sees one: files may not grow past their size now.
    std::signal(SIGXFSZ, SIG_IGN);
    rlimit old{};
    ::getrlimit(RLIMIT_FSIZE, &old);
    rlimit tight = old;
    tight.rlim_cur = static_cast<rlim_t>(std::max(fs::file_size(path), fs::file_size(path + "-wal")));
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &tight) == 0);
    run(io, store->record(exchange("conv-2", std::string(400000, 'x'), std::string(400000, 'y'))));
    ::setrlimit(RLIMIT_FSIZE, &old);
    CHECK(store->counters().write_errors == 1);
    run(io, store->record(exchange("conv-3", "hello again", "hi")));
    CHECK(store->counters().exchanges_written == 2);
    CHECK(run(io, store->load_conversation("conv-3", "techpro", 40)));
    CHECK(run(io, store->load_conversation("conv-1", "techpro", 40)));
}

namespace {

// The bundled brand `id` kept in a store that searches its catalog there (in_memory_products 0),
// and the same brand ranked in memory.
struct BothWays {
    TempDir dir;
    std::unique_ptr<Store> store = open_sqlite_store({dir.file("shop.db")});
    Brand in_store;
    Brand const& in_memory;
    explicit BothWays(std::string const& id) : in_memory(brandchat::test::bundled(id)) {
        store->save_brands(bundled_brands());
        for (auto& b : store->load_brands(0))
            if (b.id == id) in_store = std::move(b);
    }
    std::vector<std::string> picks_in_store(std::string const& message, RankingContext const& context = {}) {
        auto q = read_query(in_store, message);
        auto view = find_candidates(*store, in_store, q, context, 3);
        return ids(rank_products(*view, q, context));
    }
    std::vector<std::string> picks_in_memory(std::string const& message, RankingContext const& context = {}) {
        return ids(rank_products(in_memory, read_query(in_memory, message), context));
    }
    static std::vector<std::string> ids(Ranking const& r) {
        std::vector<std::string> out;
        for (auto const& s : r.suggestions) out.push_back(s.product->id);
        return out;
    }
};

} // namespace

TEST_CASE("store: a catalog searched in the store's index gives the picks ranking it in memory gives") {
    for (std::string brand : {"techpro", "rumahkita"}) {
        BothWays both(brand);
        REQUIRE(both.in_store.catalog_in_store);
        CHECK(both.in_store.products.empty());
        CHECK(both.in_store.product_count == both.in_memory.products.size());
        CHECK(both.in_store.categories == both.in_memory.categories);
        for (std::string message : {"I need a gaming laptop", "laptop under 15 juta", "cheapest phone", "monitor 4K",
                                    "wireless mouse", "the most expensive laptop", "kulkas 2 pintu", "mesin cuci front loading",
                                    "AC 1 PK inverter", "ada tv 55 inch?", "laptopnya yang murah", "laptpo gaming", "hello",
                                    "Samsung", "tablet untuk kerja"}) {
            CAPTURE(brand);
            CAPTURE(message);
            CHECK(both.picks_in_store(message) == both.picks_in_memory(message));
        }
        // A follow-up is about the products suggested before, in both.
        auto first = both.picks_in_memory(brand == "techpro" ? "gaming laptop" : "kulkas");
        REQUIRE_FALSE(first.empty());
        RankingContext context{first, 0.8, {brand == "techpro" ? "gaming laptop" : "kulkas"}};
        CHECK(both.picks_in_store("What's the price?", context) == both.picks_in_memory("What's the price?", context));
        CHECK(both.picks_in_store("which one is cheapest?", context) == both.picks_in_memory("which one is cheapest?", context));
    }
}

TEST_CASE("store: a catalog from schema 1 is upgraded with its products, their kinds and its words") {
    TempDir dir;
    auto path = dir.file("old.db");
    create_sqlite_schema_at(path, 1);
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, R"sql(
        INSERT INTO brands (id, name) VALUES ('oldshop', 'Old Shop');
        INSERT INTO products (brand_id, id, position, name, category, price, features)
        VALUES ('oldshop', 'p1', 0, 'Lenovo IdeaPad Gaming 3', 'Laptop', 12000000, '["RTX 3050 graphics"]'),
               ('oldshop', 'p2', 1, 'Logitech Wireless Mouse M185', 'Accessory', 150000, '[]');
    )sql", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
    auto store = open_sqlite_store({path});
    CHECK(query(path, "PRAGMA user_version") == sqlite_schema_version());
    auto in_memory = store->load_brands(1000);
    REQUIRE(in_memory.size() == 1);
    REQUIRE(in_memory[0].products.size() == 2);
    CHECK(in_memory[0].products[0].name == "Lenovo IdeaPad Gaming 3");
    auto in_store = store->load_brands(0);
    REQUIRE(in_store[0].catalog_in_store);
    CHECK(in_store[0].vocabulary->contains("ideapad")); // its words, worked out at the first load
    CHECK(query(path, "SELECT count(*) FROM product_kinds WHERE kind = 'laptop'") == 1);
    ProductSearch search;
    search.brand_id = "oldshop";
    search.kinds = {"laptop"};
    auto found = store->search_products(search);
    REQUIRE(found.size() == 1);
    CHECK(found[0].id == "p1");
    search.kinds = {};
    search.groups = {{"wireless"}};
    found = store->search_products(search);
    REQUIRE(found.size() == 1);
    CHECK(found[0].id == "p2");
}
