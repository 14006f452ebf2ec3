#include "brandchat/reply/openai_responder.hpp"

#include "brandchat/log.hpp"
#include "brandchat/reply/cancellable.hpp"
#include "brandchat/reply/prompt.hpp"
#include "brandchat/reply/sse_parser.hpp"
#include "brandchat/reply/upstream_connection.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdlib>
#include <filesystem>
#include <list>
#include <map>
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

    // For GET /metrics: requests by the model's HTTP status, or by what failed before one came
    // ("connect", "tls", "timeout", "broken", "cancelled"); retries after a failure.
    std::map<std::string, std::uint64_t, std::less<>> requests;
    std::uint64_t retries = 0;
    // A reply that found no kept connection: how long it waited for a connect slot and the
    // connect (and TLS handshake) took. It is part of brandchat_upstream_request_delay_seconds.
    Histogram connect_wait;

    void keep(std::unique_ptr<UpstreamConnection> connection) {
        if (!stopped && idle.size() < idle_limit) {
            idle.push_back({std::move(connection), Clock::now()});
            wake_one(); // a reply waiting for a connect slot can take this one instead
        }
    }

    // Connects in flight, at most --max-connects-in-flight: a burst of first messages waits its
    // turn (a free slot, or a connection coming back to the pool) instead of opening hundreds of
    // connections in the same millisecond, which overflows the model's listen queue and costs
    // each dropped SYN a one-second retransmit.
    std::size_t connects_in_flight = 0;
    struct Waiter {
        asio::steady_timer* turn;
        bool woken = false;
    };
    std::list<Waiter> waiting; // first come, first woken

    class ConnectSlot {
    public:
        explicit ConnectSlot(Shared& shared) : shared_(shared) { ++shared_.connects_in_flight; }
        ~ConnectSlot() {
            --shared_.connects_in_flight;
            shared_.wake_one();
        }
        ConnectSlot(ConnectSlot const&) = delete;
        ConnectSlot& operator=(ConnectSlot const&) = delete;

    private:
        Shared& shared_;
    };

    void wake_one() {
        for (auto& w : waiting)
            if (!w.woken) {
                w.woken = true;
                w.turn->cancel();
                return;
            }
    }

    // Until a connect slot frees or a connection is kept; throws `cancelled` if the reply is.
    asio::awaitable<void> wait_for_turn() {
        asio::steady_timer turn(co_await asio::this_coro::executor, asio::steady_timer::time_point::max());
        auto me = waiting.insert(waiting.end(), Waiter{&turn});
        co_await turn.async_wait(asio::as_tuple(asio::use_awaitable));
        bool woken = me->woken;
        waiting.erase(me);
        if (!woken) throw UpstreamFailure(UpstreamFailure::Kind::cancelled, "cancelled");
    }

    // A kept connection (`pooled`), or a new one once a connect slot is free.
    asio::awaitable<std::unique_ptr<UpstreamConnection>> connection(asio::any_io_executor executor, bool& pooled,
                                                                    std::chrono::milliseconds timeout) {
        auto const asked = Clock::now();
        for (bool waited = false;; waited = true) {
            if (auto kept = take()) {
                pooled = true;
                if (waited) connect_wait.observe(Clock::now() - asked); // waited for a slot, and a kept one came back
                co_return kept;
            }
            if (connects_in_flight < std::max<std::size_t>(1, options.max_connects_in_flight)) break;
            co_await wait_for_turn();
        }
        pooled = false;
        ConnectSlot slot(*this);
        auto opened = co_await UpstreamConnection::open(executor, endpoint, trust(), timeout);
        connect_wait.observe(Clock::now() - asked);
        co_return opened;
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
        while (self->idle.size() + self->spares_opening < target && self->connects_in_flight < self->options.max_connects_in_flight) {
            ++self->spares_opening;
            asio::co_spawn(executor, open_spare(self, executor), asio::detached);
        }
    }
    static asio::awaitable<void> open_spare(std::shared_ptr<Shared> self, asio::any_io_executor executor) {
        std::unique_ptr<UpstreamConnection> connection;
        try {
            ConnectSlot slot(*self);
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

    // Each brand's escaped prompt parts, made at its first chat message, by brand id. A brand
    // changed through the management API is a new version (catalog/brand.hpp): its parts are made
    // again, and the old version is let go. The entry holds its brand, which the parts point into.
    struct CachedPrompt {
        std::shared_ptr<Brand const> brand;
        BrandPrompt parts;
    };
    std::unordered_map<std::string, CachedPrompt> prompts;
    BrandPrompt const& prompt_for(std::shared_ptr<Brand const> const& brand) {
        auto& entry = prompts[brand->id];
        if (entry.brand != brand) entry = {brand, brand_prompt(*brand)};
        return entry.parts;
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

// What the customer is told, in Indonesian. Never the upstream body, never a credential.
std::string client_message_id(UpstreamFailure const& f, bool started) {
    using K = UpstreamFailure::Kind;
    auto const http = " (HTTP " + std::to_string(f.status) + ")";
    switch (f.kind) {
    case K::status:
        if (f.status == 401 || f.status == 403)
            return "Model bahasa asisten menolak kredensial toko" + http + "; mohon beri tahu toko, dan coba lagi nanti";
        if (f.status == 429) return "Model bahasa asisten sedang sibuk" + http + "; silakan coba lagi sebentar lagi";
        if (f.status == 404) return "Model bahasa asisten tidak ditemukan" + http + "; mohon beri tahu toko";
        if (f.status == 400) return "Model bahasa asisten menolak permintaan ini" + http + "; coba ubah kalimatnya";
        return "Model bahasa asisten gagal" + http + "; silakan coba lagi";
    case K::timeout:
        return started ? "Model bahasa asisten berhenti menjawab di tengah balasan (waktu habis); silakan coba lagi"
                       : "Model bahasa asisten tidak menjawab tepat waktu; silakan coba lagi";
    case K::tls: return "Tidak dapat membuka koneksi aman ke model bahasa asisten (TLS gagal); mohon beri tahu toko";
    case K::connect: return "Tidak dapat menghubungi model bahasa asisten; silakan coba lagi nanti";
    case K::broken:
        return started ? "Model bahasa asisten terputus di tengah balasan; silakan coba lagi"
                       : "Koneksi ke model bahasa asisten gagal; silakan coba lagi";
    case K::oversized: return "Model bahasa asisten mengirim lebih banyak sekaligus daripada yang diterima server ini; silakan coba lagi";
    case K::cancelled: break; // never shown: a cancelled reply ends quietly
    }
    return "Model bahasa asisten gagal; silakan coba lagi";
}

// What the customer is told. Never the upstream body, never a credential.
std::string client_message(UpstreamFailure const& f, bool started, Language language) {
    if (language == Language::indonesian) return client_message_id(f, started);
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

std::string_view failure_name(UpstreamFailure::Kind kind) {
    using K = UpstreamFailure::Kind;
    switch (kind) {
    case K::connect: return "connect";
    case K::tls: return "tls";
    case K::timeout: return "timeout";
    case K::status: return "status";
    case K::broken: return "broken";
    case K::oversized: return "oversized";
    case K::cancelled: return "cancelled";
    }
    return "other";
}

std::chrono::milliseconds left(Clock::time_point deadline, std::chrono::milliseconds phase) {
    auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return std::max(1ms, std::min(phase, remaining));
}

bool cancelled_now(asio::cancellation_state const& state) { return state.cancelled() != asio::cancellation_type::none; }

// A connection to the model with the request sent and a 200 header read: a kept one, or a new
// one when a connect slot is free (Shared::wait_for_turn). Retries what may be retried, with
// backoff; throws the last UpstreamFailure.
// What a reply's log lines are about.
struct About {
    std::string brand, conversation;
    std::uint64_t connection = 0;
    Language language = Language::english; // of the customer's messages
};

asio::awaitable<std::unique_ptr<UpstreamConnection>> open_stream(std::shared_ptr<OpenAiResponder::Shared> shared, About const& about,
                                                                 std::string const& body, Clock::time_point deadline) {
    auto executor = co_await asio::this_coro::executor;
    auto const& o = shared->options;
    asio::steady_timer backoff(executor);
    for (std::size_t attempt = 0;; ++attempt) {
        std::optional<UpstreamFailure> failure;
        std::unique_ptr<UpstreamConnection> connection;
        bool pooled = false;
        try {
            connection = co_await shared->connection(executor, pooled, left(deadline, o.connect_timeout));
            auto header = co_await connection->request(shared->target, shared->header_lines, body, left(deadline, o.first_byte_timeout));
            ++bounded_entry(shared->requests, std::to_string(header.status));
            if (header.status == 200) {
                OpenAiResponder::Shared::top_up(shared, executor);
                co_return connection;
            }
            auto detail = co_await connection->read_all(4096, left(deadline, o.first_byte_timeout));
            UpstreamFailure f(UpstreamFailure::Kind::status, "HTTP " + std::to_string(header.status), header.status);
            f.retry_after = header.retry_after;
            log::debug("model answered HTTP ", header.status, " (", detail.substr(0, 200), ")");
            throw f;
        } catch (UpstreamFailure const& f) {
            failure = f;
            if (f.kind != UpstreamFailure::Kind::status) ++bounded_entry(shared->requests, failure_name(f.kind));
        }
        connection.reset(); // closed
        if (failure->kind == UpstreamFailure::Kind::cancelled || cancelled_now(co_await asio::this_coro::cancellation_state))
            throw UpstreamFailure(UpstreamFailure::Kind::cancelled, "cancelled");
        // A kept-alive connection the server has since closed (a TLS one may just be cut off):
        // try a fresh one, free of charge.
        if (pooled && (failure->kind == UpstreamFailure::Kind::broken || failure->kind == UpstreamFailure::Kind::tls)) {
            --attempt;
            continue;
        }
        if (!retryable(*failure) || attempt >= o.retries) throw *failure;
        auto delay = retry_delay(attempt, failure->retry_after, std::uniform_real_distribution<double>(0, 1)(shared->rng));
        if (Clock::now() + delay >= deadline) throw *failure;
        ++shared->retries;
        log::event(log::Level::info, "model request retried",
                   {{"brand", about.brand}, {"conversation", about.conversation}, {"connection", about.connection},
                    {"error", failure->what()}, {"retry", attempt + 1}, {"of", o.retries}, {"in_ms", delay.count()}});
        backoff.expires_after(delay);
        auto [ec] = co_await backoff.async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec) throw UpstreamFailure(UpstreamFailure::Kind::cancelled, "cancelled");
    }
}

// What the client hears of a failure, as the ReplyError a reply throws (cancellation too: its
// text is never shown).
ReplyError reply_error(std::exception_ptr failure, bool started, About const& about) {
    try {
        std::rethrow_exception(failure);
    } catch (UpstreamFailure const& f) {
        if (f.kind != UpstreamFailure::Kind::cancelled)
            log::event(log::Level::warn, "model request failed",
                       {{"brand", about.brand}, {"conversation", about.conversation}, {"connection", about.connection},
                        {"error", f.what()}, {"status", f.status}});
        return ReplyError(client_message(f, started, about.language));
    }
    // Anything else is not the model's doing: it goes on up as it is.
}

// The reply from the model: the request (with its retries), then each read of the event stream,
// parsed, yielded as one batch. Deadlines: the first piece within --first-byte-timeout-ms of the
// request, each later one within --idle-chunk-timeout-ms of the last (keep-alive comments do not
// count), all within --reply-timeout-ms.
ReplyStream model_reply(asio::any_io_executor executor, std::shared_ptr<OpenAiResponder::Shared> shared, std::string body,
                        asio::cancellation_slot cancel, ReplyTimes& times, About about) {
    auto const& o = shared->options;
    auto const deadline = Clock::now() + o.reply_timeout;
    // A generator cannot await an awaitable: each is spawned, and awaited as an operation.
    auto open = [shared, &about, &body, deadline] { return open_stream(shared, about, body, deadline); };
    auto [not_opened, connection] = co_await await_awaitable(executor, open, cancel, asio::as_tuple(asio::deferred));
    if (not_opened) throw reply_error(not_opened, false, about);
    times.request_written = connection->request_written_at();
    connection->set_deadline(std::min(deadline, Clock::now() + o.first_byte_timeout));

    SseParser parser(o.max_sse_line_bytes, o.max_sse_event_bytes);
    std::optional<TokenUsage> usage;
    bool started = false, ended = false; // content seen; [DONE] or a finish_reason seen
    for (;;) {
        auto read = [stream = connection.get()] { return stream->read_body(); };
        auto [failed, bytes] = co_await await_awaitable(executor, read, cancel, asio::as_tuple(asio::deferred));
        if (failed) throw reply_error(failed, started, about);
        if (!bytes) break;
        // Every event of this read is handled before the next suspension: `events` is shared.
        auto& events = shared->events;
        events.clear();
        parser.feed(*bytes, events);
        if (parser.overflowed())
            throw reply_error(std::make_exception_ptr(UpstreamFailure(UpstreamFailure::Kind::oversized,
                                                                      "a line or event of the stream exceeded the SSE limits")),
                              started, about);
        ReplyPieces batch;
        std::optional<std::string> error_event;
        for (auto const& event : events) {
            auto delta = read_completion_event(event);
            if (delta.finished) ended = true;
            if (delta.total_tokens || delta.prompt_tokens || delta.completion_tokens)
                usage = TokenUsage{delta.prompt_tokens, delta.completion_tokens, delta.total_tokens};
            if (delta.kind == CompletionDelta::Kind::content) batch.push_back(std::move(delta.text));
            else if (delta.kind == CompletionDelta::Kind::done) ended = true;
            else if (delta.kind == CompletionDelta::Kind::error) {
                error_event = delta.text.substr(0, 200);
                break;
            }
        }
        if (!batch.empty()) {
            times.batch_arrived = connection->last_read_at();
            if (!started) times.first_text = times.batch_arrived;
            started = true;
            connection->set_deadline(std::min(deadline, Clock::now() + o.idle_chunk_timeout));
            co_yield std::move(batch); // what came before an error event in the same read is the client's too
        }
        if (error_event)
            throw reply_error(std::make_exception_ptr(UpstreamFailure(UpstreamFailure::Kind::broken, "error event in the stream: " + *error_event)),
                              started, about);
    }
    if (!ended)
        throw reply_error(std::make_exception_ptr(UpstreamFailure(UpstreamFailure::Kind::broken, "the stream ended without [DONE]")),
                          started, about);
    if (connection->reusable()) shared->keep(std::move(connection));
    co_return usage;
}

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

void OpenAiResponder::write_metrics(PrometheusText& out) const {
    out.family("brandchat_upstream_requests_total", "counter",
               "Requests to the model, by its HTTP status, or by what failed before one came (connect, tls, timeout, broken, cancelled).");
    for (auto const& [status, n] : shared_->requests) out.sample("brandchat_upstream_requests_total", {{"status", status}}, n);
    out.family("brandchat_upstream_retries_total", "counter", "Requests to the model made again after a failure.");
    out.sample("brandchat_upstream_retries_total", shared_->retries);
    out.family("brandchat_upstream_connect_seconds", "histogram",
               "Replies that found no kept connection to the model: the wait for a connect slot and the connect (and TLS handshake).");
    out.histogram("brandchat_upstream_connect_seconds", {}, shared_->connect_wait);
    out.family("brandchat_upstream_idle_connections", "gauge", "Connections to the model kept open for the next reply.");
    out.sample("brandchat_upstream_idle_connections", shared_->idle.size());
}

ReplyStream OpenAiResponder::reply(asio::any_io_executor executor, ReplyRequest const& request, asio::cancellation_slot cancel,
                                   ReplyTimes& times) {
    auto const& o = shared_->options;
    PromptSettings settings{request.brand->model.empty() ? o.model : request.brand->model, o.temperature, o.max_tokens,
                            o.voice_max_tokens, o.history_budget_chars};
    return model_reply(executor, shared_, chat_completion_body(request, settings, shared_->prompt_for(request.brand)), cancel, times,
                       About{request.brand->id, request.conversation_id, request.connection_id, request.language});
}

} // namespace brandchat
