// The API documents against a real server: /openapi.json and /asyncapi.json are the bundled
// documents (their versions, from memory with ETags and gzip), /docs is the page that renders them
// under a policy that lets it load nothing from elsewhere. test/docs/validate.mjs checks what the
// documents say; test/browser/chat.test.mjs renders the page.
#include <doctest/doctest.h>

#include "test_server.hpp"

#include <boost/json.hpp>

using namespace brandchat;
using namespace brandchat::test;

TEST_CASE("GET /openapi.json and /asyncapi.json are the API documents, as JSON from memory") {
    TestServer server(quiet_options());
    auto port = server.port();

    auto openapi = http_call(port, "GET", "/openapi.json");
    REQUIRE(openapi.status == 200);
    CHECK(openapi.header("Content-Type") == "application/json");
    CHECK(openapi.header("Access-Control-Allow-Origin") == "*");
    auto api = openapi.json().as_object();
    CHECK(api.at("openapi") == "3.1.0");
    CHECK(api.at("info").at("version") == BRANDCHAT_VERSION);
    CHECK(api.at("paths").as_object().contains("/brands/{brand_id}/products/bulk"));

    auto asyncapi = http_call(port, "GET", "/asyncapi.json");
    REQUIRE(asyncapi.status == 200);
    CHECK(asyncapi.header("Content-Type") == "application/json");
    auto events = asyncapi.json().as_object();
    CHECK(events.at("asyncapi") == "3.0.0");
    CHECK(events.at("info").at("version") == BRANDCHAT_VERSION);
    CHECK(events.at("channels").at("chat").at("address") == "/ws/chat/{brand_id}");

    // As the chat page's files: a strong ETag, 304 on it, a gzip copy for who accepts it.
    auto etag = openapi.header("ETag");
    REQUIRE(etag.size() > 2);
    CHECK(http_call(port, "GET", "/openapi.json", "", {{"If-None-Match", etag}}).status == 304);
    auto packed = http_call(port, "GET", "/openapi.json", "", {{"Accept-Encoding", "gzip"}});
    CHECK(packed.status == 200);
    CHECK(packed.header("Content-Encoding") == "gzip");
    CHECK(packed.body.size() < openapi.body.size() / 4);
}

TEST_CASE("GET /docs is the page rendering them; its script and style sheet are under /docs/") {
    TestServer server(quiet_options());
    auto port = server.port();
    for (char const* target : {"/docs", "/docs/"}) {
        auto page = http_call(port, "GET", target);
        REQUIRE(page.status == 200);
        CHECK(page.header("Content-Type") == "text/html; charset=utf-8");
        CHECK(page.body.find("<!doctype html>") == 0);
        CHECK(page.body.find("/docs/docs.js") != std::string::npos);
        auto policy = page.header("Content-Security-Policy");
        CHECK(policy.find("default-src 'none'") != std::string::npos);
        CHECK(policy.find("connect-src 'self'") != std::string::npos);
    }
    auto script = http_call(port, "GET", "/docs/docs.js");
    CHECK(script.status == 200);
    CHECK(script.header("Content-Type") == "text/javascript; charset=utf-8");
    CHECK(http_call(port, "GET", "/docs/docs.css").header("Content-Type") == "text/css; charset=utf-8");

    CHECK(http_call(port, "GET", "/docs/nothing.js").status == 404);
    CHECK(http_call(port, "GET", "/docs/../ui/index.html").status == 404);
    auto posted = http_call(port, "POST", "/openapi.json", "{}");
    CHECK(posted.status == 405);
    CHECK(posted.header("Allow") == "GET, HEAD");
}
