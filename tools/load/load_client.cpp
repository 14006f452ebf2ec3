#include "load_client.hpp"

#include "client_frame.hpp"
#include "load_accounting.hpp"
#include "paced_socket.hpp"
#include "process_sampler.hpp"
#include "server_frame.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include <netinet/in.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <vector>

namespace brandchat_load {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using asio::as_tuple;
using asio::awaitable;
using asio::use_awaitable;
using error_code = boost::system::error_code;

// Lets the kernel pick the local port at connect() time, per destination, instead of at bind()
// time for any destination: with --source-addresses each address then has its full port range.
using bind_address_no_port = asio::detail::socket_option::boolean<IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT>;

constexpr auto close_grace = std::chrono::seconds(5);

// How a connection error is counted. The two that mean "this machine ran out" get a hint.
std::string describe(error_code const& ec) {
    if (ec == asio::error::no_descriptors) return ec.message() + " (EMFILE: the open-file limit; raise ulimit -n)";
    if (ec == boost::system::errc::too_many_files_open_in_system)
        return ec.message() + " (ENFILE: the system-wide file limit, fs.file-max)";
    if (ec == boost::system::errc::address_not_available)
        return ec.message() + " (EADDRNOTAVAIL: out of local ports; spread connections with --source-range N)";
    return ec.message();
}

std::string seconds_text(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g s", s);
    return buf;
}

double seconds_between(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

enum class Stage { connect, handshake, welcome, open };

char const* stage_name(Stage s) {
    switch (s) {
    case Stage::connect: return "connect";
    case Stage::handshake: return "handshake";
    case Stage::welcome: return "welcome";
    case Stage::open: return "open";
    }
    return "?";
}

struct Client {
    explicit Client(asio::io_context& io, std::size_t index) : ws(io), pacing(io), index(index) {}

    websocket::stream<PacedSocket> ws;
    asio::steady_timer pacing;
    beast::flat_buffer buffer;
    std::string conversation_id;
    ReplyState reply;
    PingState ping;
    Clock::time_point started{};
    Stage stage = Stage::connect;
    std::size_t index;
    std::size_t slot = 0;    // position in Run::live_
    bool closing = false;    // the run has started closing this connection
    bool timed_out = false;  // the connect timeout closed its socket
    bool replacement = false;  // cancel: opened in place of a connection the client closed
    bool cancelled = false;    // cancel: this connection was closed on a first chunk

    std::string_view frame() const {
        auto data = buffer.cdata();
        return {static_cast<char const*>(data.data()), data.size()};
    }
};

class Run {
public:
    Run(asio::io_context& io, LoadOptions const& options, tcp::endpoint server, std::vector<asio::ip::address> sources,
        std::function<void(std::string const&)> progress)
        : io_(io), options_(options), server_(server), sources_(std::move(sources)), progress_(std::move(progress)),
          accounting_(options.expect_delay_ms, options.expect_first_token_ms), wake_timer_(io), launch_timer_(io), tick_timer_(io), signals_(io, SIGINT, SIGTERM) {
        host_header_ = options.target.host.find(':') != std::string::npos ? "[" + options.target.host + "]" : options.target.host;
        if (options.target.port != "80") host_header_ += ":" + options.target.port;
        if (options.server_pid) server_watch_.emplace(options.server_pid, sysconf(_SC_CLK_TCK));
    }

    awaitable<void> main();
    RunSummary summary() const;

private:
    awaitable<void> launch();
    awaitable<void> client(std::shared_ptr<Client> c);
    awaitable<bool> open(Client& c);
    awaitable<void> hold(Client& c);
    awaitable<void> chat(Client& c);
    awaitable<void> ping(Client& c);
    awaitable<void> cancel(Client& c);
    awaitable<void> slow(Client& c);
    awaitable<void> drain(Client& c);
    awaitable<void> wakeups();
    awaitable<bool> pace(Client& c, Clock::time_point& next);
    template <class Answer>
    awaitable<bool> exchange(Client& c, std::string_view frame, bool chat, Answer answer);
    awaitable<void> ticker();
    awaitable<void> wait_until(Clock::time_point deadline);

    void connection_failed(Client& c, std::string const& what);
    void lost(Client& c, std::string const& what, error_code const& ec);
    void reply_lost(Client& c, std::string const& what, error_code const& ec);
    void stop(std::string reason);
    void begin_close(Client& c);
    void wake() { wake_timer_.cancel(); }
    void sample_server();
    void print_progress(Clock::time_point now);
    bool everyone_gone() const {
        return options_.scenario != Scenario::wakeup && launched_ == options_.connections && live_.empty();
    }

    asio::io_context& io_;
    LoadOptions const& options_;
    tcp::endpoint server_;
    std::vector<asio::ip::address> sources_;
    std::function<void(std::string const&)> progress_;
    std::string host_header_;
    Accounting accounting_;
    std::optional<ProcessWatch> server_watch_;
    std::optional<ProcessSample> last_server_sample_;
    // slow: what the clients read from their sockets (until the stop), and the server's RSS.
    std::uint64_t socket_bytes_read_ = 0, bytes_read_at_stop_ = 0;
    RssSeries rss_series_;
    bool series_closed_ = false;

    asio::steady_timer wake_timer_, launch_timer_, tick_timer_;
    asio::signal_set signals_;
    std::vector<std::shared_ptr<Client>> live_;
    std::size_t launched_ = 0, settled_ = 0, open_now_ = 0;
    std::uint64_t cancel_seq_ = 0;
    bool stopping_ = false, finished_ = false;
    std::string stop_reason_ = "duration";
    Clock::time_point start_{}, settled_at_{}, window_start_{}, stop_at_{};

    // Progress: counters at the previous tick.
    Clock::time_point last_tick_{};
    std::uint64_t replies_before_ = 0, chunks_before_ = 0, pongs_before_ = 0, bytes_before_ = 0;
};

awaitable<void> Run::wait_until(Clock::time_point deadline) {
    wake_timer_.expires_at(deadline);
    co_await wake_timer_.async_wait(as_tuple(use_awaitable));
}

awaitable<void> Run::main() {
    start_ = window_start_ = last_tick_ = Clock::now();
    sample_server();
    signals_.async_wait([this](error_code ec, int) {
        if (!ec) stop("interrupted");
    });
    if (options_.scenario == Scenario::wakeup) asio::co_spawn(io_, wakeups(), asio::detached);
    else asio::co_spawn(io_, launch(), asio::detached);
    asio::co_spawn(io_, ticker(), asio::detached);

    auto duration = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options_.duration_s));
    if (options_.scenario == Scenario::idle) {
        // Idle holds for the duration once every connection has its welcome (or has failed).
        while (!stopping_ && settled_ < options_.connections) co_await wait_until(Clock::time_point::max());
        window_start_ = Clock::now();
    }
    auto deadline = window_start_ + duration;
    while (!stopping_ && Clock::now() < deadline && !everyone_gone()) co_await wait_until(deadline);
    stop(stopping_ ? stop_reason_ : everyone_gone() ? "no connections left" : "duration");

