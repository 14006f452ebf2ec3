// Giving memory back after a burst of connections: allocators keep the pages freed connections
// used; once many have left, the session tables are shrunk and the allocator's free pages purged
// (jemalloc's, or glibc's malloc_trim), so a burst does not leave the process at its peak size.
// What Asio and Beast keep for good after a burst is in the README ("Memory").
#pragma once

#include "brandchat/net/connection.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

namespace brandchat {

// Checks every 2 s (cheap) until the server stops or `timer` is cancelled.
boost::asio::awaitable<void> release_memory_after_bursts(ServerContext& context, HttpStreams& http_streams,
                                                         boost::asio::steady_timer& timer);

} // namespace brandchat
