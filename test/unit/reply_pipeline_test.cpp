// The reply pipeline without sockets or processes: answer_chat against a connection kept in
// memory (a ReplySink), with the built-in responder and hand-made failing ones.
#include "brandchat/chat/reply_pipeline.hpp"
#include "brandchat/chat/reply_sink.hpp"
#include "brandchat/log.hpp"
#include "brandchat/net/server_context.hpp"
#include "brandchat/protocol/server_message.hpp"
#include "brandchat/reply/catalog_responder.hpp"
#include "brandchat/setup.hpp"
#include "brandchat/store/store.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <doctest/doctest.h>

using namespace brandchat;
namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

// A connection in memory: every frame it is given, a switch for "the client is behind", and the
// reply's cancellation as the Session has it.
class MemorySink final : public ReplySink {
public:
    MemorySink(asio::io_context& io, ServerContext& server, std::string const& brand)
        : io_(io), server_(server), brand_(server.brands.find_active(brand)), room_(io) {}

    asio::any_io_executor executor() const override { return io_.get_executor(); }
    ServerContext& server() override { return server_; }
    std::shared_ptr<Brand const> const& brand_ptr() const override { return brand_; }
    bool voice_forced() const override { return false; }
    bool open() const override { return open_; }
    void send(std::string frame) override { frames.push_back(json::parse(frame).as_object()); }
    void send_chunk(std::string_view content, std::string const& conversation_id) override {
        ++produced;
        send(protocol::chunk(content, conversation_id));
    }
    void send_error(std::string_view message, ErrorCause) override { send(protocol::error(message)); }
    void flush() override { ++flushes; }
    void text_arrived(std::chrono::steady_clock::time_point) override {}
    bool outbox_full() const override { return behind; }
    asio::awaitable<bool> wait_until_woken() override {
        room_.expires_at(asio::steady_timer::time_point::max());
        co_await room_.async_wait(asio::as_tuple(asio::use_awaitable));
        co_return open_;
    }
    asio::cancellation_slot reply_cancellation() override { return signal_.slot(); }
    bool reply_cancelled() const override { return cancelled_; }

    void catch_up() {
        behind = false;
        room_.cancel();
    }
    void cancel() {
        cancelled_ = true;
        signal_.emit(asio::cancellation_type::terminal);
        room_.cancel();
    }

    std::vector<json::object> frames;
    std::size_t produced = 0, flushes = 0;
    bool behind = false;

private:
    asio::io_context& io_;
    ServerContext& server_;
    std::shared_ptr<Brand const> brand_;
    asio::steady_timer room_;
    asio::cancellation_signal signal_;
    bool open_ = true, cancelled_ = false;
};

std::unique_ptr<ServerContext> server_with(std::chrono::milliseconds word_delay) {
    log::set_level(log::Level::off);
    auto server = std::make_unique<ServerContext>();
    server->options.resources = BRANDCHAT_SOURCE_RESOURCES;
    server->options.word_delay = word_delay;
    server->options.database = ":memory:";
    prepare_context(*server);
    return server;
}

protocol::ChatRequest chat(std::string message, bool voice = false) {
    protocol::ChatRequest r;
    r.message = std::move(message);
    r.voice = voice;
    return r;
}

// Runs answer_chat to its end (at most 5 s); `meanwhile` runs on the loop while it streams.
void answer(asio::io_context& io, MemorySink& sink, protocol::ChatRequest request,
            std::function<asio::awaitable<void>()> meanwhile = nullptr) {
    bool done = false;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        co_await answer_chat(sink, std::move(request));
        done = true;
    }, asio::detached);
    if (meanwhile) asio::co_spawn(io, meanwhile(), asio::detached);
    io.run_for(5s);
    io.restart();
    REQUIRE(done);
}

asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
}

std::string text_of(std::vector<json::object> const& frames) {
    std::string text;
    for (auto const& f : frames)
        if (f.at("type") == "chunk") text += std::string(f.at("data").at("content").as_string());
    return text;
}

// Fails before its first piece, as a model that cannot be reached does.
class Unreachable final : public Responder {
public:
    std::string_view name() const override { return "unreachable"; }
    ReplyStream reply(asio::any_io_executor executor, ReplyRequest const&, asio::cancellation_slot, ReplyTimes&) override { return fail(executor); }

private:
    static ReplyStream fail(asio::any_io_executor) {
        throw ReplyError("Could not reach the assistant's language model; please try again later");
        co_return std::nullopt;
    }
};

// Yields one piece, then fails, as a model that breaks off does.
class BreaksOff final : public Responder {
public:
    std::string_view name() const override { return "breaks off"; }
    ReplyStream reply(asio::any_io_executor executor, ReplyRequest const&, asio::cancellation_slot, ReplyTimes&) override { return run(executor); }

private:
    static ReplyStream run(asio::any_io_executor) {
        ReplyPieces first{std::string("Hello")};
        co_yield std::move(first);
        throw ReplyError("The assistant's language model broke off in the middle of the reply; please try again");
    }
};