    auto grace_end = stop_at_ + close_grace;
    while (!live_.empty() && Clock::now() < grace_end) co_await wait_until(grace_end);
    for (auto const& c : live_) {
        error_code ignored;
        c->ws.next_layer().close(ignored);  // peers that never answered our close frame
    }
    while (!live_.empty()) co_await wait_until(Clock::time_point::max());

    finished_ = true;
    tick_timer_.cancel();
    launch_timer_.cancel();
    error_code ignored;
    signals_.cancel(ignored);
    sample_server();
}

void Run::stop(std::string reason) {
    if (stopping_) return;
    stopping_ = true;
    stop_reason_ = std::move(reason);
    stop_at_ = Clock::now();
    launch_timer_.cancel();
    if (options_.scenario == Scenario::slow) {
        sample_server();  // the end of the series, the clients still connected
        series_closed_ = true;
        bytes_read_at_stop_ = socket_bytes_read_;
    }
    for (auto const& c : live_) begin_close(*c);
    wake();
}

void Run::begin_close(Client& c) {
    c.pacing.cancel();
    c.ws.next_layer().unpace();  // slow: the closing handshake reads what is left at full speed
    if (c.closing) return;
    c.closing = true;
    if (c.stage != Stage::open) {
        error_code ignored;
        c.ws.next_layer().close(ignored);  // still connecting: abandon it
        return;
    }
    // A close frame; the pending read then ends with websocket::error::closed. Initiating
    // functions never complete inline, so this is safe while iterating live_.
    auto self = live_[c.slot];
    c.ws.async_close(websocket::close_code::normal, [self](error_code) {});
}

