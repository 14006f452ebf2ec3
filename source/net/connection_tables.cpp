#include "brandchat/net/connection_tables.hpp"
#include "private_member.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/version.hpp>

#if BOOST_VERSION == 108100
#include <boost/asio/detail/chrono_time_traits.hpp>
#include <boost/asio/detail/deadline_timer_service.hpp>
#include <boost/asio/wait_traits.hpp>
#include <boost/beast/core/detail/config.hpp> // what the next header needs and does not include
#include <boost/beast/websocket/detail/service.hpp>

#include <chrono>
#include <mutex>
#define BRANDCHAT_SHRINK_CONNECTION_TABLES 1
#endif

namespace brandchat {

#ifdef BRANDCHAT_SHRINK_CONNECTION_TABLES

namespace {

namespace asio = boost::asio;

// The service behind asio::steady_timer, which Beast's tcp_stream and WebSocket stream use.
using SteadyTraits = asio::detail::chrono_time_traits<std::chrono::steady_clock, asio::wait_traits<std::chrono::steady_clock>>;
using TimerService = asio::detail::deadline_timer_service<SteadyTraits>;
using TimerQueue = asio::detail::timer_queue<SteadyTraits>;
using WebSocketService = boost::beast::websocket::detail::service;

// The private members this needs (see private_member.hpp).
struct ServiceQueue { friend auto member(ServiceQueue); };
struct QueueHeap { friend auto member(QueueHeap); };
struct StreamRegistry { friend auto member(StreamRegistry); };
struct StreamRegistryMutex { friend auto member(StreamRegistryMutex); };
template struct Expose<ServiceQueue, &TimerService::timer_queue_>;
template struct Expose<QueueHeap, &TimerQueue::heap_>;
template struct Expose<StreamRegistry, &WebSocketService::v_>;
template struct Expose<StreamRegistryMutex, &WebSocketService::m_>;

template <class Vector>
std::size_t shrink(Vector& v) {
    auto before = v.capacity();
    v.shrink_to_fit();
    return (before - v.capacity()) * sizeof(typename Vector::value_type);
}

} // namespace

std::size_t shrink_connection_tables(asio::io_context& io) {
    std::size_t released = 0;
    // The heap holds {expiry, timer*} entries; timers find theirs by index, so moving the
    // entries to a smaller block is invisible to them. Only this thread schedules timers.
    if (asio::has_service<TimerService>(io))
        released += shrink(asio::use_service<TimerService>(io).*member(ServiceQueue{}).*member(QueueHeap{}));
    // The registry holds stream pointers that streams find by index, likewise.
    if (asio::has_service<WebSocketService>(io)) {
        auto& service = asio::use_service<WebSocketService>(io);
        std::lock_guard lock(service.*member(StreamRegistryMutex{}));
        released += shrink(service.*member(StreamRegistry{}));
    }
    return released;
}

#else

std::size_t shrink_connection_tables(boost::asio::io_context&) { return 0; }

#endif

} // namespace brandchat
