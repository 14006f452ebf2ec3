// The read-only HTTP API and the static chat page: a pure function from a request to a
// response, so it is tested without sockets. GET / (status), /health, /brands/active,
// /brands, /brands/{id}, /brands/{id}/products, /ui/...; JSON 404 and 405; CORS.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace brandchat {

struct ServerContext;

struct HttpRequest {
    std::string method;
    std::string target;
    std::string origin;          // Origin header, if any
    std::string if_none_match;   // If-None-Match header, if any
    std::string accept_encoding; // Accept-Encoding header, if any
};

struct HttpResponse {
    unsigned status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
};

HttpResponse handle_http(ServerContext const& server, HttpRequest const& request);

// A JSON error answer: {"detail": ..., "status": ...}.
HttpResponse problem(unsigned status, std::string const& detail);

} // namespace brandchat
