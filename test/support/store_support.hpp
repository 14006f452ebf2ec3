// What the store's tests share: a fresh folder, running a store coroutine to its end, the
// bundled brands, an exchange, and reading a number from a database file with a connection of
// the test's own.
#pragma once

#include "brandchat/catalog/brand.hpp"
#include "brandchat/store/store.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include <stdlib.h>

namespace brandchat::store_support {

namespace asio = boost::asio;
namespace fs = std::filesystem;

// A fresh folder, removed afterwards.
struct TempDir {
    fs::path path;
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "brandchat-store-XXXXXX").string();
        path = ::mkdtemp(pattern.data());
    }
    ~TempDir() { fs::remove_all(path); }
    std::string file(std::string const& name) const { return (path / name).string(); }
};

inline std::string read_bytes(std::string const& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// Runs a coroutine of the store to its end on a loop of its own.
template <class T>
T run(asio::io_context& io, asio::awaitable<T> a) {
    std::optional<T> out;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> { out = co_await std::move(a); }, asio::detached);
    io.restart();
    io.run();
    return std::move(*out);
}

inline void run(asio::io_context& io, asio::awaitable<void> a) {
    asio::co_spawn(io, std::move(a), asio::detached);
    io.restart();
    io.run();
}

inline std::vector<Brand> bundled_brands() {
    std::vector<Brand> out;
    for (auto const& b : BrandCatalog::load_directory(std::string(BRANDCHAT_SOURCE_RESOURCES) + "/brands").all()) out.push_back(*b);
    return out;
}

inline Exchange exchange(std::string id, std::string user, std::string reply, std::int64_t at = wall_clock_ms()) {
    Exchange e;
    e.conversation_id = std::move(id);
    e.brand_id = "techpro";
    e.user_id = "customer-7";
    e.language = Language::indonesian;
    e.user_text = std::move(user);
    e.reply_text = std::move(reply);
    e.last_product_ids = {"tp-001", "tp-004"};
    e.last_confidence = 0.83;
    e.usage = {12, 30, 42};
    e.at_ms = at;
    return e;
}

// One number from the file, read with a connection of the test's own.
inline std::int64_t query(std::string const& path, std::string const& sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
    std::int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

} // namespace brandchat::store_support
