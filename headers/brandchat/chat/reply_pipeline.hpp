// How one chat message becomes a reply: find or start the conversation, detect the language,
// rank the brand's products, start the responder, forward its chunks (cut to one sentence in
// voice mode, paused while the client's outbox is full), then send `complete` with the
// suggestions and remember the turn. Any failure ends in one `error` to the client.
#pragma once

#include "brandchat/protocol/client_message.hpp"

#include <boost/asio/awaitable.hpp>

namespace brandchat {

class ReplySink;

boost::asio::awaitable<void> answer_chat(ReplySink& connection, protocol::ChatRequest request);

} // namespace brandchat
