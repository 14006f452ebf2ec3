// The live side of a change to a brand (the management API, api/): its new version, read back
// from the store, replaces the old one in the server's catalog, so the next message on every open
// connection ranks with its new products and prompts with its new settings, and the next
// connection gets its new welcome. A brand that was deleted or deactivated lets each connection's
// reply in flight finish; then the connection gets the documented error and closes with 1008.
#pragma once

#include <string>

namespace brandchat {

struct ServerContext;

void apply_brand_change(ServerContext& server, std::string const& brand_id);

} // namespace brandchat
