// The HTTP side of the server after the request is read: the management API's routes (the
// original system's paths and JSON shapes, with API keys), then the status, health and chat
// page (net/http_api.hpp). One file per resource under source/api/: brands.cpp, products.cpp,
// conversations.cpp, keys_routes.cpp; routes.cpp matches a request to a route and checks its key.
//
// Adding an endpoint: write `asio::awaitable<HttpResponse> handler(ApiCall& call)` in the
// resource's file (api_call.hpp has what a handler gets and the answers it gives) and add a
// Route {method, pattern, access, handler} to that file's table.
#pragma once

#include "brandchat/net/http_api.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <string_view>

namespace brandchat {

struct ServerContext;

boost::asio::awaitable<HttpResponse> answer_http(ServerContext& server, HttpRequest request);

// The largest request body accepted for this method and target: --max-import-bytes for a
// product import, 64 KiB for anything else.
std::size_t body_limit_for(ServerContext const& server, std::string_view method, std::string_view target);

} // namespace brandchat
