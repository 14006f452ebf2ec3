// Giving back the memory Asio keeps for sockets that have closed.
//
// Asio's epoll reactor gives every socket a descriptor_state (192 bytes here) from a pool that
// recycles them and never frees one: after 19,000 connections come and go, 3.6 MB stay behind
// for good. This takes the states that are waiting for reuse out of the pool (all but `keep`)
// and deletes them once no queued operation can still point at them.
//
// Boost 1.81's pool has no API for it, so this reaches into two private members (see the .cpp);
// on any other Boost version, or another reactor, it does nothing and returns 0. It assumes the
// io_context is run by one thread, as the server's is.
#pragma once

#include <cstddef>

namespace boost::asio {
class io_context;
}

namespace brandchat {

// Detaches the idle states beyond `keep` now and deletes them from a handler posted behind
// everything already queued. Returns how many were detached.
std::size_t release_idle_descriptor_states(boost::asio::io_context& io, std::size_t keep);

// How many states wait in the pool for reuse (0 where release is not supported).
std::size_t idle_descriptor_states(boost::asio::io_context& io);

} // namespace brandchat
