#include "brandchat/reply/openai_responder.hpp"

#include "brandchat/log.hpp"
#include "brandchat/reply/prompt.hpp"
#include "brandchat/reply/sse_parser.hpp"
#include "brandchat/reply/upstream_connection.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdlib>
#include <filesystem>
#include <deque>
#include <random>
#include <unordered_map>

namespace brandchat {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::chrono::milliseconds retry_delay(std::size_t attempt, std::chrono::milliseconds server_asked, double unit) {
    constexpr auto cap = std::chrono::milliseconds(20000);
    if (server_asked.count() >= 0) return std::min(server_asked, cap);
    double base = 500.0 * static_cast<double>(1u << std::min<std::size_t>(attempt, 10));
    double jittered = base * (0.75 + 0.5 * unit);
    return std::min(std::chrono::milliseconds(static_cast<long long>(jittered)), cap);
}

struct OpenAiResponder::Shared {
    Options options;
    UpstreamEndpoint endpoint;
    asio::ssl::context tls{asio::ssl::context::tls_client};
    struct Idle {
        std::unique_ptr<UpstreamConnection> connection;
        Clock::time_point since;
    };
    std::vector<Idle> idle; // keep-alive pool, newest last
    static constexpr std::size_t idle_limit = 64;
    std::size_t spares_opening = 0;
    bool stopped = false;
    // The events of one read from the model, for whichever stream is reading: a stream handles
    // them all before it next awaits, and the io_context has one thread. Shared so that their
    // buffers, once grown, serve every later reply instead of being grown again by each.
    SseEvents events;

    void keep(std::unique_ptr<UpstreamConnection> connection) {
        if (!stopped && idle.size() < idle_limit) idle.push_back({std::move(connection), Clock::now()});
    }
    // The newest connection idle for less than --idle-connection-ms, or null; older ones are
    // closed: servers drop idle keep-alive connections, TLS ones often without a word.
    std::unique_ptr<UpstreamConnection> take() {
        while (!idle.empty()) {
            auto entry = std::move(idle.back());
            idle.pop_back();
            if (Clock::now() - entry.since < options.idle_connection) return std::move(entry.connection);
            entry.connection->close();
        }
        return nullptr;
    }

    // Opens connections in the background until `spare_connections` wait in the pool, so that a
    // conversation's first message finds one ready instead of waiting for a TCP (and TLS)
    // handshake with the model. Called after a request has been answered, so an unreachable
    // model is not dialled again and again.
    static void top_up(std::shared_ptr<Shared> const& self, asio::any_io_executor const& executor) {
        if (self->stopped) return;
        auto target = std::min(self->options.spare_connections, idle_limit);
        while (self->idle.size() + self->spares_opening < target) {
            ++self->spares_opening;
            asio::co_spawn(executor, open_spare(self, executor), asio::detached);
        }
    }
    static asio::awaitable<void> open_spare(std::shared_ptr<Shared> self, asio::any_io_executor executor) {
        std::unique_ptr<UpstreamConnection> connection;
        try {
            connection = co_await UpstreamConnection::open(executor, self->endpoint, self->trust(), self->options.connect_timeout);
        } catch (std::exception const& e) { // a detached coroutine's exception would vanish, and the count with it
            log::debug("spare model connection not opened: ", e.what());
        }
        --self->spares_opening;
        if (connection) self->keep(std::move(connection));
    }
    std::string description;
    std::mt19937 rng{std::random_device{}()};

    // The trust store, loaded on first need: reading a system CA bundle takes ~100 ms, which
    // should not delay serving (and plain-http upstreams never need it). The server calls
    // warm_up() right after it starts listening, so the first customer does not wait either.
    asio::ssl::context* trust() {
        if (!endpoint.tls) return nullptr;
        if (!trust_loaded) {
            trust_loaded = true;
            boost::system::error_code ec;
            tls.set_default_verify_paths(ec); // SSL_CERT_FILE / SSL_CERT_DIR, OpenSSL's convention
            if (ec) log::warn("cannot load the system's trusted certificates: ", ec.message());
            tls.set_verify_mode(asio::ssl::verify_peer);
        }
        return &tls;
    }
    bool trust_loaded = false;

