// Which web pages may open a chat WebSocket (against cross-site WebSocket hijacking): a browser
// always sends the page's Origin with an upgrade, and a page elsewhere must not talk to a shop's
// assistant as the customer. Allowed:
//  - no Origin at all (apps, curl, servers: not a browser page);
//  - the server's own page: the Origin's host[:port] is the request's Host;
//  - local development: http(s)://localhost, *.localhost, 127.0.0.1 and [::1], any port;
//  - an origin the brand lists (Brand::allowed_origins) or the server does (--allowed-origins),
//    compared as scheme://host[:port] without case; "*" in either list allows any.
// Everything else is refused with 403 at the upgrade. Pure, for tests.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace brandchat {

bool origin_allowed(std::string_view origin, std::string_view host, std::vector<std::string> const& brand_origins,
                    std::string_view server_origins /* comma-separated */);

} // namespace brandchat
