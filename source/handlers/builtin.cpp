// The protocol's own message types, registered like any user-added one.
#include "brandchat/handlers/registry.hpp"
#include "brandchat/net/server_context.hpp"
#include "brandchat/handlers/connection.hpp"
#include "brandchat/language/customer_texts.hpp"
#include "brandchat/protocol/server_message.hpp"

namespace brandchat {

namespace asio = boost::asio;

namespace {

// The language to answer in when a chat is refused: the message's, its conversation's, the brand's.
Language refusal_language(Connection& session, boost::json::object const& data) {
    std::string_view message, conversation_id;
    if (auto const* m = data.if_contains("message"); m && m->is_string()) message = m->get_string();
    if (auto const* c = data.if_contains("conversation_id"); c && c->is_string()) conversation_id = c->get_string();
    std::optional<Language> known;
    if (!conversation_id.empty())
        if (auto conversation = session.server().conversations.find(std::string(conversation_id), session.brand().id))
            known = conversation->language;
    return customer_language(message, known, session.brand().language);
}

// {"type":"chat","data":{"message","conversation_id","user_id","voice"}} → chunks, complete.
asio::awaitable<void> handle_chat(Connection& session, boost::json::object const& data) {
    auto& server = session.server();
    auto decoded = protocol::decode_chat(data, server.options.max_message_chars);
    if (auto* err = std::get_if<protocol::DecodeError>(&decoded)) {
        // Too long is what a customer can hit (the rest is a client's mistake): said in their language.
        if (err->message_too_long)
            session.send_error(too_long_text(refusal_language(session, data), server.options.max_message_chars), ErrorCause::invalid_message);
        else
            session.send_error(err->message, ErrorCause::invalid_message);
        co_return;
    }
    auto now = std::chrono::steady_clock::now();
    auto const& per_connection = server.options.connection_rate;
    if (auto wait = session.chat_window().try_acquire(per_connection, now)) {
        session.send_error(rate_limit_text(refusal_language(session, data), RateScope::connection, per_connection.count,
                                           per_connection.window, *wait),
                           ErrorCause::rate_limited);
        ++server.stats.rate_limited_connection;
        co_return;
    }
    if (auto wait = server.address_limiter.try_acquire(session.remote_address(), now)) {
        auto const& limit = server.address_limiter.limit();
        session.send_error(rate_limit_text(refusal_language(session, data), RateScope::address, limit.count, limit.window, *wait),
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
