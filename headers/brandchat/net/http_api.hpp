// The status, health, the static chat page and the API documents: a pure function from a
// request to a response, so it is tested without sockets. GET / (status), /health, /ui/...,
// /openapi.json, /asyncapi.json, /docs (the page rendering them); JSON 404 and 405; CORS.
// The management API (api/api.hpp) answers everything under /brands, /chat, /keys, ... before it.
#pragma once

#include <cstdint>
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
    // For the management API (api/api.hpp).
    std::string authorization;   // Authorization header
    std::string api_key;         // X-API-Key header
    std::string content_type;    // Content-Type header
    std::string body;
    std::string remote_address;  // the client's IP address
    std::uint64_t id = 0;        // this server's count of HTTP requests when it came: in its log lines
};

struct HttpResponse {
    unsigned status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
};

HttpResponse handle_http(ServerContext const& server, HttpRequest const& request);

// The CORS headers for this request's Origin (--cors-origins).
void add_cors(ServerContext const& server, HttpRequest const& request, HttpResponse& response);

// A JSON error answer as FastAPI shapes one, so the original system's clients read it: {"detail": ...}.
HttpResponse problem(unsigned status, std::string const& detail);

} // namespace brandchat
