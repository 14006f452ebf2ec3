// Message types and the coroutines that handle them. The connection reads a frame, decodes its
// envelope, and awaits the handler registered for its type; an unknown type gets an `error`.
// To add a message type, write a handler and register it (see README, "Adding a message type").
// A handler runs on the connection's reading path: keep it short, and hand long work to the
// session (as `chat` does with Connection::queue_chat) so pings and cancels stay responsive.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <functional>
#include <map>
#include <string>

namespace brandchat {

class Connection; // connection.hpp: what a handler may do

using Handler = std::function<boost::asio::awaitable<void>(Connection&, boost::json::object const& data)>;

class HandlerRegistry {
public:
    void add(std::string type, Handler handler) { handlers_[std::move(type)] = std::move(handler); }
    Handler const* find(std::string const& type) const {
        auto it = handlers_.find(type);
        return it == handlers_.end() ? nullptr : &it->second;
    }
    std::string known_types() const; // "cancel, chat, ping"

private:
    std::map<std::string, Handler> handlers_;
};

// chat, ping and cancel: the protocol's own types, registered the same way as any other.
void register_builtin_handlers(HandlerRegistry& registry);

} // namespace brandchat
