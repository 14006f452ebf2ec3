// The server with a real database file: what a cancelled reply keeps, and a write that fails
// (the file may not grow, as on a full disk) while the customer still gets the reply.
#include <doctest/doctest.h>

#include "test_server.hpp"

#include <boost/json.hpp>
#include <sqlite3.h>

#include <csignal>
#include <filesystem>
#include <sys/resource.h>

using namespace brandchat;
using namespace brandchat::test;
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

struct TempDir {
    fs::path path;
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "brandchat-server-store-XXXXXX").string();
        path = ::mkdtemp(pattern.data());
    }
    ~TempDir() { fs::remove_all(path); }
};

// The conversation's turns in the file, oldest first, as "role: text".
std::vector<std::string> turns_in(std::string const& path, std::string const& conversation) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, "SELECT role, content FROM turns WHERE conversation_id = ?1 ORDER BY id", -1, &st, nullptr) == SQLITE_OK);
    sqlite3_bind_text(st, 1, conversation.c_str(), -1, SQLITE_TRANSIENT);
    std::vector<std::string> out;
    while (sqlite3_step(st) == SQLITE_ROW)
        out.push_back(std::string(reinterpret_cast<char const*>(sqlite3_column_text(st, 0))) + ": " +
                      reinterpret_cast<char const*>(sqlite3_column_text(st, 1)));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
}

json::object health(std::uint16_t port) {
    auto response = http_get(port, "/health");
    return json::parse(response.substr(response.find("\n\n") + 2)).as_object();
}

} // namespace

TEST_CASE("a cancelled reply is kept as far as it went, before its complete") {
    TempDir dir;
    auto options = quiet_options();
    options.database = (dir.path / "shop.db").string();
    options.word_delay = std::chrono::milliseconds(20);
    TestServer server(options);
    WsClient c(server.port(), "/ws/chat/techpro");
    c.read();
    c.chat("I need a laptop for business work");
    auto first = c.read();
    REQUIRE(first.type == "chunk");
    c.send_text(R"({"type":"cancel","data":{}})");
    auto r = c.read_reply();
    REQUIRE(r.complete.type == "complete");
    auto id = std::string(r.complete.data.at("conversation_id").as_string());
    auto turns = turns_in(options.database, id); // read when complete arrived: already kept
    REQUIRE(turns.size() == 2);
    CHECK(turns[0] == "user: I need a laptop for business work");
    CHECK(turns[1] == "assistant: " + std::string(first.data.at("content").as_string()) + r.text);
}

TEST_CASE("a full disk: the reply still reaches the client, the failed write is logged and counted") {
    TempDir dir;
    auto options = quiet_options();
    options.database = (dir.path / "shop.db").string();
    TestServer server(options);
    WsClient c(server.port(), "/ws/chat/techpro");
    c.read();
    c.chat("hello");
    REQUIRE(c.read_reply().complete.type == "complete");

    std::signal(SIGXFSZ, SIG_IGN); // a write past the limit fails with EFBIG instead
    rlimit old{};
    ::getrlimit(RLIMIT_FSIZE, &old);
    rlimit tight = old;
    tight.rlim_cur = static_cast<rlim_t>(fs::file_size(options.database + "-wal"));
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &tight) == 0);
    c.chat("I need a laptop for business work, and here is a long story about why: " + std::string(900, 'x'));
    auto r = c.read_reply();
    ::setrlimit(RLIMIT_FSIZE, &old);
    CHECK(r.complete.type == "complete");
    CHECK_FALSE(r.text.empty());
    CHECK(health(server.port()).at("store").at("write_errors").to_number<int>() == 1);

    c.chat("hello again"); // and writes go on once there is room
    CHECK(c.read_reply().complete.type == "complete");
    CHECK(health(server.port()).at("store").at("exchanges_written").to_number<int>() == 2);
}

TEST_CASE("GET /brands/{id}/products pages the catalog the same whether it is in memory or in the store") {
    auto in_memory = quiet_options();
    auto in_store = quiet_options();
    in_store.in_memory_products = 0; // every catalog searched and read in the database
    TestServer a(in_memory), b(in_store);
    for (std::string target : {"/brands/techpro/products", "/brands/techpro/products?offset=40&limit=5",
                               "/brands/rumahkita/products?limit=2", "/brands/techpro/products?offset=99"}) {
        CAPTURE(target);
        auto from_memory = http_get(a.port(), target), from_store = http_get(b.port(), target);
        auto body = [](std::string const& r) { return json::parse(r.substr(r.find("\n\n") + 2)).as_array(); };
        CHECK(body(from_memory) == body(from_store));
        CHECK(from_store.find("X-Total-Count: ") != std::string::npos);
        if (target.ends_with("limit=5")) CHECK(body(from_store).size() == 5);
        if (target.ends_with("offset=99")) CHECK(body(from_store).empty());
    }
    CHECK(json::parse([&] { auto r = http_get(b.port(), "/brands/techpro"); return r.substr(r.find("\n\n") + 2); }())
              .at("product_count")
              .to_number<int>() == 47);
}
