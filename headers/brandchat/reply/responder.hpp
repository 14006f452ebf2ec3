// Where a reply is made. A Responder turns one chat message into a ReplyStream: a generator
// (Asio's experimental::coro) that co_yields the reply's text as it is made, a batch at a time
// (the pieces that came together: one read from a model often carries a dozen tokens), and
// co_returns the tokens it used, when it knows them. The built-in CatalogResponder answers from
// the catalog; the OpenAI-compatible one streams from a model. Both receive the same ReplyRequest.
//
// The contract, for whoever resumes one (chat/reply_pipeline.cpp does):
//  - it is made with the reply's cancellation slot; a terminal cancellation emitted on it reaches
//    whatever the reply is awaiting (a connect, a TLS handshake, a read, a backoff, a timer),
//    which ends at once; the reply then ends, by returning or by throwing, and either means
//    "cancelled" to the one who cancelled;
//  - resume it from an awaitable with an unconnected slot, and clear the reply's slot after each
//    resume (cancellable.hpp says why);
//  - between resumes it awaits nothing, so a consumer that waits (for a slow client) holds the
//    reply where it is;
//  - a failure the client should hear about is thrown as ReplyError;
//  - it may be destroyed while suspended at a yield (voice mode stops after one sentence), never
//    while a resume is pending (boost-1.81 notes).
#pragma once

#include "brandchat/catalog/brand.hpp"
#include "brandchat/catalog/query.hpp"
#include "brandchat/catalog/ranking.hpp"
#include "brandchat/chat/conversation.hpp"
#include "brandchat/language/language.hpp"
#include "brandchat/metrics/metrics.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/experimental/coro.hpp>

#include <chrono>
#include <cstdint>
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
    // For a catalog kept in the store: the products the ranking chose from (its suggestions
    // point into them), kept as long as the request.
    std::shared_ptr<Brand const> candidates;
    // For the responder's log lines: the conversation and the connection it is about.
    std::string conversation_id;
    std::uint64_t connection_id = 0;
};

// When the parts of a reply happened, as its responder saw them; the pipeline makes the server's
// latency histograms of them (GET /metrics). The pipeline owns it and it outlives the generator.
// A responder without a model leaves the model's two times unset.
struct ReplyTimes {
    using Clock = std::chrono::steady_clock;
    Clock::time_point request_written{}; // the model's request written (its last attempt)
    Clock::time_point first_text{};      // the model's read that brought the reply's first text
    Clock::time_point batch_arrived{};   // the batch just yielded came: a model's read, a built-in word
};

// A failure the client should hear about. `what()` is safe to show: no secrets, no raw bodies.
class ReplyError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The pieces of text that came together, in order.
using ReplyPieces = std::vector<std::string>;
using ReplyStream = boost::asio::experimental::coro<ReplyPieces, std::optional<TokenUsage>>;

class Responder {
public:
    virtual ~Responder() = default;
    virtual std::string_view name() const = 0;
    // The reply's generator; it starts when first resumed. It keeps what it needs of `request`,
    // and sets `times` as it goes.
    virtual ReplyStream reply(boost::asio::any_io_executor executor, ReplyRequest const& request,
                              boost::asio::cancellation_slot cancel, ReplyTimes& times) = 0;
    // Slow one-time preparation (loading certificates), run just after the server starts serving.
    virtual void warm_up() {}
    // The server is stopping: open nothing new in the background, close what is idle.
    virtual void stop() {}
    // Its own families for GET /metrics (the model's requests, say).
    virtual void write_metrics(PrometheusText&) const {}
};

} // namespace brandchat
