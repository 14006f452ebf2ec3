// The protocol's own message types, registered like any user-added one.
#include "brandchat/handlers/registry.hpp"
#include "brandchat/net/server_context.hpp"
#include "brandchat/handlers/connection.hpp"
#include "brandchat/protocol/server_message.hpp"

namespace brandchat {

namespace asio = boost::asio;

namespace {

std::string retry_text(std::chrono::milliseconds wait) {
    auto seconds = (wait.count() + 999) / 1000;
    return "try again in " + std::to_string(seconds) + (seconds == 1 ? " second" : " seconds");
}

// {"type":"chat","data":{"message","conversation_id","user_id","voice"}} → chunks, complete.
asio::awaitable<void> handle_chat(Connection& session, boost::json::object const& data) {
    auto& server = session.server();
    auto decoded = protocol::decode_chat(data, server.options.max_message_chars);
    if (auto* err = std::get_if<protocol::DecodeError>(&decoded)) {
        session.send_error(err->message, ErrorCause::invalid_message);
        co_return;
    }
    auto now = std::chrono::steady_clock::now();
    auto const& per_connection = server.options.connection_rate;
    if (auto wait = session.chat_window().try_acquire(per_connection, now)) {
        session.send_error("Rate limit exceeded: at most " + std::to_string(per_connection.count) + " chat messages per " +
                           std::to_string(per_connection.window.count()) + " seconds on one connection; " + retry_text(*wait),
                           ErrorCause::rate_limited);
        ++server.stats.rate_limited_connection;
        co_return;
    }
    if (auto wait = server.address_limiter.try_acquire(session.remote_address(), now)) {
        auto const& limit = server.address_limiter.limit();
        session.send_error("Rate limit exceeded: at most " + std::to_string(limit.count) + " chat messages per " +
                           std::to_string(limit.window.count()) + " seconds from one address; " + retry_text(*wait),
                           ErrorCause::rate_limited);
        ++server.stats.rate_limited_address;
        co_return;
    }
    session.queue_chat(std::move(std::get<protocol::ChatRequest>(decoded)));
}

// {"type":"ping","data":{}} → {"type":"pong","data":{"timestamp":"..."}}
asio::awaitable<void> handle_ping(Connection& session, boost::json::object const&) {
    session.send(protocol::pong(protocol::iso_timestamp_now()));
    co_return;
}

// {"type":"cancel","data":{}}: stop the reply being streamed; its `complete` follows.
asio::awaitable<void> handle_cancel(Connection& session, boost::json::object const&) {
    session.cancel_reply();
    co_return;
}

} // namespace

void register_builtin_handlers(HandlerRegistry& registry) {
    registry.add("chat", handle_chat);
    registry.add("ping", handle_ping);
    registry.add("cancel", handle_cancel);
}

} // namespace brandchat