    // Each brand's escaped prompt parts, made at its first chat message. Brands are immutable once
    // loaded; the entry holds its brand, so the key's brand outlives it.
    struct CachedPrompt {
        std::shared_ptr<Brand const> brand;
        BrandPrompt parts;
    };
    std::unordered_map<Brand const*, CachedPrompt> prompts;
    BrandPrompt const& prompt_for(std::shared_ptr<Brand const> const& brand) {
        auto [it, fresh] = prompts.try_emplace(brand.get());
        if (fresh) it->second = {brand, brand_prompt(*brand)};
        return it->second.parts;
    }

    // The request's target and the key and account headers: the same for every request.
    std::string target;
    std::string header_lines;
    static std::string make_header_lines(Options const& options) {
        std::vector<std::pair<std::string, std::string>> h;
        if (!options.openai_api_key.empty()) h.emplace_back("Authorization", "Bearer " + options.openai_api_key);
        if (!options.openai_organization.empty()) h.emplace_back("OpenAI-Organization", options.openai_organization);
        if (!options.openai_project.empty()) h.emplace_back("OpenAI-Project", options.openai_project);
        return request_header_lines(h);
    }
};

namespace {

bool retryable(UpstreamFailure const& f) {
    switch (f.kind) {
    case UpstreamFailure::Kind::connect:
    case UpstreamFailure::Kind::broken:
    case UpstreamFailure::Kind::timeout: return true;
    case UpstreamFailure::Kind::status:
        return f.status == 408 || f.status == 409 || f.status == 429 || f.status >= 500;
    default: return false;
    }
}

// What the customer is told. Never the upstream body, never a credential.
std::string client_message(UpstreamFailure const& f, bool started) {
    using K = UpstreamFailure::Kind;
    switch (f.kind) {
    case K::status:
        if (f.status == 401 || f.status == 403)
            return "The assistant's language model refused the shop's credentials (HTTP " + std::to_string(f.status) +
                   "); please tell the shop, and try again later";
        if (f.status == 429) return "The assistant's language model is busy right now (HTTP 429); please try again in a moment";
        if (f.status == 404) return "The assistant's language model was not found (HTTP 404); please tell the shop";
        if (f.status == 400) return "The assistant's language model rejected the request (HTTP 400); please try rephrasing";
        return "The assistant's language model failed (HTTP " + std::to_string(f.status) + "); please try again";
    case K::timeout:
        return started ? "The assistant's language model stopped answering in the middle of the reply (timed out); please try again"
                       : "The assistant's language model did not answer in time; please try again";
    case K::tls: return "Could not open a secure connection to the assistant's language model (TLS failure); please tell the shop";
    case K::connect: return "Could not reach the assistant's language model; please try again later";
    case K::broken:
        return started ? "The assistant's language model broke off in the middle of the reply; please try again"
                       : "The connection to the assistant's language model failed; please try again";
    case K::oversized:
        return "The assistant's language model sent more in one piece than this server accepts; please try again";
    case K::cancelled: break; // never shown: a cancelled reply ends quietly
    }
    return "The assistant's language model failed; please try again";
}

class ModelStream final : public ChunkStream {
public:
    ModelStream(std::shared_ptr<OpenAiResponder::Shared> shared, asio::any_io_executor ex, std::string body)
        : shared_(std::move(shared)), executor_(ex), body_(std::move(body)), backoff_(ex),
          deadline_(Clock::now() + shared_->options.reply_timeout),
          parser_(shared_->options.max_sse_line_bytes, shared_->options.max_sse_event_bytes) {}

