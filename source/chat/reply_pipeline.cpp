#include "brandchat/chat/reply_pipeline.hpp"

#include "brandchat/language/sentence_limiter.hpp"
#include "brandchat/log.hpp"
#include "brandchat/net/server_context.hpp"
#include "brandchat/net/session.hpp"
#include "brandchat/protocol/server_message.hpp"

namespace brandchat {

namespace asio = boost::asio;

namespace {

struct Forwarded {
    std::string text;
    std::size_t chunks = 0;
};

// Pulls the stream into the socket. Returns normally when the stream ends or is cancelled;
// ReplyError propagates.
asio::awaitable<void> forward(Session& session, ChunkStream& stream, std::string const& conversation_id, bool voice,
                              Forwarded& sent) {
    SentenceLimiter limiter;
    bool first_written = false;
    auto emit = [&](std::string const& piece) {
        if (piece.empty()) return;
        sent.text += piece;
        ++sent.chunks;
        session.send_chunk(piece, conversation_id);
    };
    for (;;) {
        if (!session.open()) co_return;
        if (session.outbox_full() && !co_await session.wait_for_room()) co_return;
        auto piece = co_await stream.next();
        if (!piece) break;
        if (!voice) {
            emit(*piece);
        } else {
            auto step = limiter.push(*piece);
            emit(step.forward);
            if (step.done) {
                stream.cancel(); // one sentence is the whole voice reply: stop the upstream now
                co_return;
            }
        }
        // The first pieces leave at once, not after the rest of this turn of the event loop:
        // the customer is waiting for the first word. Later pieces are written from a post at
        // the end of the turn, together with every other reply's (coalescing_stream.hpp).
        if (!first_written && sent.chunks > 0 && !stream.ready()) {
            session.flush();
            first_written = true;
        }
    }
    if (voice) emit(limiter.finish().forward);
}

} // namespace

asio::awaitable<void> answer_chat(Session& session, protocol::ChatRequest request) {
    auto& server = session.server();
    auto brand = session.brand_ptr();
    auto started = std::chrono::steady_clock::now();

    std::shared_ptr<Conversation> conversation;
    if (request.conversation_id) conversation = server.conversations.find(*request.conversation_id, brand->id);
    if (!conversation) conversation = server.conversations.create(brand->id, request.user_id);
    else if (request.user_id) conversation->user_id = request.user_id;

    auto detected = detect_language(request.message);
    if (detected) conversation->language = detected;

    ReplyRequest reply;
    reply.brand = brand;
    reply.message = request.message;
    reply.language = conversation->language.value_or(brand->language);
    reply.voice = request.voice || session.voice_forced();
    reply.history = conversation->turns;
    reply.query = parse_query(request.message);
    RankingContext context{conversation->last_product_ids, conversation->last_confidence, conversation->recent_user_messages(3)};
    reply.ranking = rank_products(*brand, reply.query, context, {server.options.max_suggestions, 0.5});
    server.conversations.add_turn(*conversation, {Turn::Role::user, request.message});

    Forwarded sent;
    std::string outcome = "complete";
    std::optional<std::string> failure;
    auto run = [&](Responder& responder) -> asio::awaitable<void> {
        auto stream = responder.start(session.executor(), reply);
        session.set_active_stream(stream.get());
        try {
            co_await forward(session, *stream, conversation->id, reply.voice, sent);
        } catch (...) {
            session.set_active_stream(nullptr);
            throw;
        }
        session.set_active_stream(nullptr);
        if (auto usage = stream->usage()) {
            conversation->usage.prompt += usage->prompt;
            conversation->usage.completion += usage->completion;
            conversation->usage.total += usage->total;
            auto& brand_usage = server.stats.usage_by_brand[brand->id];
            brand_usage.prompt += usage->prompt;
            brand_usage.completion += usage->completion;
            brand_usage.total += usage->total;
            server.stats.prompt_tokens += usage->prompt;
            server.stats.completion_tokens += usage->completion;
        }
    };
    try {
        co_await run(*server.responder);
    } catch (ReplyError const& e) {
        failure = e.what();
    }
    if (failure && sent.chunks == 0 && server.fallback_responder && session.open() && !session.reply_cancelled()) {
        log::warn("model failed before its first chunk (", *failure, "); answering with the built-in responder");
        failure.reset();
        try {
            co_await run(*server.fallback_responder);
        } catch (ReplyError const& e) {
            failure = e.what();
        }
    }

    if (!sent.text.empty()) server.conversations.add_turn(*conversation, {Turn::Role::assistant, sent.text});
    server.stats.chunks_total += sent.chunks;
    if (failure) {
        outcome = "error";
        ++server.stats.replies_failed;
        session.send_error(*failure);
    } else if (!session.open()) {
        outcome = "client left";
    } else {
        if (session.reply_cancelled()) outcome = "cancelled";
        std::vector<Product const*> products;
        for (auto const& s : reply.ranking.suggestions) products.push_back(s.product);
        session.send(protocol::complete(conversation->id, products, reply.ranking.confidence));
        if (reply.ranking.about_products) { // greetings and small talk keep the products in mind
            conversation->last_product_ids.clear();
            for (auto const* p : products) conversation->last_product_ids.push_back(p->id);
            conversation->last_confidence = reply.ranking.confidence;
        }
        ++server.stats.replies_total;
    }
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    log::info("reply: brand=", brand->id, " conversation=", conversation->id, " language=", language_code(reply.language),
              reply.voice ? " voice" : "", " chunks=", sent.chunks, " products=", reply.ranking.suggestions.size(),
              " duration=", took.count(), "ms outcome=", outcome, failure ? " error=\"" + *failure + "\"" : "");
}

} // namespace brandchat