// Sleeps 1 ms at a time until the run stops and times how late each sleep ends: nothing else
// runs in this process, so the lateness is the machine's (the kernel's wake-up path, the other
// processes on these cores, the hypervisor's steal), the floor under every latency measured here.
awaitable<void> Run::wakeups() {
    asio::steady_timer timer(io_);  // not wake_timer_: every wake() cancels that one
    while (!stopping_) {
        auto due = Clock::now() + std::chrono::milliseconds(1);
        timer.expires_at(due);
        co_await timer.async_wait(as_tuple(use_awaitable));
        if (stopping_) break;
        accounting_.wakeup_measured(due, Clock::now());
    }
}

awaitable<void> Run::launch() {
    auto begin = Clock::now();
    double offset = 0;
    std::mt19937_64 draws(arrival_seed);
    for (std::size_t i = 0; i < options_.connections && !stopping_; ++i) {
        offset = arrival_offset(i, offset, options_.ramp_per_second, options_.random_arrivals ? &draws : nullptr);
        auto due = begin + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(offset));
        if (due > Clock::now() + std::chrono::milliseconds(1)) {
            launch_timer_.expires_at(due);
            co_await launch_timer_.async_wait(as_tuple(use_awaitable));
            if (stopping_) break;
        }
        auto c = std::make_shared<Client>(io_, i);
        c->slot = live_.size();
        live_.push_back(c);
        ++launched_;
        asio::co_spawn(io_, client(std::move(c)), asio::detached);
    }
    launched_ = options_.connections;  // those never started will not be
    wake();
}

awaitable<void> Run::client(std::shared_ptr<Client> c) {
    accounting_.connection_attempted();
    bool opened = co_await open(*c);
    if (!c->replacement && ++settled_ == options_.connections) {
        settled_at_ = Clock::now();
        wake();
    }
    if (opened) {
        ++open_now_;
        switch (options_.scenario) {
        case Scenario::idle: co_await hold(*c); break;
        case Scenario::chat: co_await chat(*c); break;
        case Scenario::ping: co_await ping(*c); break;
        case Scenario::cancel: co_await cancel(*c); break;
        case Scenario::slow: co_await slow(*c); break;
        case Scenario::wakeup: break;  // opens no connections (see wakeups())
        }
        --open_now_;
    }
    if (c->cancelled && !stopping_) {
        // The client closed this connection on purpose: it comes back on a new one.
        auto next = std::make_shared<Client>(io_, c->index);
        next->replacement = true;
        next->slot = live_.size();
        live_.push_back(next);
        asio::co_spawn(io_, client(std::move(next)), asio::detached);
    }
    // Leave live_ (swap with the last).
    auto slot = c->slot;
    live_[slot] = std::move(live_.back());
    live_[slot]->slot = slot;
    live_.pop_back();
    if (live_.empty()) wake();
}

void Run::connection_failed(Client& c, std::string const& what) {
    if (c.timed_out)
        accounting_.connection_failed("timeout: no welcome within " + seconds_text(options_.connect_timeout_s) + " (stuck in " +
                                      stage_name(c.stage) + ")");
    else if (stopping_)
        accounting_.connection_aborted_at_stop();
    else
        accounting_.connection_failed(what);
}

