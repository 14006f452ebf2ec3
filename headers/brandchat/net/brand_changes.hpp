// The live side of a change to a brand (the management API, api/): its new version, read back
// from the store, replaces the old one in the server's catalog, so the next message on every open
// connection ranks with its new products and prompts with its new settings, and the next
// connection gets its new welcome. A brand that was deleted or deactivated lets each connection's
// reply in flight finish; then the connection gets the documented error and closes with 1008.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <string>

namespace brandchat {

struct ServerContext;

void apply_brand_change(ServerContext& server, std::string const& brand_id);

// The same after a large import: the new catalog's vocabulary (its stems: about 80 ms for
// 100,000 products) is worked out in slices beside the chats before it replaces the old one.
boost::asio::awaitable<void> apply_brand_change_in_slices(ServerContext& server, std::string brand_id);

} // namespace brandchat
