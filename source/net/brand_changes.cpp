#include "brandchat/net/brand_changes.hpp"

#include "brandchat/log.hpp"
#include "brandchat/net/background_slices.hpp"
#include "brandchat/net/server_context.hpp"
#include "brandchat/net/session.hpp"
#include "brandchat/search/vocabulary.hpp"

namespace brandchat {

namespace {

// The brand as loaded (nothing: it is gone) replaces the one served; connections of a brand no
// longer served close after their replies.
void install(ServerContext& server, std::string const& brand_id, std::optional<Brand> loaded) {
    ++server.brand_changes[brand_id];
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

} // namespace

void apply_brand_change(ServerContext& server, std::string const& brand_id) {
    install(server, brand_id, server.store ? server.store->load_brand(brand_id, server.options.in_memory_products) : std::nullopt);
}

boost::asio::awaitable<void> apply_brand_change_in_slices(ServerContext& server, std::string brand_id) {
    auto changes = server.brand_changes[brand_id];
    auto loaded = server.store ? server.store->load_brand(brand_id, server.options.in_memory_products, false) : std::nullopt;
    if (loaded && loaded->vocabulary && !loaded->vocabulary->finished()) {
        // Ours alone until it is installed: the catalog shares it as const from then on.
        auto words = std::const_pointer_cast<Vocabulary>(loaded->vocabulary);
        BackgroundSlices slices;
        co_await slices.give_back(); // reading it took a turn
        while (words->finish_some(200) > 0)
            if (slices.due()) co_await slices.give_back();
    }
    // A change applied meanwhile (a delete, new settings) read the store after this one: it is
    // newer, and this copy is not put back over it.
    if (server.brand_changes[brand_id] != changes) co_return;
    install(server, brand_id, std::move(loaded));
}

} // namespace brandchat