awaitable<bool> Run::open(Client& c) {
    c.started = Clock::now();
    if (c.closing) {  // the run stopped before this coroutine began
        accounting_.connection_aborted_at_stop();
        co_return false;
    }
    auto& socket = c.ws.next_layer();
    error_code ec;
    socket.open(server_.protocol(), ec);
    if (ec) {
        connection_failed(c, "socket: " + describe(ec));
        co_return false;
    }
    if (!sources_.empty()) {
        auto const& source = sources_[c.index % sources_.size()];
        error_code ignored;
        socket.set_option(bind_address_no_port(true), ignored);
        socket.bind(tcp::endpoint(source, 0), ec);
        if (ec) {
            connection_failed(c, "bind " + source.to_string() + ": " + describe(ec));
            co_return false;
        }
    }
    auto [connect_ec] = co_await socket.async_connect(server_, as_tuple(use_awaitable));
    if (connect_ec) {
        connection_failed(c, "connect: " + describe(connect_ec));
        co_return false;
    }
    auto connected = Clock::now();
    socket.set_option(tcp::no_delay(true), ec);

    c.stage = Stage::handshake;
    websocket::stream_base::timeout timeouts = websocket::stream_base::timeout::suggested(beast::role_type::client);
    timeouts.handshake_timeout = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(options_.connect_timeout_s));  // also bounds the closing handshake
    c.ws.set_option(timeouts);
    c.ws.set_option(websocket::stream_base::decorator(
        [](websocket::request_type& req) { req.set(beast::http::field::user_agent, "brandchat-load"); }));
    auto [handshake_ec] = co_await c.ws.async_handshake(host_header_, options_.target.target, as_tuple(use_awaitable));
    if (handshake_ec) {
        connection_failed(c, "handshake: " + describe(handshake_ec));
        co_return false;
    }

    c.stage = Stage::welcome;
    auto [read_ec, bytes] = co_await c.ws.async_read(c.buffer, as_tuple(use_awaitable));
    if (read_ec) {
        connection_failed(c, "waiting for the welcome: " + describe(read_ec));
        co_return false;
    }
    accounting_.frame_received(bytes);
    auto kind = classify_frame(c.frame());
    if (kind != FrameKind::welcome) {
        connection_failed(c, kind == FrameKind::error ? "server error instead of welcome: " + error_message_of(c.frame())
                                                      : "expected a welcome, got a " + std::string(frame_kind_name(kind)) + " frame");
        c.buffer.clear();
        co_return false;
    }
    c.buffer.clear();
    if (c.closing) {  // stopped while the welcome was in flight
        accounting_.connection_aborted_at_stop();
        co_return false;
    }
    c.stage = Stage::open;
    c.ws.text(true);
    accounting_.connection_opened(connected - c.started, Clock::now() - c.started);
    co_return true;
}

// A reply in progress ends with its connection: interrupted when we were closing, lost otherwise.
void Run::reply_lost(Client& c, std::string const& what, error_code const& ec) {
    if (c.closing) accounting_.chat_interrupted(c.reply);
    else accounting_.chat_lost(c.reply);
    lost(c, what, ec);
}

void Run::lost(Client& c, std::string const& what, error_code const& ec) {
    if (c.closing) return;  // the end of our own close
    accounting_.connection_dropped(ec == websocket::error::closed ? what + ": the server closed the connection"
                                                                  : what + ": " + describe(ec));
}

awaitable<void> Run::hold(Client& c) {
    for (;;) {
        auto [ec, bytes] = co_await c.ws.async_read(c.buffer, as_tuple(use_awaitable));
        if (ec) {
            lost(c, "read", ec);
            co_return;
        }
        accounting_.frame_received(bytes);
        accounting_.unsolicited_frame(classify_frame(c.frame()), c.frame());
        c.buffer.consume(c.buffer.size());
    }
}

awaitable<void> Run::drain(Client& c) {
    // After stop: read until our close handshake finishes.
    for (;;) {
        auto [ec, bytes] = co_await c.ws.async_read(c.buffer, as_tuple(use_awaitable));
        if (ec) co_return;
        accounting_.frame_received(bytes);
        c.buffer.consume(c.buffer.size());
    }
}

// With --rate, waits for the client's next slot; false when the run stopped meanwhile.
awaitable<bool> Run::pace(Client& c, Clock::time_point& next) {
    if (options_.rate <= 0) co_return !stopping_;
    auto interval = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / options_.rate));
    auto now = Clock::now();
    if (next > now) {
        c.pacing.expires_at(next);
        co_await c.pacing.async_wait(as_tuple(use_awaitable));
        now = Clock::now();
    }
    // A slow reply delays the next request; it does not cause a burst to catch up.
    next = std::max(next + interval, now);
    co_return !stopping_;
}

