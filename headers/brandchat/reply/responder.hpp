// Where a reply is made. A Responder starts a reply for one chat message and hands back a
// ChunkStream: an async generator of text pieces that the connection forwards to the client as
// they come. The built-in CatalogResponder answers from the catalog; a language-model responder
// streams from an OpenAI-compatible API. Both receive the same ReplyRequest.
#pragma once

#include "brandchat/catalog/brand.hpp"
#include "brandchat/catalog/query.hpp"
#include "brandchat/catalog/ranking.hpp"
#include "brandchat/chat/conversation.hpp"
#include "brandchat/language/language.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace brandchat {

struct ReplyRequest {
    std::shared_ptr<Brand const> brand;
    std::string message;
    Language language = Language::english;
    bool voice = false;
    std::vector<Turn> history;   // earlier turns of the conversation, oldest first
    Query query;
    Ranking ranking;             // the products this reply is about
};

// A failure the client should hear about. `what()` is safe to show: no secrets, no raw bodies.
class ReplyError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class ChunkStream {
public:
    virtual ~ChunkStream() = default;
    // The next piece of text, or nullopt when the reply is over (or was cancelled).
    // Throws ReplyError when the reply cannot go on.
    virtual boost::asio::awaitable<std::optional<std::string>> next() = 0;
    // Stops the reply now: upstream requests are closed and timers stopped; a pending or later
    // next() returns nullopt. Safe to call at any time, more than once.
    virtual void cancel() = 0;
    // True when next() has a piece in hand and will return it without waiting. The connection
    // writes the first pieces once this turns false, so pieces that arrive together leave
    // together, and the first word does not wait for anything else.
    virtual bool ready() const { return false; }
    // Tokens used, when the responder knows them (language models report them at the end).
    virtual std::optional<TokenUsage> usage() const { return std::nullopt; }
};

class Responder {
public:
    virtual ~Responder() = default;
    virtual std::string_view name() const = 0;
    virtual std::unique_ptr<ChunkStream> start(boost::asio::any_io_executor executor, ReplyRequest const& request) = 0;
    // Slow one-time preparation (loading certificates), run just after the server starts serving.
    virtual void warm_up() {}
    // The server is stopping: open nothing new in the background, close what is idle.
    virtual void stop() {}
};

} // namespace brandchat