// Three sentences in three batches; counts how many batches it was asked for.
class Talkative final : public Responder {
public:
    std::string_view name() const override { return "talkative"; }
    ReplyStream reply(asio::any_io_executor executor, ReplyRequest const&, asio::cancellation_slot, ReplyTimes&) override { return run(executor, resumed); }
    int resumed = 0;

private:
    static ReplyStream run(asio::any_io_executor, int& resumed) {
        for (char const* batch : {"It costs Rp 19.999", ".000 today. Shipping", " is free. Ask me anything."}) {
            ++resumed;
            ReplyPieces pieces{std::string(batch)};
            co_yield std::move(pieces);
        }
        co_return std::nullopt;
    }
};

} // namespace

TEST_CASE("pipeline: chunks then one complete with the products; both turns are kept") {
    asio::io_context io;
    auto server = server_with(0ms);
    MemorySink sink(io, *server, "techpro");
    answer(io, sink, chat("I need a laptop for business work"));
    REQUIRE(sink.frames.size() > 2);
    auto const& complete = sink.frames.back();
    CHECK(complete.at("type") == "complete");
    CHECK_FALSE(complete.at("data").at("suggested_products").as_array().empty());
    for (std::size_t i = 0; i + 1 < sink.frames.size(); ++i) CHECK(sink.frames[i].at("type") == "chunk");
    CHECK(sink.flushes == 1); // the first words left at once
    auto id = std::string(complete.at("data").at("conversation_id").as_string());
    auto conversation = server->conversations.find(id, "techpro");
    REQUIRE(conversation);
    REQUIRE(conversation->turns.size() == 2);
    CHECK(conversation->turns[0].text == "I need a laptop for business work");
    CHECK(conversation->turns[1].text == text_of(sink.frames));
    CHECK(server->stats.replies_total == 1);
}

TEST_CASE("pipeline: a client that is behind holds the reply where it is until it catches up") {
    asio::io_context io;
    auto server = server_with(1ms);
    MemorySink sink(io, *server, "techpro");
    sink.behind = true;
    std::size_t while_behind = 99;
    answer(io, sink, chat("I need a laptop for business work"), [&]() -> asio::awaitable<void> {
        co_await sleep_for(100ms);
        while_behind = sink.produced; // a 1 ms word delay would have typed the whole answer by now
        sink.catch_up();
    });
    CHECK(while_behind == 0);
    CHECK(sink.frames.back().at("type") == "complete");
    CHECK(sink.produced > 5);
}

TEST_CASE("pipeline: a cancel stops the reply at once, and its complete follows") {
    asio::io_context io;
    auto server = server_with(20ms);
    MemorySink sink(io, *server, "techpro");
    auto started = std::chrono::steady_clock::now();
    answer(io, sink, chat("I need a laptop for business work"), [&]() -> asio::awaitable<void> {
        co_await sleep_for(70ms);
        sink.cancel();
    });
    auto took = std::chrono::steady_clock::now() - started;
    CHECK(took < 500ms);             // the whole answer takes seconds at 20 ms a word
    CHECK(sink.produced >= 2);
    CHECK(sink.produced <= 6);
    CHECK(sink.frames.back().at("type") == "complete");
}

TEST_CASE("pipeline: voice mode sends the first sentence and stops resuming the reply") {
    asio::io_context io;
    auto server = server_with(0ms);
    auto talkative = std::make_unique<Talkative>();
    auto* responder = talkative.get();
    server->responder = std::move(talkative);
    MemorySink voice(io, *server, "techpro");
    answer(io, voice, chat("hello", true));
    CHECK(text_of(voice.frames) == "It costs Rp 19.999.000 today.");
    CHECK(responder->resumed == 2); // the third batch was never asked for: the generator was dropped
    CHECK(voice.frames.back().at("type") == "complete");
    MemorySink text(io, *server, "techpro");
    answer(io, text, chat("hello"));
    CHECK(text_of(text.frames) == "It costs Rp 19.999.000 today. Shipping is free. Ask me anything.");
}

TEST_CASE("pipeline: a model that fails before its first piece is answered by the built-in responder when asked to") {
    asio::io_context io;
    auto server = server_with(0ms);
    server->responder = std::make_unique<Unreachable>();
    {
        MemorySink sink(io, *server, "techpro");
        answer(io, sink, chat("I need a laptop for business work"));
        REQUIRE(sink.frames.size() == 1);
        CHECK(sink.frames[0].at("type") == "error");
        CHECK(sink.frames[0].at("data").at("message") == "Could not reach the assistant's language model; please try again later");
        CHECK(server->stats.replies_failed == 1);
    }
    server->fallback_responder = std::make_unique<CatalogResponder>(0ms);
    MemorySink sink(io, *server, "techpro");
    answer(io, sink, chat("I need a laptop for business work"));
    CHECK(sink.frames.size() > 2);
    CHECK(sink.frames.back().at("type") == "complete");
    for (auto const& f : sink.frames) CHECK(f.at("type") != "error");
}

