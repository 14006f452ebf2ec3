#include "brandchat/net/brand_changes.hpp"

#include "brandchat/log.hpp"
#include "brandchat/net/server_context.hpp"
#include "brandchat/net/session.hpp"

namespace brandchat {

void apply_brand_change(ServerContext& server, std::string const& brand_id) {
    auto loaded = server.store ? server.store->load_brand(brand_id, server.options.in_memory_products) : std::nullopt;
    if (loaded) server.brands.add(std::move(*loaded));
    else server.brands.remove(brand_id);
    if (server.brands.find_active(brand_id)) return;
    std::size_t closing = 0;
    for (auto* session : server.sessions)
        if (session->brand_id() == brand_id) {
            session->withdraw_brand();
            ++closing;
        }
    if (closing) log::info("brand ", brand_id, " is no longer served: closing its ", closing, closing == 1 ? " connection" : " connections",
                           " after their replies");
}

} // namespace brandchat
