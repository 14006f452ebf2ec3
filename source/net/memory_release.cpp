#include "brandchat/net/memory_release.hpp"

#include "brandchat/log.hpp"
#include "brandchat/net/server_context.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <dlfcn.h>
#include <malloc.h>

namespace brandchat {

namespace asio = boost::asio;
using asio::as_tuple;
using asio::use_awaitable;

namespace {

void release_free_memory() {
    // jemalloc (-DBRANDCHAT_JEMALLOC=ON, or preloaded): purge every arena's dirty pages. glibc: malloc_trim.
    using mallctl_fn = int (*)(char const*, void*, std::size_t*, void*, std::size_t);
    static auto const mallctl = reinterpret_cast<mallctl_fn>(::dlsym(RTLD_DEFAULT, "mallctl"));
    if (mallctl) mallctl("arena.4096.purge", nullptr, nullptr, nullptr, 0); // 4096: MALLCTL_ARENAS_ALL
    else ::malloc_trim(0);
}

} // namespace

// Allocators keep freed pages; after many connections leave, give them back to the system so
// that a burst does not leave the process at its peak size. Checked every 2 s: cheap.
asio::awaitable<void> release_memory_after_bursts(ServerContext& context, HttpStreams& http_streams, asio::steady_timer& timer) {
    std::size_t level = 0; // live sessions at the last release (or the highest since)
    for (;;) {
        timer.expires_after(std::chrono::seconds(2));
        auto [ec] = co_await timer.async_wait(as_tuple(use_awaitable));
        if (ec || context.stopping) co_return;
        std::size_t live = context.sessions.size();
        if (level > live + 256 && live < level * 4 / 5) {
            context.sessions.rehash(0); // its buckets were sized for the peak
            context.connections_by_address.rehash(0);
            http_streams.rehash(0);
            release_free_memory();
            log::debug("released freed memory after connections left: ", level, " -> ", live, " sessions");
            level = live;
        } else {
            level = std::max(level, live);
        }
    }
}

} // namespace brandchat
