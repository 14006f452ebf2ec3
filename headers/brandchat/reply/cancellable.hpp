// How a reply generator (responder.hpp) awaits, with Boost 1.81's experimental::coro.
//  - A coro cannot co_await an awaitable: await_awaitable() runs one as an operation (co_spawn
//    on the generator's executor), which the generator then awaits with as_tuple(deferred).
//  - The reply's cancellation reaches an operation through a slot the generator is given and
//    binds to each operation itself (cancellable()). A coro's own cancellation slot cannot be
//    used in 1.81: coro_promise hands the resume's slot to the awaited operation, which replaces
//    the coro's cancellation state installed there, and the coro then reads it after it was
//    freed (AddressSanitizer: heap-use-after-free). Its consumer therefore resumes it with an
//    unconnected slot, and clears the reply's slot after each resume (reply_pipeline.cpp).
//  - bind_cancellation_slot cannot wrap deferred in 1.81 (no async_result for it), hence the
//    initiation below, which binds the slot to the completion handler itself.
#pragma once

#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>

#include <exception>
#include <type_traits>
#include <utility>

namespace brandchat {

// Starts an operation (`start(handler)`) with its completion handler bound to `slot`.
template <class Signature, class Token, class Start>
auto cancellable(boost::asio::cancellation_slot slot, Token&& token, Start start) {
    return boost::asio::async_initiate<Token, Signature>(
        [slot, start = std::move(start)](auto handler) mutable { start(boost::asio::bind_cancellation_slot(slot, std::move(handler))); },
        token);
}

// An awaitable as an operation that completes with (exception_ptr[, T]), cancelled through `slot`.
template <class T, class Executor, class Token>
auto await_awaitable(Executor executor, boost::asio::awaitable<T> op, boost::asio::cancellation_slot slot, Token&& token) {
    using Signature = std::conditional_t<std::is_void_v<T>, void(std::exception_ptr), void(std::exception_ptr, T)>;
    return cancellable<Signature>(slot, std::forward<Token>(token), [executor, op = std::move(op)](auto handler) mutable {
        boost::asio::co_spawn(executor, std::move(op), std::move(handler));
    });
}

} // namespace brandchat