// Sends `frame` (which must outlive the call), then reads frames until `answer(kind, arrived)`,
// called before each frame's buffer is released, says the exchange is over. False when the
// connection is gone, which is already accounted: through reply_lost for a chat, lost for a ping.
template <class Answer>
awaitable<bool> Run::exchange(Client& c, std::string_view frame, bool chat, Answer answer) {
    auto gone = [&](char const* what, error_code const& ec) {
        if (chat) reply_lost(c, what, ec);
        else lost(c, what, ec);
    };
    auto [write_ec, written] = co_await c.ws.async_write(asio::buffer(frame), as_tuple(use_awaitable));
    if (write_ec) {
        gone("write", write_ec);
        co_return false;
    }
    accounting_.frame_sent(written);
    for (;;) {
        auto [read_ec, bytes] = co_await c.ws.async_read(c.buffer, as_tuple(use_awaitable));
        if (read_ec) {
            gone("read", read_ec);
            co_return false;
        }
        auto now = Clock::now();
        accounting_.frame_received(bytes);
        auto progress = answer(classify_frame(c.frame()), now);
        c.buffer.consume(c.buffer.size());
        if (progress != Progress::waiting) co_return true;
    }
}

awaitable<void> Run::chat(Client& c) {
    Clock::time_point next = Clock::now();
    while (co_await pace(c, next)) {
        std::string frame = chat_frame(options_.message, options_.continue_conversation ? c.conversation_id : std::string_view{},
                                       options_.voice);
        accounting_.chat_sent(c.reply, Clock::now());
        bool open = co_await exchange(c, frame, true, [&](FrameKind kind, Clock::time_point now) {
            auto progress = accounting_.chat_frame_received(c.reply, kind, c.frame(), now);
            if (kind == FrameKind::complete && options_.continue_conversation) {
                auto id = conversation_id_of(c.frame());
                if (!id.empty()) c.conversation_id = std::move(id);
            }
            return progress;
        });
        if (!open) co_return;
        if (options_.max_replies && accounting_.stats().replies >= options_.max_replies) stop("max-replies");
    }
    co_await drain(c);
}

awaitable<void> Run::ping(Client& c) {
    Clock::time_point next = Clock::now();
    auto frame = ping_frame();
    while (co_await pace(c, next)) {
        accounting_.ping_sent(c.ping, Clock::now());
        bool open = co_await exchange(c, frame, false, [&](FrameKind kind, Clock::time_point now) {
            return accounting_.ping_frame_received(c.ping, kind, c.frame(), now);
        });
        if (!open) co_return;
    }
    co_await drain(c);
}

// Chat messages whose replies are read at --read-bytes per --read-interval-ms from the socket:
// the next message goes when a reply ends (complete or error).
awaitable<void> Run::slow(Client& c) {
    auto interval = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::milli>(options_.read_interval_ms));
    if (!c.closing) c.ws.next_layer().pace(options_.read_bytes, interval, &socket_bytes_read_);
    while (!stopping_) {
        std::string frame = chat_frame(options_.message, {}, options_.voice);
        accounting_.chat_sent(c.reply, Clock::now());
        bool open = co_await exchange(c, frame, true, [&](FrameKind kind, Clock::time_point now) {
            return accounting_.chat_frame_received(c.reply, kind, c.frame(), now);
        });
        if (!open) co_return;
    }
    co_await drain(c);
}

awaitable<void> Run::cancel(Client& c) {
    while (!stopping_) {
        auto tag = cancel_tag(++cancel_seq_);
        std::string frame = chat_frame(tagged_message(options_.message, tag), {}, options_.voice);
        accounting_.chat_sent(c.reply, Clock::now());
        bool open = co_await exchange(c, frame, true, [&](FrameKind kind, Clock::time_point now) {
            auto progress = accounting_.chat_frame_received(c.reply, kind, c.frame(), now);
            if (kind == FrameKind::chunk && c.reply.awaiting && !c.closing) {
                // Leave mid-stream, as a closed tab does: no close frame, just the socket.
                c.closing = true;
                c.cancelled = true;
                auto closed_at = Clock::now();
                error_code ignored;
                c.ws.next_layer().close(ignored);
                accounting_.cancel_closed(c.reply, std::move(tag), closed_at);
                if (options_.cancellations && accounting_.stats().cancellations >= options_.cancellations)
                    stop("cancellations");
                return Progress::done;
            }
            return progress; // complete or error before any chunk: try again
        });
        if (!open || c.cancelled) co_return;
    }
    co_await drain(c);
}