TEST_CASE("pipeline: a model that breaks off after its first piece ends in an error, not in the fallback") {
    asio::io_context io;
    auto server = server_with(0ms);
    server->responder = std::make_unique<BreaksOff>();
    server->fallback_responder = std::make_unique<CatalogResponder>(0ms);
    MemorySink sink(io, *server, "techpro");
    answer(io, sink, chat("hello"));
    REQUIRE(sink.frames.size() == 2);
    CHECK(sink.frames[0].at("data").at("content") == "Hello");
    CHECK(sink.frames[1].at("type") == "error");
    // What the client saw is kept as the assistant's turn.
    auto id = std::string(sink.frames[0].at("data").at("conversation_id").as_string());
    CHECK(server->conversations.find(id, "techpro")->turns.back().text == "Hello");
}

namespace {

// A store whose writes take as long as the test says: record() returns when released.
class SlowStore final : public Store {
public:
    explicit SlowStore(asio::io_context& io) : released_(io, asio::steady_timer::time_point::max()) {}
    std::string describe() const override { return "slow"; }
    std::size_t brand_count() override { return 0; }
    std::vector<Brand> load_brands(std::size_t) override { return {}; }
    void save_brands(std::vector<Brand> const&) override {}
    std::vector<Product> search_products(ProductSearch const&) override { return {}; }
    std::vector<Product> list_products(std::string const&, std::size_t, std::size_t, std::string const&) override { return {}; }
    asio::awaitable<std::optional<Conversation>> load_conversation(std::string const&, std::string const&, std::size_t) override {
        co_return std::nullopt;
    }
    asio::awaitable<void> record(Exchange exchange) override {
        recorded.push_back(std::move(exchange));
        co_await released_.async_wait(asio::as_tuple(asio::use_awaitable));
        ++returned;
    }
    StoreCounters const& counters() const override { return counters_; }
    // The management API's calls, which these tests do not make.
    std::optional<Brand> load_brand(std::string const&, std::size_t, bool) override { return std::nullopt; }
    void save_brand_settings(Brand const&) override {}
    bool delete_brand(std::string const&) override { return false; }
    void put_products(std::string const&, std::vector<Product> const&) override {}
    asio::awaitable<void> import_products(std::string, std::vector<Product>) override { co_return; }
    bool importing() const override { return false; }
    bool delete_product(std::string const&, std::string const&) override { return false; }
    std::optional<Product> find_product(std::string const&, std::string const&) override { return std::nullopt; }
    CatalogCounts catalog_counts(std::string const&, std::string const&) override { return {}; }
    std::optional<std::vector<StoredTurn>> load_history(std::string const&, std::string const&) override { return std::nullopt; }
    bool delete_conversation(std::string const&, std::string const&) override { return false; }
    std::vector<ApiKeyRecord> load_keys() override { return {}; }
    void save_key(ApiKeyRecord const&) override {}
    bool delete_key(std::string const&) override { return false; }
    void release() { released_.cancel(); }
    std::vector<Exchange> recorded;
    int returned = 0;

private:
    asio::steady_timer released_;
    StoreCounters counters_;
};

} // namespace

TEST_CASE("pipeline: complete is sent only once the store has kept the exchange") {
    asio::io_context io;
    auto server = server_with(0ms);
    auto store = std::make_unique<SlowStore>(io);
    auto* slow = store.get();
    server->store = std::move(store);
    MemorySink sink(io, *server, "techpro");
    bool complete_while_writing = true;
    std::size_t exchanges_seen = 0;
    answer(io, sink, chat("I need a laptop for business work"), [&]() -> asio::awaitable<void> {
        co_await sleep_for(100ms); // the reply has long been typed out (no word delay)
        exchanges_seen = slow->recorded.size();
        complete_while_writing = !sink.frames.empty() && sink.frames.back().at("type") == "complete";
        slow->release();
    });
    CHECK(exchanges_seen == 1);
    CHECK_FALSE(complete_while_writing);
    CHECK(slow->returned == 1);
    REQUIRE(sink.frames.back().at("type") == "complete");
    CHECK(slow->recorded[0].user_text == "I need a laptop for business work");
    CHECK(slow->recorded[0].reply_text == text_of(sink.frames));
    CHECK_FALSE(slow->recorded[0].last_product_ids.empty());
}
