// The management API against a real server: every endpoint's success, not found, 401/403 and
// validation errors, in the original system's shapes; changes reaching open connections live.
#include <doctest/doctest.h>

#include "store_support.hpp"
#include "test_server.hpp"

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <thread>

#include <unistd.h>

using namespace brandchat;
using namespace brandchat::test;
namespace json = boost::json;

namespace {

constexpr char const* admin = "test-admin-key";

Options api_options() {
    auto o = quiet_options();
    o.admin_key = admin;
    return o;
}

std::string str(json::value const& v) { return std::string(v.as_string()); }

// The product of `brand` with this id, as GET /brands/{brand}/products shows it.
json::object product_of(std::uint16_t port, std::string const& brand, std::string const& id) {
    auto products = http_call(port, "GET", "/brands/" + brand + "/products").json();
    for (auto const& p : products.as_array())
        if (p.at("id") == json::string(id)) return p.as_object();
    FAIL("no product " << id);
    return {};
}

// The locations named by a 422's detail, as "body.price", "body.0.id".
std::vector<std::string> locations(HttpAnswer const& a) {
    std::vector<std::string> out;
    auto body = a.json();
    for (auto const& e : body.at("detail").as_array()) {
        std::string loc;
        for (auto const& part : e.at("loc").as_array()) {
            if (!loc.empty()) loc += '.';
            loc += part.is_string() ? str(part) : std::to_string(part.to_number<std::int64_t>());
        }
        out.push_back(loc);
    }
    return out;
}

bool has(std::vector<std::string> const& v, std::string const& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

std::string new_key(std::uint16_t port, std::string const& body) {
    auto made = http_call(port, "POST", "/keys", body, bearer(admin));
    REQUIRE(made.status == 201);
    return str(made.json().at("key"));
}

} // namespace

TEST_CASE("api keys: 401 without one, 403 for another brand's, admin keys manage keys, only hashes are listed") {
    TestServer server(api_options());
    auto port = server.port();
    auto none = http_call(port, "GET", "/brands/techpro/config");
    CHECK(none.status == 401);
    CHECK(none.header("WWW-Authenticate") == "Bearer");
    CHECK(str(none.json().at("detail")).starts_with("Not authenticated"));
    CHECK(http_call(port, "GET", "/brands/techpro/config", "", bearer("wrong")).status == 401);
    CHECK(http_call(port, "GET", "/brands/techpro/config", "", bearer(admin)).status == 200);
    CHECK(http_call(port, "GET", "/brands/techpro/config", "", {{"X-API-Key", admin}}).status == 200);

    auto shop_key = new_key(port, R"({"brand_id":"rumahkita","label":"rumahkita staff"})");
    CHECK(shop_key.starts_with("bck_"));
    CHECK(http_call(port, "GET", "/brands/rumahkita/config", "", bearer(shop_key)).status == 200);
    auto other = http_call(port, "GET", "/brands/techpro/config", "", bearer(shop_key));
    CHECK(other.status == 403);
    CHECK(str(other.json().at("detail")).find("techpro") != std::string::npos);
    CHECK(http_call(port, "PUT", "/brands/techpro/system-prompt", R"({"system_prompt":"x"})", bearer(shop_key)).status == 403);
    CHECK(http_call(port, "POST", "/brands?name=Mine&description=x", "", bearer(shop_key)).status == 403); // admin only
    CHECK(http_call(port, "GET", "/keys", "", bearer(shop_key)).status == 403);
    CHECK(http_call(port, "POST", "/keys", R"({"brand_id":"nosuch"})", bearer(admin)).status == 422);

    auto listed = http_call(port, "GET", "/keys", "", bearer(admin));
    REQUIRE(listed.status == 200);
    auto keys = listed.json();
    REQUIRE(keys.as_array().size() == 1);
    auto const& entry = keys.as_array()[0].as_object();
    CHECK(entry.at("brand_id") == "rumahkita");
    CHECK(entry.at("label") == "rumahkita staff");
    CHECK(!entry.contains("key"));
    CHECK(listed.body.find(shop_key) == std::string::npos);

    CHECK(http_call(port, "DELETE", "/keys/" + str(entry.at("id")), "", bearer(admin)).status == 200);
    CHECK(http_call(port, "GET", "/brands/rumahkita/config", "", bearer(shop_key)).status == 401);
    CHECK(http_call(port, "DELETE", "/keys/" + str(entry.at("id")), "", bearer(admin)).status == 404);
    // Catalog reads stay public, as the chat page needs them.
    CHECK(http_call(port, "GET", "/brands").status == 200);
    CHECK(http_call(port, "GET", "/brands/techpro/products").status == 200);
    CHECK(http_call(port, "POST", "/brands/techpro/products/search", R"({"query":"laptop"})").status == 200);
}

TEST_CASE("brands: created from the original's query parameters or a JSON body, listed, updated, deleted") {
    TestServer server(api_options());
    auto port = server.port();
    auto made = http_call(port, "POST", "/brands?name=TechCorp%20Solutions&description=Enterprise%20technology&brand_id=techcorp", "",
                          bearer(admin));
    REQUIRE(made.status == 200);
    CHECK(made.json().at("id") == "techcorp");
    CHECK(made.json().at("welcome_message") == "Welcome to TechCorp Solutions! How can I assist you today?");
    // The README's JSON form; a taken id gets -1, as the original did.
    auto again = http_call(port, "POST", "/brands", R"({"name":"TechCorp Solutions","description":"again","brand_id":"techcorp"})", bearer(admin));
    REQUIRE(again.status == 200);
    CHECK(again.json().at("id") == "techcorp-1");
    auto named = http_call(port, "POST", "/brands?name=Fashion%20Tech&description=x", "", bearer(admin));
    CHECK(named.json().at("id") == "fashion-tech");
    auto missing = http_call(port, "POST", "/brands?description=x", "", bearer(admin));
    CHECK(missing.status == 422);
    CHECK(has(locations(missing), "query.name"));
    CHECK(http_call(port, "POST", "/brands", R"({"name":"Bad","brand_id":"no/slash"})", bearer(admin)).status == 422);
    CHECK(http_call(port, "POST", "/brands", R"({"name":"Bad",)", bearer(admin)).status == 422); // not JSON

    auto all = http_call(port, "GET", "/brands").json().as_array();
    auto active = http_call(port, "GET", "/brands/active").json().as_array();
    CHECK(all.size() == 6);    // the 3 bundled (oldmart inactive) and the 3 made here
    CHECK(active.size() == 5);
    CHECK(http_call(port, "GET", "/brands/oldmart").json().at("is_active") == false);
    CHECK(http_call(port, "GET", "/brands/nosuch").status == 404);
    CHECK(http_call(port, "GET", "/brands/nosuch").json().at("detail") == "Brand not found");

    auto renamed = http_call(port, "PUT", "/brands/techcorp?name=TechCorp%20Enterprise&is_active=false", "", bearer(admin));
    REQUIRE(renamed.status == 200);
    CHECK(renamed.json().at("name") == "TechCorp Enterprise");
    CHECK(renamed.json().at("is_active") == false);
    CHECK(http_call(port, "PUT", "/brands/techcorp?is_active=maybe", "", bearer(admin)).status == 422);
    CHECK(has(locations(http_call(port, "PUT", "/brands/techcorp?name=%20", "", bearer(admin))), "query.name"));
    CHECK(http_call(port, "PUT", "/brands/nosuch?name=x", "", bearer(admin)).status == 404);
    CHECK(http_call(port, "GET", "/brands/active").json().as_array().size() == 4);

    CHECK(http_call(port, "DELETE", "/brands/techcorp", "", bearer(admin)).json().at("message") == "Brand deleted successfully");
    CHECK(http_call(port, "GET", "/brands/techcorp").status == 404);
    CHECK(http_call(port, "DELETE", "/brands/techcorp", "", bearer(admin)).status == 404);
    CHECK(http_call(port, "PATCH", "/brands/techpro", "", bearer(admin)).status == 405);
}

TEST_CASE("config, system prompt and stats read and change a brand; a new welcome greets the next connection") {
    TestServer server(api_options());
    auto port = server.port();
    auto config = http_call(port, "GET", "/brands/techpro/config", "", bearer(admin));
    REQUIRE(config.status == 200);
    for (auto key : {"brand_id", "system_prompt", "persona_prompt", "welcome_message", "company_info", "appearance_settings", "updated_at"})
        CHECK(config.json().as_object().contains(key));

    auto changed = http_call(port, "PUT", "/brands/techpro/config",
                             R"({"welcome_message":"Selamat datang di TechPro!","company_info":{"hours":"09:00-21:00"},"appearance_settings":{"primary_color":"#0066cc"}})",
                             bearer(admin));
    REQUIRE(changed.status == 200);
    CHECK(changed.json().at("company_info").at("hours") == "09:00-21:00");
    WsClient next(port, "/ws/chat/techpro");
    CHECK(next.read().data.at("message") == "Selamat datang di TechPro!");

    auto bad = http_call(port, "PUT", "/brands/techpro/config", R"({"welcome_message":5,"company_info":"x","language":"fr"})", bearer(admin));
    CHECK(bad.status == 422);
    auto where = locations(bad);
    CHECK(has(where, "body.welcome_message"));
    CHECK(has(where, "body.company_info"));
    CHECK(has(where, "body.language"));
    CHECK(http_call(port, "GET", "/brands/techpro/config", "", bearer(admin)).json().at("welcome_message") == "Selamat datang di TechPro!");

    auto prompt = http_call(port, "PUT", "/brands/techpro/system-prompt", R"({"system_prompt":"Be brief."})", bearer(admin));
    REQUIRE(prompt.status == 200);
    CHECK(prompt.json().at("message") == "System prompt updated successfully");
    CHECK(http_call(port, "GET", "/brands/techpro/system-prompt", "", bearer(admin)).json().at("system_prompt") == "Be brief.");
    CHECK(has(locations(http_call(port, "PUT", "/brands/techpro/system-prompt", "{}", bearer(admin))), "body.system_prompt"));
    CHECK(http_call(port, "GET", "/brands/nosuch/system-prompt", "", bearer(admin)).status == 404);

    auto stats = http_call(port, "GET", "/brands/techpro/stats", "", bearer(admin)).json();
    CHECK(stats.at("total_products") == 47);
    CHECK(stats.at("available_products").to_number<int>() < 47);
    CHECK(stats.at("categories") == stats.at("category_list").as_array().size());
    auto all = http_call(port, "GET", "/stats", "", bearer(admin)).json();
    CHECK(all.at("active_brands") == 2);
    CHECK(all.at("brands_stats").as_array().size() == 2);
    CHECK(http_call(port, "GET", "/stats").status == 401);
}

TEST_CASE("products: added, replaced, deleted, imported in bulk all or nothing, each invalid field named") {
    TestServer server(api_options());
    auto port = server.port();
    auto added = http_call(port, "POST", "/brands/techpro/products",
                           R"({"id":"cable-9","name":"USB-C Cable 2m","category":"Accessory","price":"149000","features":["100W"],"specifications":{"length":"2 m","rated":100}})",
                           bearer(admin));
    REQUIRE(added.status == 200);
    CHECK(added.json().at("product_id") == "cable-9");
    auto cable = product_of(port, "techpro", "cable-9");
    CHECK(cable.at("price").to_number<double>() == 149000);
    CHECK(cable.at("specifications").at("rated") == "100");
    auto listed = http_call(port, "GET", "/brands/techpro/products?category=accessory");
    CHECK(listed.header("X-Total-Count") == std::to_string(listed.json().as_array().size()));

    auto invalid = http_call(port, "POST", "/brands/techpro/products",
                             R"({"name":"","category":"X","price":-1,"features":"a,b","brand_id":"rumahkita","availability":"perhaps"})", bearer(admin));
    REQUIRE(invalid.status == 422);
    auto where = locations(invalid);
    for (auto loc : {"body.name", "body.price", "body.features", "body.brand_id", "body.availability"}) CHECK(has(where, loc));
    CHECK(has(locations(http_call(port, "POST", "/brands/techpro/products", R"({"category":"X","price":"abc"})", bearer(admin))), "body.name"));

    cable["price"] = 99000;
    CHECK(http_call(port, "PUT", "/brands/techpro/products/cable-9", json::serialize(cable), bearer(admin)).status == 200);
    CHECK(product_of(port, "techpro", "cable-9").at("price").to_number<double>() == 99000);
    CHECK(http_call(port, "PUT", "/brands/techpro/products/other-id", json::serialize(cable), bearer(admin)).status == 400);
    CHECK(http_call(port, "DELETE", "/brands/techpro/products/cable-9", "", bearer(admin)).status == 200);
    CHECK(http_call(port, "DELETE", "/brands/techpro/products/cable-9", "", bearer(admin)).status == 404);
    CHECK(http_call(port, "POST", "/brands/nosuch/products", json::serialize(cable), bearer(admin)).status == 404);

    // One bad row, or a repeated id, and nothing of the import is written.
    auto before = http_call(port, "GET", "/brands/techpro/products").json().as_array().size();
    auto rejected = http_call(port, "POST", "/brands/techpro/products/bulk",
                              R"([{"id":"b-1","name":"One","category":"Accessory","price":1},{"id":"b-2","name":"Two","category":"Accessory","price":-5},{"id":"b-1","name":"Again","category":"Accessory","price":3}])",
                              bearer(admin));
    REQUIRE(rejected.status == 422);
    CHECK(has(locations(rejected), "body.1.price"));
    CHECK(has(locations(rejected), "body.2.id"));
    CHECK(http_call(port, "GET", "/brands/techpro/products").json().as_array().size() == before);
    auto bulk = http_call(port, "POST", "/brands/techpro/products/bulk",
                          R"([{"id":"b-1","name":"Travel Adapter","category":"Accessory","price":1},{"id":"b-2","name":"Screen Cleaner","category":"Accessory","price":2}])",
                          bearer(admin));
    REQUIRE(bulk.status == 200);
    CHECK(bulk.json().at("success_count") == 2);
    CHECK(bulk.json().at("message") == "Successfully added 2/2 products to techpro");
    CHECK(http_call(port, "GET", "/brands/techpro/products").json().as_array().size() == before + 2);
    CHECK(http_call(port, "POST", "/brands/techpro/products/bulk", R"({"id":"x"})", bearer(admin)).status == 422);

    // The original's brand-less paths act on the default brand (techpro).
    CHECK(http_call(port, "GET", "/products").json().as_array().size() == before + 2);
    CHECK(http_call(port, "GET", "/categories").json().at("brand_id") == "techpro");
    CHECK(http_call(port, "POST", "/products", R"({"id":"legacy-1","name":"Mouse Pad","category":"Accessory","price":50000})").status == 401);
    CHECK(http_call(port, "POST", "/products", R"({"id":"legacy-1","name":"Mouse Pad","category":"Accessory","price":50000})", bearer(admin)).status == 200);
    auto shop_key = new_key(port, R"({"brand_id":"rumahkita"})");
    CHECK(http_call(port, "POST", "/products", R"({"id":"legacy-2","name":"Mouse Pad","category":"Accessory","price":50000})", bearer(shop_key)).status == 403);
}

TEST_CASE("search and recommendations rank with the server's own ranking; categories") {
    TestServer server(api_options());
    auto port = server.port();
    auto found = http_call(port, "POST", "/brands/techpro/products/search", R"({"query":"gaming laptop","limit":3})").json();
    CHECK(found.at("brand_id") == "techpro");
    auto const& results = found.at("results").as_array();
    REQUIRE(!results.empty());
    CHECK(results.size() <= 3);
    CHECK(results[0].at("product").at("category") == "Laptop");
    CHECK(results[0].at("similarity_score").to_number<double>() > 0.5);
    auto ranged = http_call(port, "POST", "/brands/techpro/products/search", R"({"query":"laptop","price_range":[0,15000000],"limit":10})").json();
    for (auto const& r : ranged.at("results").as_array()) CHECK(r.at("product").at("price").to_number<double>() <= 15000000);
    auto by_category = http_call(port, "POST", "/brands/techpro/products/search", R"({"query":"","category":"Monitor","limit":50})").json();
    for (auto const& r : by_category.at("results").as_array()) CHECK(r.at("product").at("category") == "Monitor");
    CHECK(http_call(port, "POST", "/brands/techpro/products/search", R"({"limit":"x"})").status == 422);

    auto rec = http_call(port, "POST", "/brands/techpro/recommendations?query=gaming%20laptop&limit=2").json();
    CHECK(rec.at("products").as_array().size() <= 2);
    CHECK(rec.at("match_score").to_number<double>() > 0);
    CHECK(!rec.at("reasoning").as_string().empty());
    CHECK(http_call(port, "POST", "/brands/techpro/recommendations").status == 422);
    auto cats = http_call(port, "GET", "/brands/rumahkita/categories").json();
    CHECK(cats.at("categories").as_array().size() == 11);
    CHECK(http_call(port, "GET", "/brands/nosuch/categories").status == 404);
}

TEST_CASE("POST /chat answers through the reply pipeline; its history is kept and can be cleared") {
    auto options = api_options();
    options.address_rate = {5, std::chrono::seconds(60)};
    TestServer server(options);
    auto port = server.port();
    auto first = http_call(port, "POST", "/chat/techpro", R"({"message":"What is your cheapest laptop?"})");
    REQUIRE(first.status == 200);
    auto reply = first.json().as_object();
    CHECK(reply.at("response").as_string().find("Rp ") != std::string::npos);
    CHECK(reply.at("suggested_products").as_array()[0].at("category") == "Laptop");
    CHECK(reply.at("confidence_score").to_number<double>() > 0.5);
    auto id = str(reply.at("conversation_id"));
    auto follow = http_call(port, "POST", "/chat/techpro", R"({"message":"Saya butuh laptop gaming","conversation_id":")" + id + R"(","voice":true})");
    REQUIRE(follow.status == 200);
    CHECK(str(follow.json().at("conversation_id")) == id);
    auto spoken = str(follow.json().at("response"));
    CHECK(spoken.find('\n') == std::string::npos); // voice: one sentence
    auto small_talk = http_call(port, "POST", "/chat", R"({"message":"hello"})").json(); // the default brand
    CHECK(small_talk.at("suggested_products").as_array().empty()); // as the WebSocket's complete says it
    CHECK(small_talk.at("confidence_score").is_null());

    auto history = http_call(port, "GET", "/chat/techpro/history/" + id, "", bearer(admin));
    REQUIRE(history.status == 200);
    auto kept = history.json();
    auto const& messages = kept.at("messages").as_array();
    REQUIRE(messages.size() == 4);
    CHECK(messages[0].at("role") == "user");
    CHECK(messages[0].at("content") == "What is your cheapest laptop?");
    CHECK(messages[1].at("role") == "assistant");
    CHECK(str(messages[1].at("timestamp")).ends_with("Z"));
    CHECK(http_call(port, "GET", "/chat/techpro/history/" + id).status == 401);
    CHECK(http_call(port, "GET", "/chat/rumahkita/history/" + id, "", bearer(admin)).json().at("messages").as_array().empty());

    CHECK(http_call(port, "DELETE", "/chat/techpro/" + id, "", bearer(admin)).json().at("message") == "Conversation cleared successfully");
    CHECK(http_call(port, "GET", "/chat/techpro/history/" + id, "", bearer(admin)).json().at("messages").as_array().empty());
    CHECK(http_call(port, "DELETE", "/chat/techpro/" + id, "", bearer(admin)).status == 404);

    CHECK(http_call(port, "POST", "/chat/oldmart", R"({"message":"hi"})").status == 404);
    CHECK(has(locations(http_call(port, "POST", "/chat/techpro", "{}")), "body.message"));
    auto too_long = http_call(port, "POST", "/chat/techpro", json::serialize(json::object{{"message", std::string(1001, 'a')}}));
    CHECK(too_long.status == 422);
    auto limited = http_call(port, "POST", "/chat/techpro", R"({"message":"hi"})");
    CHECK(limited.status == 200); // the fourth of five
    CHECK(http_call(port, "POST", "/chat/techpro", R"({"message":"hi"})").status == 200);
    auto refused = http_call(port, "POST", "/chat/techpro", R"({"message":"hi"})");
    CHECK(refused.status == 429);
    CHECK(!refused.header("Retry-After").empty());
}

TEST_CASE("a price changed through the API is in the next complete on a connection already open") {
    TestServer server(api_options());
    auto port = server.port();
    WsClient c(port, "/ws/chat/techpro");
    c.read(); // welcome
    auto price_in_reply = [&] {
        c.chat("Tell me about the ASUS ROG Strix G16");
        auto r = c.read_reply();
        for (auto const& p : r.complete.data.at("suggested_products").as_array())
            if (p.at("id") == "laptop-004") return p.at("price").to_number<double>();
        return -1.0;
    };
    CHECK(price_in_reply() == 23999000);
    auto product = product_of(port, "techpro", "laptop-004");
    product["price"] = 21499000;
    REQUIRE(http_call(port, "PUT", "/brands/techpro/products/laptop-004", json::serialize(product), bearer(admin)).status == 200);
    CHECK(price_in_reply() == 21499000);
}

TEST_CASE("a brand deactivated or deleted: the reply in flight finishes, then the error and close 1008") {
    auto options = api_options();
    options.word_delay = std::chrono::milliseconds(20);
    TestServer server(options);
    auto port = server.port();
    for (std::string change : {"deactivate", "delete"}) {
        CAPTURE(change);
        if (change == "delete") REQUIRE(http_call(port, "POST", "/brands?name=Pop%20Up&description=x&brand_id=popup", "", bearer(admin)).status == 200);
        std::string brand = change == "delete" ? "popup" : "rumahkita";
        WsClient c(port, "/ws/chat/" + brand);
        c.read();
        c.chat("Hello, what do you sell?");
        auto first = c.read();
        REQUIRE(first.type == "chunk");
        auto answer = change == "delete" ? http_call(port, "DELETE", "/brands/popup", "", bearer(admin))
                                         : http_call(port, "PUT", "/brands/rumahkita?is_active=false", "", bearer(admin));
        REQUIRE(answer.status == 200);
        Frame f;
        do f = c.read();
        while (f.type == "chunk");
        CHECK(f.type == "complete");
        auto error = c.read();
        CHECK(error.type == "error");
        CHECK(str(error.data.at("message")) == "Brand '" + brand + "' not found or inactive");
        CHECK(c.read_until_close() == 1008);
    }
    // Active again: a new connection is welcomed.
    REQUIRE(http_call(port, "PUT", "/brands/rumahkita?is_active=true", "", bearer(admin)).status == 200);
    WsClient again(port, "/ws/chat/rumahkita");
    CHECK(again.read().type == "welcome");
}

TEST_CASE("bodies over the limit get 413; an import may be larger") {
    TestServer server(api_options());
    auto port = server.port();
    std::string big = R"({"system_prompt":")" + std::string(70 * 1024, 'a') + R"("})";
    CHECK(http_call(port, "PUT", "/brands/techpro/system-prompt", big, bearer(admin)).status == 413);
    json::array products;
    for (int i = 0; i < 600; ++i)
        products.push_back(json::object{{"id", "bulk-" + std::to_string(i)}, {"name", "Cable " + std::to_string(i)}, {"category", "Accessory"},
                                        {"price", 1000 + i}, {"description", std::string(100, 'd')}});
    auto body = json::serialize(products);
    REQUIRE(body.size() > 64 * 1024);
    CHECK(http_call(port, "POST", "/brands/techpro/products/bulk", body, bearer(admin)).status == 200);
}

TEST_CASE("GET /ready: 200 while serving, 503 with a reason while draining; /health stays 200") {
    TestServer server(api_options());
    auto ready = http_call(server.port(), "GET", "/ready");
    CHECK(ready.status == 200);
    CHECK(ready.json().at("status") == "ready");
    CHECK(http_call(server.port(), "POST", "/ready").status == 405);
    server.run_on_server([&] { server.context().stopping = true; }); // as SIGTERM leaves it
    auto draining = http_call(server.port(), "GET", "/ready");
    CHECK(draining.status == 503);
    CHECK(draining.json().at("status") == "not ready");
    CHECK(str(draining.json().at("reason")).find("draining") != std::string::npos);
    CHECK(http_call(server.port(), "GET", "/health").status == 200);
    server.run_on_server([&] { server.context().stopping = false; });
}

TEST_CASE("a bad brand file in the import folder is skipped and named in /health; the other brands serve") {
    auto dir = std::filesystem::temp_directory_path() / ("brandchat-import-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "broken.json") << "{\"id\": \"broken\",\n \"name\": }";
    std::ofstream(dir / "fine.json") << R"({"id": "fine", "name": "Fine", "products": [{"id": "a", "name": "Kettle", "category": "Kitchen", "price": 1}]})";
    auto options = api_options();
    options.import_brands = dir.string();
    TestServer server(options);
    auto health = http_call(server.port(), "GET", "/health").json();
    auto const& problems = health.at("import_problems").as_array();
    REQUIRE(problems.size() == 1);
    CHECK(str(problems[0]).find("broken.json: line 2") != std::string::npos);
    auto active = http_call(server.port(), "GET", "/brands/active").json();
    REQUIRE(active.as_array().size() == 1);
    CHECK(active.as_array()[0].at("id") == "fine");
    std::filesystem::remove_all(dir);
}

namespace {

// A multipart/form-data body with one file field, as curl -F file=@NAME sends it.
std::pair<std::string, std::vector<std::pair<std::string, std::string>>> form_file(std::string const& name, std::string const& content) {
    std::string boundary = "------------------------d74496d66958873e";
    std::string body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + name +
                       "\"\r\nContent-Type: application/octet-stream\r\n\r\n" + content + "\r\n--" + boundary + "--\r\n";
    return {body, {{"Content-Type", "multipart/form-data; boundary=" + boundary}, {"Authorization", std::string("Bearer ") + admin}}};
}

} // namespace

TEST_CASE("bytes that are not UTF-8 (a percent-decoded %FF, a CSV saved in Latin-1) are refused with 422, and nothing stores them") {
    TestServer server(api_options());
    auto port = server.port();
    auto made = http_call(port, "POST", "/brands?name=Toko%FF&description=x", "", bearer(admin));
    REQUIRE(made.status == 422);
    CHECK(has(locations(made), "query.name"));
    CHECK(str(made.json().at("detail").as_array()[0].at("type")) == "string_unicode");
    CHECK(has(locations(http_call(port, "GET", "/brands/%C3/products")), "path.brand_id"));
    CHECK(http_call(port, "POST", "/brands/techpro/recommendations?query=%E9t%E9", "").status == 422);
    // Every brand list is still JSON (a brand named "\xFF" made them invalid).
    CHECK(http_call(port, "GET", "/").json().at("active_brands").as_int64() >= 1);
    CHECK(http_call(port, "GET", "/brands").status == 200);
    http_call(port, "GET", "/brands").json();
    auto [latin1, latin1_headers] = form_file("produk.csv", "name,category,price\nKipas Angin Caf\xE9,Fan,150000\n");
    auto refused = http_call(port, "POST", "/brands/techpro/upload/products", latin1, latin1_headers);
    REQUIRE(refused.status == 422);
    CHECK(str(refused.json().at("detail").as_array()[0].at("msg")).find("not UTF-8") != std::string::npos);
    auto [named, named_headers] = form_file("produk\xFF.json", "[]");
    auto bad_name = http_call(port, "POST", "/brands/techpro/upload/products", named, named_headers);
    REQUIRE(bad_name.status == 422);
    CHECK(has(locations(bad_name), "body.file.filename"));
    http_call(port, "GET", "/uploads", "", bearer(admin)).json(); // what was kept is JSON
}

TEST_CASE("uploads: a CSV or JSON file of products is imported all or nothing, and listed") {
    TestServer server(api_options());
    auto port = server.port();
    auto before = http_call(port, "GET", "/brands/techpro/products").json().as_array().size();
    auto [csv, csv_headers] = form_file("products.csv",
                                        "id,name,description,category,price,features,specifications,availability\n"
                                        "laptop-107,Acer Aspire 5,\"Laptop terjangkau, ringan\",Laptop,8999000.0,\"AMD Ryzen 5,Full HD\",\"{\"\"prosesor\"\":\"\"AMD Ryzen 5\"\"}\",true\n"
                                        "cable-108,USB-C Cable,,Accessory,99000,,,no\n");
    auto uploaded = http_call(port, "POST", "/brands/techpro/upload/products", csv, csv_headers);
    REQUIRE(uploaded.status == 200);
    CHECK(uploaded.json().at("products_added") == 2);
    CHECK(uploaded.json().at("message") == "Successfully uploaded products.csv and added 2 products to techpro");
    auto acer = product_of(port, "techpro", "laptop-107");
    CHECK(acer.at("features").as_array().size() == 2);
    CHECK(acer.at("specifications").at("prosesor") == "AMD Ryzen 5");
    CHECK(acer.at("description") == "Laptop terjangkau, ringan");
    CHECK(product_of(port, "techpro", "cable-108").at("availability") == false);

    auto [bad, bad_headers] = form_file("more.csv", "name,category,price,specifications\nGood,Laptop,1,\nBad,Laptop,abc,{oops\n");
    auto refused = http_call(port, "POST", "/brands/techpro/upload/products", bad, bad_headers);
    REQUIRE(refused.status == 422);
    CHECK(has(locations(refused), "file.1.price"));
    CHECK(has(locations(refused), "file.1.specifications"));
    auto [no_price, no_price_headers] = form_file("x.csv", "name,category\nA,B\n");
    CHECK(has(locations(http_call(port, "POST", "/brands/techpro/upload/products", no_price, no_price_headers)), "file.header"));
    auto [json_file, json_headers] = form_file("sample_products.json",
                                               R"([{"id":"s-1","name":"Mouse","category":"Accessory","price":150000,"features":[],"specifications":{}}])");
    CHECK(http_call(port, "POST", "/brands/techpro/upload/products", json_file, json_headers).json().at("products_added") == 1);
    CHECK(http_call(port, "GET", "/brands/techpro/products").json().as_array().size() == before + 3);
    auto [text, text_headers] = form_file("notes.txt", "hello");
    CHECK(http_call(port, "POST", "/brands/techpro/upload/products", text, text_headers).status == 400);
    CHECK(http_call(port, "POST", "/brands/techpro/upload/products", "{}", bearer(admin)).status == 400); // not multipart

    auto listed = http_call(port, "GET", "/uploads", "", bearer(admin));
    REQUIRE(listed.status == 200);
    auto uploads = listed.json();
    REQUIRE(uploads.as_array().size() == 4); // the .txt was refused before it counted
    CHECK(uploads.as_array()[0].at("status") == "success");
    CHECK(uploads.as_array()[1].at("status") == "failed");
    CHECK(http_call(port, "GET", "/uploads/products.csv", "", bearer(admin)).json().at("products_added") == 2);
    CHECK(http_call(port, "GET", "/uploads/nothing.csv", "", bearer(admin)).status == 404);
    CHECK(http_call(port, "GET", "/uploads").status == 401);
    auto shop_key = new_key(port, R"({"brand_id":"rumahkita"})");
    CHECK(http_call(port, "GET", "/uploads", "", bearer(shop_key)).json().as_array().empty());
    CHECK(http_call(port, "GET", "/uploads/products.csv", "", bearer(shop_key)).status == 404); // techpro's, not rumahkita's
    auto techpro_key = new_key(port, R"({"brand_id":"techpro"})");
    CHECK(http_call(port, "GET", "/uploads/products.csv", "", bearer(techpro_key)).status == 200);
    CHECK(http_call(port, "GET", "/uploads", "", bearer(techpro_key)).json().as_array().size() == 4);
}

TEST_CASE("products may carry a picture and a page: kept, shown in complete and the API only when present; anything but http(s) is 422") {
    store_support::TempDir dir;
    auto options = api_options();
    options.database = dir.file("links.db");
    std::string body =
        R"({"id":"mouse-7","name":"Logitech MX Anywhere 3S Mouse","category":"Accessory","price":999000,)"
        R"("image_url":"https://images.techpro.example/mx-anywhere-3s.png","url":"https://techpro.example/p/mouse-7"})";
    {
        TestServer server(options);
        auto port = server.port();
        REQUIRE(http_call(port, "POST", "/brands/techpro/products", body, bearer(admin)).status == 200);
        auto mouse = product_of(port, "techpro", "mouse-7");
        CHECK(mouse.at("image_url") == "https://images.techpro.example/mx-anywhere-3s.png");
        CHECK(mouse.at("url") == "https://techpro.example/p/mouse-7");
        CHECK_FALSE(product_of(port, "techpro", "laptop-001").contains("image_url")); // absent, not ""

        for (auto bad : {R"x("javascript:alert(1)")x", R"x("ftp://techpro.example/x.png")x", R"x("/images/x.png")x", R"x("https://")x", "42"}) {
            CAPTURE(bad);
            auto refused = http_call(port, "POST", "/brands/techpro/products",
                                     std::string(R"({"id":"bad-1","name":"Bad Link","category":"Accessory","price":1,"image_url":)") + bad + "}",
                                     bearer(admin));
            CHECK(refused.status == 422);
            CHECK(has(locations(refused), "body.image_url"));
        }
        CHECK(http_call(port, "POST", "/brands/techpro/products",
                        R"({"id":"frag-1","name":"Fragment","category":"Accessory","price":1,"url":"https://techpro.example/p/frag-1?tab=2#reviews"})",
                        bearer(admin))
                  .status == 200); // a query and a #fragment are part of an address
        auto long_url = "https://techpro.example/" + std::string(2100, 'a');
        CHECK(http_call(port, "POST", "/brands/techpro/products",
                        R"({"id":"bad-2","name":"Long","category":"Accessory","price":1,"url":")" + long_url + "\"}", bearer(admin))
                  .status == 422);
    }
    // After a restart on the same file: read back from the store, and in the chat's suggestions.
    TestServer server(options);
    auto mouse = product_of(server.port(), "techpro", "mouse-7");
    CHECK(mouse.at("url") == "https://techpro.example/p/mouse-7");
    WsClient c(server.port(), "/ws/chat/techpro");
    c.read();
    c.chat("Do you have the Logitech MX Anywhere 3S mouse?");
    auto reply = c.read_reply();
    REQUIRE(reply.complete.type == "complete");
    bool shown = false;
    for (auto const& p : reply.complete.data.at("suggested_products").as_array()) {
        if (p.at("id") != "mouse-7") {
            CHECK_FALSE(p.as_object().contains("url"));
            continue;
        }
        shown = true;
        CHECK(p.at("image_url") == "https://images.techpro.example/mx-anywhere-3s.png");
        CHECK(p.at("url") == "https://techpro.example/p/mouse-7");
    }
    CHECK(shown);
}