    ~ModelStream() override {
        if (connection_) connection_->close();
    }

    asio::awaitable<std::optional<std::string>> next() override {
        std::optional<UpstreamFailure> failure;
        try {
            if (!started_) {
                started_ = true;
                co_await begin();
            }
            while (pending_.empty() && !done_ && !cancelled_) co_await pull();
        } catch (UpstreamFailure const& f) {
            failure = f;
        }
        if (cancelled_) co_return std::nullopt;
        if (failure) {
            if (connection_) connection_->close();
            connection_.reset();
            log::warn("model request failed: ", failure->what(), failure->status ? " status=" + std::to_string(failure->status) : "");
            throw ReplyError(client_message(*failure, got_content_));
        }
        if (pending_.empty()) co_return std::nullopt;
        std::string piece = std::move(pending_.front());
        pending_.pop_front();
        co_return piece;
    }

    void cancel() override {
        cancelled_ = true;
        backoff_.cancel();
        if (connection_) connection_->close();
    }

    std::optional<TokenUsage> usage() const override { return usage_; }
    bool ready() const override { return !pending_.empty() && !cancelled_; }

private:
    std::chrono::milliseconds left(std::chrono::milliseconds phase) const {
        auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
        return std::max(1ms, std::min(phase, remaining));
    }

    // Connects (or reuses a connection), sends, reads the header; retries what may be retried.
    asio::awaitable<void> begin() {
        auto const& o = shared_->options;
        for (std::size_t attempt = 0;; ++attempt) {
            std::optional<UpstreamFailure> failure;
            bool pooled = false;
            try {
                if ((connection_ = shared_->take())) {
                    pooled = true;
                } else {
                    connection_ = co_await UpstreamConnection::open(executor_, shared_->endpoint, shared_->trust(), left(o.connect_timeout));
                }
                if (cancelled_) throw UpstreamFailure(UpstreamFailure::Kind::cancelled, "cancelled");
                auto header = co_await connection_->request(shared_->target, shared_->header_lines, body_, left(o.first_byte_timeout));
                if (header.status == 200) {
                    OpenAiResponder::Shared::top_up(shared_, executor_);
                    co_return;
                }
                auto detail = co_await connection_->read_all(4096, left(o.first_byte_timeout));
                UpstreamFailure f(UpstreamFailure::Kind::status, "HTTP " + std::to_string(header.status), header.status);
                f.retry_after = header.retry_after;
                log::debug("model answered HTTP ", header.status, " (", detail.substr(0, 200), ")");
                throw f;
            } catch (UpstreamFailure const& f) {
                failure = f;
            }
            if (connection_) connection_->close();
            connection_.reset();
            if (cancelled_) throw UpstreamFailure(UpstreamFailure::Kind::cancelled, "cancelled");
            // A kept-alive connection the server has since closed (a TLS one may just be cut off):
            // try a fresh one, free of charge.
            if (pooled && (failure->kind == UpstreamFailure::Kind::broken || failure->kind == UpstreamFailure::Kind::tls)) {
                --attempt;
                continue;
            }
            if (!retryable(*failure) || attempt >= o.retries) throw *failure;
            auto delay = retry_delay(attempt, failure->retry_after, std::uniform_real_distribution<double>(0, 1)(shared_->rng));
            if (Clock::now() + delay >= deadline_) throw *failure;
            log::info("model request failed (", failure->what(), "); retry ", attempt + 1, " of ", o.retries, " in ", delay.count(), "ms");
            backoff_.expires_after(delay);
            co_await backoff_.async_wait(asio::as_tuple(asio::use_awaitable));
            if (cancelled_) throw UpstreamFailure(UpstreamFailure::Kind::cancelled, "cancelled");
        }
    }

