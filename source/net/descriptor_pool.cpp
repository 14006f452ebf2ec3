#include "brandchat/net/descriptor_pool.hpp"
#include "private_member.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/version.hpp>

#include <memory>

#if BOOST_VERSION == 108100 && defined(BOOST_ASIO_HAS_EPOLL) && !defined(BOOST_ASIO_HAS_IO_URING_AS_DEFAULT)
#include <boost/asio/detail/epoll_reactor.hpp>
#include <boost/asio/detail/object_pool.hpp>
#define BRANDCHAT_RELEASE_DESCRIPTOR_STATES 1
#endif

namespace brandchat {

#ifdef BRANDCHAT_RELEASE_DESCRIPTOR_STATES

namespace {

using boost::asio::detail::conditionally_enabled_mutex;
using boost::asio::detail::epoll_reactor;
using boost::asio::detail::object_pool_access;
using State = epoll_reactor::descriptor_state;
using Pool = boost::asio::detail::object_pool<State>;

// The private members this needs (see private_member.hpp).
struct ReactorPool { friend auto member(ReactorPool); };
struct ReactorPoolMutex { friend auto member(ReactorPoolMutex); };
struct PoolFreeList { friend auto member(PoolFreeList); };
template struct Expose<ReactorPool, &epoll_reactor::registered_descriptors_>;
template struct Expose<ReactorPoolMutex, &epoll_reactor::registered_descriptors_mutex_>;
template struct Expose<PoolFreeList, &Pool::free_list_>;

// Owns a detached list; deleting it deletes the states, also when the io_context is destroyed
// before the handler holding it runs.
struct DeleteStates {
    void operator()(State* list) const {
        while (list) {
            State* next = object_pool_access::next(list);
            object_pool_access::destroy(list);
            list = next;
        }
    }
};
using Detached = std::unique_ptr<State, DeleteStates>;

} // namespace

std::size_t release_idle_descriptor_states(boost::asio::io_context& io, std::size_t keep) {
    auto& reactor = boost::asio::use_service<epoll_reactor>(io);
    Detached detached;
    std::size_t count = 0;
    {
        conditionally_enabled_mutex::scoped_lock lock(reactor.*member(ReactorPoolMutex{}));
        State*& free_list = reactor.*member(ReactorPool{}).*member(PoolFreeList{});
        State* last_kept = nullptr;
        State* s = free_list;
        for (std::size_t i = 0; s && i < keep; ++i) s = object_pool_access::next(last_kept = s);
        if (!s) return 0;
        if (last_kept) object_pool_access::next(last_kept) = nullptr;
        else free_list = nullptr;
        detached.reset(s);
        for (; s; s = object_pool_access::next(s)) ++count;
    }
    // A state goes into the pool when its socket closes, but an event the reactor collected
    // before that may still sit in the handler queue, pointing at it (which is why Asio never
    // frees them). The queue is first in, first out, and a closed socket gets no new events, so
    // once a handler posted now has run, and then one posted by it, nothing refers to these.
    boost::asio::post(io, [&io, held = std::move(detached)]() mutable {
        boost::asio::post(io, [held = std::move(held)] {});
    });
    return count;
}

std::size_t idle_descriptor_states(boost::asio::io_context& io) {
    auto& reactor = boost::asio::use_service<epoll_reactor>(io);
    conditionally_enabled_mutex::scoped_lock lock(reactor.*member(ReactorPoolMutex{}));
    std::size_t count = 0;
    for (State* s = reactor.*member(ReactorPool{}).*member(PoolFreeList{}); s; s = object_pool_access::next(s)) ++count;
    return count;
}

#else

std::size_t release_idle_descriptor_states(boost::asio::io_context&, std::size_t) { return 0; }
std::size_t idle_descriptor_states(boost::asio::io_context&) { return 0; }

#endif

} // namespace brandchat
