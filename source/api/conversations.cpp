// Conversations over plain HTTP: POST /chat/{brand_id} answers a message without streaming,
// through the same reply pipeline as the WebSocket (chat/reply_pipeline.hpp: conversation,
// language, ranking, the model or the built-in responder, the voice rule, the store), with the
// same limits (message length, the per-address rate); its history; clearing it.
#include "api_call.hpp"

#include "brandchat/chat/reply_pipeline.hpp"
#include "brandchat/chat/reply_sink.hpp"
#include "brandchat/net/server_context.hpp"
#include "brandchat/protocol/client_message.hpp"

#include <boost/asio/this_coro.hpp>
#include <boost/json.hpp>

namespace brandchat::api {

namespace asio = boost::asio;

namespace {

// A reply gathered whole instead of streamed: the chunks' text, and the `complete` or `error`.
class GatheredReply final : public ReplySink {
public:
    GatheredReply(ServerContext& server, asio::any_io_executor executor, std::shared_ptr<Brand const> brand)
        : server_(server), executor_(std::move(executor)), brand_(std::move(brand)) {}

    asio::any_io_executor executor() const override { return executor_; }
    ServerContext& server() override { return server_; }
    std::shared_ptr<Brand const> const& brand_ptr() const override { return brand_; }
    bool voice_forced() const override { return false; }
    bool open() const override { return true; }
    void send(std::string frame) override {
        boost::system::error_code ec;
        auto v = json::parse(frame, ec);
        if (!ec && v.is_object() && v.as_object().contains("type") && v.at("type") == "complete") complete = v.at("data").as_object();
    }
    void send_chunk(std::string_view content, std::string const& conversation_id) override {
        text.append(content);
        this->conversation_id = conversation_id;
    }
    void send_error(std::string_view message, ErrorCause) override { error = std::string(message); }
    void flush() override {}
    void text_arrived(std::chrono::steady_clock::time_point) override {}
    bool streams() const override { return false; }
    bool outbox_full() const override { return false; }
    asio::awaitable<bool> wait_until_woken() override { co_return true; }
    asio::cancellation_slot reply_cancellation() override { return cancel_.slot(); }
    bool reply_cancelled() const override { return false; }

    std::string text, conversation_id;
    std::optional<json::object> complete;
    std::optional<std::string> error;

private:
    ServerContext& server_;
    asio::any_io_executor executor_;
    std::shared_ptr<Brand const> brand_;
    asio::cancellation_signal cancel_;
};

std::string retry_text(std::chrono::milliseconds wait) {
    auto seconds = (wait.count() + 999) / 1000;
    return std::to_string(seconds);
}

// {message, conversation_id, user_id, voice} → {response, conversation_id, suggested_products, confidence_score}
asio::awaitable<HttpResponse> chat(ApiCall& call) {
    auto& server = call.server;
    auto brand = server.brands.find_active(call.param(0));
    if (!brand) co_return detail(404, "Brand '" + call.param(0) + "' not found or inactive");
    FieldErrors errors;
    auto body = json_object_body(call, errors);
    if (!errors.empty()) co_return errors.answer();
    auto data = std::move(*body);
    if (auto const* v = data.if_contains("voice_mode"); v && !data.contains("voice")) data["voice"] = *v;
    if (!data.contains("message")) {
        errors.add({"body", "message"}, "Field required", "missing");
        co_return errors.answer();
    }
    auto decoded = protocol::decode_chat(data, server.options.max_message_chars);
    if (auto* err = std::get_if<protocol::DecodeError>(&decoded)) {
        errors.add({"body", "message"}, err->message, "value_error");
        co_return errors.answer();
    }
    if (auto wait = server.address_limiter.try_acquire(call.request.remote_address, std::chrono::steady_clock::now())) {
        auto const& limit = server.address_limiter.limit();
        auto res = detail(429, "Rate limit exceeded: at most " + std::to_string(limit.count) + " chat messages per " +
                                   std::to_string(limit.window.count()) + " seconds from one address; try again in " +
                                   retry_text(*wait) + " seconds");
        res.headers.emplace_back("Retry-After", retry_text(*wait));
        co_return res;
    }
    GatheredReply reply(server, co_await asio::this_coro::executor, brand);
    co_await answer_chat(reply, std::move(std::get<protocol::ChatRequest>(decoded)));
    if (reply.error || !reply.complete) co_return detail(502, reply.error.value_or("The reply could not be made; please try again"));
    auto const& done = *reply.complete;
    co_return json_answer(json::object{{"response", reply.text},
                                       {"conversation_id", done.at("conversation_id")},
                                       {"suggested_products", done.at("suggested_products")},
                                       {"confidence_score", done.at("confidence_score")}});
}

asio::awaitable<HttpResponse> chat_default(ApiCall& call) {
    ApiCall scoped{call.server, call.request, {call.server.options.default_brand}, call.principal};
    co_return co_await chat(scoped);
}

// Every kept turn; an unknown (or expired) conversation has none, as the original answered.
asio::awaitable<HttpResponse> history(ApiCall& call) {
    if (!call.server.brands.find(call.param(0))) co_return detail(404, "Brand '" + call.param(0) + "' not found"); // inactive ones too
    json::array messages;
    if (auto turns = call.server.store->load_history(call.param(1), call.param(0)))
        for (auto const& t : *turns)
            messages.push_back(json::object{
                {"role", t.role == Turn::Role::user ? "user" : "assistant"}, {"content", t.text}, {"timestamp", iso_time(t.at_ms)}});
    co_return json_answer(json::object{{"conversation_id", call.param(1)}, {"brand_id", call.param(0)}, {"messages", std::move(messages)}});
}

asio::awaitable<HttpResponse> clear(ApiCall& call) {
    if (!call.server.brands.find(call.param(0))) co_return detail(404, "Brand '" + call.param(0) + "' not found"); // inactive ones too
    bool in_memory = call.server.conversations.remove(call.param(1), call.param(0));
    bool kept = call.server.store->delete_conversation(call.param(1), call.param(0));
    if (!in_memory && !kept) co_return detail(404, "Conversation not found");
    co_return json_answer(json::object{{"message", "Conversation cleared successfully"}});
}

constexpr Route routes[] = {
    {"POST", "/chat/{brand_id}", Access::open, chat},
    {"POST", "/chat", Access::open, chat_default},
    {"GET", "/chat/{brand_id}/history/{conversation_id}", Access::brand, history},
    {"DELETE", "/chat/{brand_id}/{conversation_id}", Access::brand, clear},
};

} // namespace

std::span<Route const> conversation_routes() { return routes; }

} // namespace brandchat::api