void Run::sample_server() {
    if (!server_watch_) return;
    if (auto s = sample_process(options_.server_pid)) {
        server_watch_->add(*s);
        last_server_sample_ = s;
        // slow: the series runs from the first sample (before any connection) to the stop
        if (options_.scenario == Scenario::slow && !series_closed_)
            rss_series_.add({seconds_between(start_, s->at), s->rss_kib, open_now_, socket_bytes_read_});
    } else {
        server_watch_->lost();
    }
}

awaitable<void> Run::ticker() {
    auto next = Clock::now();
    auto connect_timeout = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options_.connect_timeout_s));
    while (!finished_) {
        next += std::chrono::seconds(1);
        tick_timer_.expires_at(next);
        co_await tick_timer_.async_wait(as_tuple(use_awaitable));
        if (finished_) break;
        auto now = Clock::now();
        sample_server();
        for (auto const& c : live_) {
            if (c->stage != Stage::open && !c->closing && !c->timed_out && now - c->started > connect_timeout) {
                c->timed_out = true;
                error_code ignored;
                c->ws.next_layer().close(ignored);
            }
        }
        if (progress_) print_progress(now);
    }
}

void Run::print_progress(Clock::time_point now) {
    auto const& s = accounting_.stats();
    ProgressLine line;
    line.scenario = options_.scenario;
    line.elapsed_s = seconds_between(start_, now);
    line.connections_requested = options_.connections;
    line.open = open_now_;
    line.now = &s;
    line.replies_before = replies_before_;
    line.chunks_before = chunks_before_;
    line.pongs_before = pongs_before_;
    line.bytes_before = bytes_before_;
    line.interval_s = seconds_between(last_tick_, now);
    line.server = last_server_sample_;
    if (server_watch_) line.server_cpu_percent = server_watch_->last_cpu_percent();
    progress_(format_progress(line));
    last_tick_ = now;
    replies_before_ = s.replies;
    chunks_before_ = s.chunks;
    pongs_before_ = s.pongs;
    bytes_before_ = s.bytes_received;
}

RunSummary Run::summary() const {
    RunSummary r;
    r.scenario = options_.scenario;
    r.url = options_.url;
    r.connections_requested = options_.connections;
    r.elapsed_s = seconds_between(window_start_, stop_at_);
    r.total_s = seconds_between(start_, stop_at_);
    r.settle_s = settled_at_ == Clock::time_point{} ? seconds_between(start_, stop_at_) : seconds_between(start_, settled_at_);
    r.stop_reason = stop_reason_;
    r.start_clock_ms = steady_ms(start_);
    r.stop_clock_ms = steady_ms(stop_at_);
    r.expect_delay = options_.expect_delay_ms.has_value();
    r.expect_delay_ms = options_.expect_delay_ms.value_or(0);
    r.expect_first_token = options_.expect_first_token_ms.has_value();
    r.expect_first_token_ms = options_.expect_first_token_ms.value_or(0);
    r.stats = accounting_.stats();
    if (server_watch_) r.server = server_watch_->summary();
    if (options_.scenario == Scenario::slow)
        r.slow = SlowSummary{options_.read_bytes, options_.read_interval_ms, bytes_read_at_stop_, rss_series_};
    return r;
}

} // namespace

RunSummary run_load(LoadOptions const& options, std::function<void(std::string const&)> progress) {
    asio::io_context io(1);
    tcp::resolver resolver(io);
    error_code ec;
    auto found = resolver.resolve(options.target.host, options.target.port, ec);
    if (ec || found.empty())
        throw std::runtime_error("cannot resolve " + options.target.host + ":" + options.target.port + ": " + ec.message());
    std::vector<asio::ip::address> sources;
    for (auto const& text : options.source_addresses) {
        auto address = asio::ip::make_address(text, ec);
        if (ec) throw std::runtime_error("--source-addresses: '" + text + "': " + ec.message());
        sources.push_back(address);
    }
    Run run(io, options, found.begin()->endpoint(), std::move(sources), std::move(progress));
    asio::co_spawn(io, run.main(), [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
    });
    io.run();
    return run.summary();
}

} // namespace brandchat_load
