// Giving back the tables Asio and Beast size for the most connections ever open at once.
//
// Two tables in the libraries grow by a slot per open connection and keep their capacity when
// the connections leave:
//   - the steady_timer queue's heap: 16 bytes per pending timer, and every connection keeps a
//     timeout pending (Beast's tcp_stream while reading HTTP, its WebSocket idle timer after);
//   - Beast's registry of WebSocket streams, which it walks at shutdown: 8 bytes per stream.
// After 19,000 connections that is 512 KiB + 256 KiB held for good (measured with jemalloc's heap
// profile). This shrinks both to their current size.
//
// Boost 1.81 has no API for either, so this reaches two private members of each (see the .cpp);
// on any other Boost version it does nothing and returns 0. Call it on the io_context's thread.
#pragma once

#include <cstddef>

namespace boost::asio {
class io_context;
}

namespace brandchat {

// Shrinks the tables to fit what is open now. Returns the bytes of capacity given back.
std::size_t shrink_connection_tables(boost::asio::io_context& io);

} // namespace brandchat