    asio::awaitable<void> pull() {
        auto const& o = shared_->options;
        auto phase = got_content_ ? o.idle_chunk_timeout : o.first_byte_timeout;
        if (Clock::now() >= deadline_) throw UpstreamFailure(UpstreamFailure::Kind::timeout, "the whole reply took too long");
        auto bytes = co_await connection_->read_body(left(phase));
        if (!bytes) {
            if (!saw_done_ && !saw_finish_) throw UpstreamFailure(UpstreamFailure::Kind::broken, "the stream ended without [DONE]");
            done_ = true;
            if (connection_->reusable()) shared_->keep(std::move(connection_));
            connection_.reset();
            co_return;
        }
        auto& events = shared_->events;
        events.clear();
        parser_.feed(*bytes, events);
        if (parser_.overflowed())
            throw UpstreamFailure(UpstreamFailure::Kind::oversized, "a line or event of the stream exceeded --max-sse-line-bytes / --max-sse-event-bytes");
        for (auto const& event : events) {
            auto delta = read_completion_event(event);
            if (delta.finished) saw_finish_ = true;
            if (delta.total_tokens || delta.prompt_tokens || delta.completion_tokens)
                usage_ = TokenUsage{delta.prompt_tokens, delta.completion_tokens, delta.total_tokens};
            switch (delta.kind) {
            case CompletionDelta::Kind::content:
                got_content_ = true;
                pending_.push_back(std::move(delta.text));
                break;
            case CompletionDelta::Kind::done: saw_done_ = true; break;
            case CompletionDelta::Kind::error:
                throw UpstreamFailure(UpstreamFailure::Kind::broken, "error event in the stream: " + delta.text.substr(0, 200));
            default: break;
            }
        }
    }

    std::shared_ptr<OpenAiResponder::Shared> shared_;
    asio::any_io_executor executor_;
    std::string body_;
    asio::steady_timer backoff_;
    Clock::time_point deadline_;
    std::unique_ptr<UpstreamConnection> connection_;
    SseParser parser_;
    std::deque<std::string> pending_;
    std::optional<TokenUsage> usage_;
    bool started_ = false, done_ = false, cancelled_ = false, got_content_ = false, saw_done_ = false, saw_finish_ = false;
};

} // namespace

OpenAiResponder::OpenAiResponder(Options const& options) : shared_(std::make_shared<Shared>()) {
    shared_->options = options;
    shared_->header_lines = Shared::make_header_lines(options); // throws on a line break in a key
    std::string base = options.openai_base_url.empty() ? "https://api.openai.com/v1" : options.openai_base_url;
    shared_->endpoint = parse_base_url(base);
    shared_->target = shared_->endpoint.base_path + "/chat/completions";
    if (char const* file = std::getenv("SSL_CERT_FILE"); file && *file && !std::filesystem::is_regular_file(file))
        throw std::invalid_argument(std::string("SSL_CERT_FILE names no readable file: ") + file);
    shared_->description = "OpenAI-compatible model " + options.model + " at " + (shared_->endpoint.tls ? "https://" : "http://") +
                           shared_->endpoint.host + ":" + shared_->endpoint.port + shared_->endpoint.base_path;
}

OpenAiResponder::~OpenAiResponder() = default;

void OpenAiResponder::warm_up() { shared_->trust(); }

void OpenAiResponder::stop() {
    shared_->stopped = true; // no more spares, nothing more kept
    for (auto& entry : shared_->idle) entry.connection->close();
    shared_->idle.clear();
}

std::string_view OpenAiResponder::name() const { return shared_->description; }

std::unique_ptr<ChunkStream> OpenAiResponder::start(asio::any_io_executor executor, ReplyRequest const& request) {
    auto const& o = shared_->options;
    PromptSettings settings{request.brand->model.empty() ? o.model : request.brand->model, o.temperature, o.max_tokens,
                            o.voice_max_tokens, o.history_budget_chars};
    return std::make_unique<ModelStream>(shared_, executor, chat_completion_body(request, settings, shared_->prompt_for(request.brand)));
}

} // namespace brandchat
