#include "brandchat/chat/reply_pipeline.hpp"

#include "brandchat/chat/candidates.hpp"

#include "brandchat/language/sentence_limiter.hpp"
#include "brandchat/language/text.hpp"
#include "brandchat/log.hpp"
#include "brandchat/net/server_context.hpp"
#include "brandchat/chat/reply_sink.hpp"
#include "brandchat/protocol/server_message.hpp"
#include "brandchat/store/store.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace brandchat {

namespace asio = boost::asio;

namespace {

// What a reply needs before it starts: its conversation, and the request its responder gets.
struct PreparedReply {
    std::shared_ptr<Conversation> conversation;
    ReplyRequest request;
    std::chrono::steady_clock::time_point received; // the message read (or its turn came): the histograms' start
};

// How much of a reply's text is kept as its turn of the conversation. A turn longer than
// --history-budget-chars is never sent to a model again, and a reply is at most --max-tokens
// long; but a model that sends long tokens to a client that reads slowly would otherwise make the
// transcript, not the outbox, grow with everything the client has read.
constexpr std::size_t max_kept_reply_bytes = 64 * 1024;

// What reached the client.
struct Streamed {
    std::string text; // its first max_kept_reply_bytes
    std::size_t chunks = 0;
    std::optional<TokenUsage> usage;
    std::optional<std::string> failure; // for the client, when the reply could not go on
    ReplyTimes times;                   // set by the responder
    std::chrono::steady_clock::time_point first_chunk_written{}; // the first chunk's write started
};

// Finds the conversation (in memory, else in the store: one from before a restart goes on) or
// starts one, reads the message (language, query), ranks the products, and records the user's
// turn.
asio::awaitable<PreparedReply> prepare(ReplySink& session, protocol::ChatRequest chat) {
    auto& server = session.server();
    auto brand = session.brand_ptr();
    PreparedReply reply;
    reply.received = chat.received == std::chrono::steady_clock::time_point{} ? std::chrono::steady_clock::now() : chat.received;
    auto& conversation = reply.conversation;
    if (chat.conversation_id) {
        conversation = server.conversations.find(*chat.conversation_id, brand->id);
        if (!conversation && server.store) {
            auto kept = co_await server.store->load_conversation(*chat.conversation_id, brand->id,
                                                                 server.conversations.limits().max_turns);
            if (kept) conversation = server.conversations.adopt(std::move(*kept));
        }
    }
    if (!conversation) conversation = server.conversations.create(brand->id, chat.user_id);
    else if (chat.user_id) conversation->user_id = chat.user_id;
    if (auto detected = detect_language(chat.message)) conversation->language = detected;

    auto& request = reply.request;
    request.brand = brand;
    request.language = conversation->language.value_or(brand->language);
    request.voice = chat.voice || session.voice_forced();
    request.history = conversation->turns;
    request.query = read_query(*brand, chat.message);
    RankingContext context{conversation->last_product_ids, conversation->last_confidence, conversation->recent_user_messages(3)};
    Brand const* catalog = brand.get();
    if (brand->catalog_in_store && server.store) {
        request.candidates = find_candidates(*server.store, *brand, request.query, context, server.options.max_suggestions);
        catalog = request.candidates.get();
    }
    request.ranking = rank_products(*catalog, request.query, context, {server.options.max_suggestions, 0.5});
    server.conversations.add_turn(*conversation, {Turn::Role::user, chat.message});
    request.conversation_id = conversation->id;
    request.connection_id = session.connection_id();
    log::event(log::Level::debug, "chat message",
               {{"brand", brand->id}, {"conversation", conversation->id}, {"connection", request.connection_id}, {"text", chat.message}});
    request.message = std::move(chat.message);
    co_return reply;
}

// The handler an operation of the generator left in the reply's slot refers to that operation:
// once the resume is over, nothing may be left there for a later cancel to call.
struct ClearAfterResume {
    asio::cancellation_slot slot;
    ~ClearAfterResume() { slot.clear(); }
};

// Resumes the responder's generator and sends what it yields, until it ends, the client goes or
// the reply is cancelled. Waits while the client's outbox is full (the generator waits with
// it: it awaits nothing between resumes). In voice mode the reply is cut after its first
// sentence, and dropping the generator there closes the model's stream.
asio::awaitable<void> stream(ReplySink& session, Responder& responder, PreparedReply const& reply, Streamed& sent) {
    auto generator = responder.reply(session.executor(), reply.request, session.reply_cancellation(), sent.times);
    auto const& conversation_id = reply.conversation->id;
    bool const voice = reply.request.voice;
    SentenceLimiter limiter;
    auto emit = [&](std::string const& piece) {
        if (piece.empty()) return;
        if (sent.text.size() < max_kept_reply_bytes)
            sent.text.append(piece, 0, utf8_prefix_length(piece, max_kept_reply_bytes - sent.text.size()));
        ++sent.chunks;
        session.send_chunk(piece, conversation_id);
    };
    // Each batch's chunks leave at once, not from a post at the end of this turn of the event
    // loop, which would put them behind every other connection's work in the turn: the customer
    // is waiting for them. A write already on the wire takes them next, merged with whatever
    // comes meanwhile (coalescing_stream.hpp), so a fast model still gets few large writes.
    // (flush() starts the write at once unless one is on the wire; then these follow it when it
    // completes, and the time taken here is a little early.)
    auto send_out = [&] {
        if (sent.chunks == 0) return;
        session.flush();
        if (sent.first_chunk_written == std::chrono::steady_clock::time_point{} && session.streams())
            sent.first_chunk_written = std::chrono::steady_clock::now();
    };
    try {
        for (;;) {
            while (session.outbox_full() && !session.reply_cancelled())
                if (!co_await session.wait_until_woken()) co_return;
            if (!session.open() || session.reply_cancelled()) co_return;
            // Resumed with no slot of its own, and the reply's slot cleared after: cancellable.hpp.
            ClearAfterResume clear{session.reply_cancellation()};
            auto next = co_await generator.async_resume(asio::bind_cancellation_slot(asio::cancellation_slot(), asio::use_awaitable));
            if (next.index() == 1) {
                sent.usage = std::get<1>(next);
                break;
            }
            session.text_arrived(sent.times.batch_arrived);
            for (auto const& piece : std::get<0>(next)) {
                if (!voice) {
                    emit(piece);
                    continue;
                }
                auto step = limiter.push(piece);
                emit(step.forward);
                if (step.done) {
                    send_out();
                    co_return; // one sentence is the whole voice reply
                }
            }
            send_out();
        }
        if (voice) emit(limiter.finish().forward);
    } catch (ReplyError const& e) {
        if (session.open() && !session.reply_cancelled()) sent.failure = e.what(); // a cancelled reply ends quietly
    }
}

void count_usage(ServerContext& server, Conversation& conversation, std::string const& brand, TokenUsage const& usage) {
    for (auto* total : {&conversation.usage, &bounded_entry(server.stats.usage_by_brand, brand)}) {
        total->prompt += usage.prompt;
        total->completion += usage.completion;
        total->total += usage.total;
    }
    server.stats.prompt_tokens += usage.prompt;
    server.stats.completion_tokens += usage.completion;
}

// What the server added to this reply, measured inside it (GET /metrics): so it holds on a busy
// machine, where a client's end-to-end times include its own wake-ups and the model's.
//  - upstream_request_delay: the message read (or, queued, its turn) -> the model's request
//    written. A new connection to the model (none kept warm) and retries count in it.
//  - first_chunk_added: (the message read -> the first chunk's write started) minus the model's
//    own part (its request written -> the read that brought the first text).
//  - reply_duration: the message read -> the reply's end (complete or error queued).
// Only replies a model answered have the first two.
void count_latency(ServerContext& server, PreparedReply const& reply, Streamed const& sent) {
    using Clock = std::chrono::steady_clock;
    auto& stats = server.stats;
    auto const& t = sent.times;
    auto const origin = reply.received;
    if (t.request_written != Clock::time_point{}) stats.upstream_request_delay.observe(t.request_written - origin);
    if (t.request_written != Clock::time_point{} && t.first_text != Clock::time_point{} && sent.first_chunk_written != Clock::time_point{})
        stats.first_chunk_added.observe((sent.first_chunk_written - origin) - (t.first_text - t.request_written));
    stats.reply_duration.observe(Clock::now() - origin);
}

// Remembers the reply's turn and products, makes the exchange durable, then sends `complete` (or
// the error), counts and logs. The client's `complete` never comes before the exchange is kept.
asio::awaitable<void> finish(ReplySink& session, PreparedReply& reply, Streamed const& sent,
                             std::chrono::steady_clock::time_point started) {
    auto& server = session.server();
    auto& conversation = *reply.conversation;
    auto const& ranking = reply.request.ranking;
    if (sent.usage) count_usage(server, conversation, reply.request.brand->id, *sent.usage);
    if (!sent.text.empty()) server.conversations.add_turn(conversation, {Turn::Role::assistant, sent.text});
    server.stats.chunks_total += sent.chunks;
    auto const ended = sent.failure ? ReplyOutcome::error
                       : !session.open() ? ReplyOutcome::client_left
                       : session.reply_cancelled() ? ReplyOutcome::cancelled
                                                   : ReplyOutcome::complete;
    std::string_view outcome = ended == ReplyOutcome::error ? "error"
                               : ended == ReplyOutcome::client_left ? "client left"
                               : ended == ReplyOutcome::cancelled ? "cancelled"
                                                                  : "complete";
    std::vector<Product const*> products;
    for (auto const& s : ranking.suggestions) products.push_back(s.product);
    if (!sent.failure && session.open() && ranking.about_products) { // greetings and small talk keep the products in mind
        conversation.last_product_ids.clear();
        for (auto const* p : products) conversation.last_product_ids.push_back(p->id);
        conversation.last_confidence = ranking.confidence;
    }
    if (server.store) {
        Exchange e{conversation.id, conversation.brand_id, conversation.user_id, conversation.language,
                   reply.request.message, sent.text, conversation.last_product_ids, conversation.last_confidence,
                   sent.usage.value_or(TokenUsage{}), wall_clock_ms()};
        co_await server.store->record(std::move(e));
    }
    if (sent.failure) {
        ++server.stats.replies_failed;
        session.send_error(*sent.failure, ErrorCause::reply_failed);
    } else if (ended != ReplyOutcome::client_left && session.open()) {
        session.send(protocol::complete(conversation.id, products, ranking.confidence));
        ++server.stats.replies_total;
    }
    ++bounded_entry(server.stats.replies_by_brand, reply.request.brand->id)[static_cast<std::size_t>(ended)];
    count_latency(server, reply, sent);
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    auto const level = sent.failure ? log::Level::warn : log::Level::info;
    auto const& brand = reply.request.brand->id;
    auto const connection = session.connection_id();
    auto const language = language_code(reply.request.language);
    if (sent.failure)
        log::event(level, "reply", {{"brand", brand}, {"conversation", conversation.id}, {"connection", connection}, {"language", language},
                                    {"voice", reply.request.voice}, {"chunks", sent.chunks}, {"products", ranking.suggestions.size()},
                                    {"duration_ms", took.count()}, {"outcome", outcome}, {"error", *sent.failure}});
    else
        log::event(level, "reply", {{"brand", brand}, {"conversation", conversation.id}, {"connection", connection}, {"language", language},
                                    {"voice", reply.request.voice}, {"chunks", sent.chunks}, {"products", ranking.suggestions.size()},
                                    {"duration_ms", took.count()}, {"outcome", outcome}});
}

} // namespace

asio::awaitable<void> answer_chat(ReplySink& session, protocol::ChatRequest request) {
    auto& server = session.server();
    auto started = std::chrono::steady_clock::now();
    auto reply = co_await prepare(session, std::move(request));
    Streamed sent;
    co_await stream(session, *server.responder, reply, sent);
    if (sent.failure && sent.chunks == 0 && server.fallback_responder && session.open() && !session.reply_cancelled()) {
        log::event(log::Level::warn, "model failed, built-in responder answers",
                   {{"brand", reply.request.brand->id}, {"conversation", reply.request.conversation_id},
                    {"connection", reply.request.connection_id}, {"error", *sent.failure}});
        auto const model_request = sent.times.request_written; // the model's part is still counted
        sent = {};
        sent.times.request_written = model_request;
        co_await stream(session, *server.fallback_responder, reply, sent);
    }
    co_await finish(session, reply, sent, started);
}

} // namespace brandchat
