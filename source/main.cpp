// brandchat: the streaming multi-brand shopping assistant server. See --help.
#include "brandchat/config/options.hpp"
#include "brandchat/log.hpp"
#include "brandchat/net/server.hpp"
#include "brandchat/setup.hpp"
#include "brandchat/store/sqlite_store.hpp"
#include "brandchat/net/server_context.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <fcntl.h>
#include <iostream>
#include <sys/resource.h>
#include <unistd.h>

// Sizes the kernel's descriptor table for the open-file allowance (up to 65,536) now, while the
// process has one thread. The kernel grows it by doubling as descriptors are opened (256, 512,
// ...), and in a process with a second thread (Asio's resolver runs one) each doubling waits for
// an RCU grace period: the accept() that triggered it held the event loop for 10-25 ms. The table
// costs the kernel about 8 bytes per slot (512 KiB at the cap); it is not process memory.
static void reserve_descriptor_table(rlim_t limit) {
    if (limit == RLIM_INFINITY || limit < 256) return;
    int top = static_cast<int>(std::min<rlim_t>(limit, 65536)) - 1;
    int source = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (source < 0) return;
    int fd = ::fcntl(source, F_DUPFD_CLOEXEC, top); // the lowest free slot >= top: nothing is clobbered
    if (fd >= 0) ::close(fd);
    ::close(source);
}

namespace {

using namespace std::chrono_literals;
using boost::asio::as_tuple;
using boost::asio::use_awaitable;

// Waits until every connection has closed, or `limit` has passed.
boost::asio::awaitable<void> drained(brandchat::ServerContext const& context, std::chrono::milliseconds limit) {
    boost::asio::steady_timer poll(co_await boost::asio::this_coro::executor);
    auto until = std::chrono::steady_clock::now() + limit;
    while (!context.sessions.empty() && std::chrono::steady_clock::now() < until) {
        poll.expires_after(10ms);
        co_await poll.async_wait(use_awaitable);
    }
}

// After serving has begun: loads what the responder needs (certificates), then waits for SIGINT
// or SIGTERM, stops the server, and stops the loop once every connection has closed (or after
// 3 s). What may still be pending then is no customer's: a spare model connection still
// connecting (up to --connect-timeout-ms), or clients that never answered the close frame. A
// second signal stops at once.
boost::asio::awaitable<void> serve_until_signalled(boost::asio::io_context& io, brandchat::Server& server,
                                                   brandchat::ServerContext& context) {
    using namespace brandchat;
    co_await boost::asio::post(io, use_awaitable); // the first turn of the loop: listening has begun
    context.responder->warm_up();
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    auto [ec, signal] = co_await signals.async_wait(as_tuple(use_awaitable));
    if (ec) co_return;
    log::info("signal ", signal, ": closing ", context.sessions.size(), " connections and stopping");
    server.stop();
    auto second_signal = [&]() -> boost::asio::awaitable<void> { co_await signals.async_wait(as_tuple(use_awaitable)); };
    {
        using namespace boost::asio::experimental::awaitable_operators;
        auto drain = drained(context, 3s); // named: GCC 12 mishandles temporaries in co_await expressions
        auto again = second_signal();
        co_await (std::move(drain) || std::move(again));
    }
    io.stop();
}

} // namespace

int main(int argc, char** argv) {
    using namespace brandchat;
    // The store's checkpoint process (store/sqlite_checkpoint.cpp): this program, started by itself.
    // `brandchat --checkpoint-log FILE [--log-format json]`, in the server's log format.
    if ((argc == 3 || argc == 5) && std::string_view(argv[1]) == "--checkpoint-log") {
        log::Format format = log::Format::text;
        if (argc == 5 && (std::string_view(argv[3]) != "--log-format" || !log::parse_format(argv[4], format))) {
            std::cerr << "brandchat --checkpoint-log: usage: brandchat --checkpoint-log FILE [--log-format text|json]\n";
            return 2;
        }
        log::set_format(format);
        return checkpoint_sqlite_log(argv[2]);
    }
    ParsedCommandLine parsed;
    try {
        parsed = parse_options(std::vector<std::string>(argv + 1, argv + argc), process_environment());
    } catch (std::exception const& e) {
        std::cerr << "brandchat: " << e.what() << "\n";
        return 2;
    }
    if (parsed.show_help) {
        std::cout << help_text();
        return 0;
    }
    if (parsed.show_version) {
        std::cout << "brandchat " BRANDCHAT_VERSION "\n";
        return 0;
    }

    // The io_context outlives everything holding sockets or timers on it (the context's pooled
    // model connections, sessions still in frames): declared first, destroyed last.
    // Every conversation with a model holds two descriptors (its client and its upstream request):
    // take the whole allowance the system grants, not the customary soft limit of 1,024.
    rlimit files{};
    if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
        files.rlim_cur = files.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &files);
    }
    reserve_descriptor_table(files.rlim_cur);

    boost::asio::io_context io(1);
    ServerContext context;
    context.options = parsed.options;
    log::Level level;
    if (!log::parse_level(context.options.log_level, level)) {
        std::cerr << "brandchat: --log-level: expected debug, info, warn, error or off\n";
        return 2;
    }
    log::set_level(level);
    log::Format format;
    if (!log::parse_format(context.options.log_format, format)) {
        std::cerr << "brandchat: --log-format: expected text or json\n";
        return 2;
    }
    log::set_format(format);
    context.options.resources = find_resources(context.options.resources, argv[0]);
    context.options.checkpoint_program = "/proc/self/exe"; // this very binary, even if replaced on disk since

    Server server(io, context);
    std::uint16_t port = 0;
    try {
        prepare_context(context);
        port = server.listen(context.options.host, context.options.port);
    } catch (std::exception const& e) {
        log::error("cannot start: ", e.what());
        return 1;
    }
    server.start();

    std::string active;
    for (auto const& b : context.brands.active()) active += (active.empty() ? "" : ", ") + b->id;
    log::info("brandchat ", BRANDCHAT_VERSION, " listening on ", context.options.host, ":", port, " (ws://",
              context.options.host, ":", port, "/ws/chat/{brand_id})");
    log::info("brands: ", context.brands.active().size(), " active of ", context.brands.size(), " (", active, ") in the ",
              context.store->describe());
    log::info("responder: ", context.responder->name());
    std::string shown_host = context.options.host == "0.0.0.0" || context.options.host == "::" ? "localhost" : context.options.host;
    std::string base = "http://" + shown_host + ":" + std::to_string(port);
    log::info("chat page: ", base, "/ui/");
    if (!context.new_admin_key.empty() && context.options.log_format == "json") {
        // The one secret a log line ever holds, once: only its hash is kept, so this is the one
        // chance to copy it. As JSON, so that a log collector reading lines as objects does not choke.
        log::write_event(log::Level::warn, "admin key made", // whatever --log-level says: it is shown once or never
                   {{"key", context.new_admin_key},
                    {"note", "The management API needs a key, and none existed: this admin key was made and only its hash kept. "
                             "Copy it now; it is not shown again (BRANDCHAT_ADMIN_KEY=... sets one of your own instead)"}});
        context.new_admin_key.clear();
    } else if (!context.new_admin_key.empty()) {
        // Written once, apart from the log: only its hash is kept, so this is the one chance to copy it.
        std::cerr << "\n  The management API needs a key, and none existed: this admin key was made and only its hash kept.\n"
                  << "  Copy it now; it is not shown again (BRANDCHAT_ADMIN_KEY=... sets one of your own instead):\n\n"
                  << "    " << context.new_admin_key << "\n\n"
                  << "  curl -H 'Authorization: Bearer " << context.new_admin_key << "' " << base << "/brands/techpro/config\n\n";
        context.new_admin_key.clear();
    } else {
        log::info("management API: ", base, " with 'Authorization: Bearer KEY' (the admin key printed at the first start, ",
                  "BRANDCHAT_ADMIN_KEY, or a key made with POST /keys)");
    }
    if (::getrlimit(RLIMIT_NOFILE, &files) == 0)
        log::info("open-file limit: ", files.rlim_cur, " (about ", files.rlim_cur / 2, " conversations with a model)");

    boost::asio::co_spawn(io, serve_until_signalled(io, server, context), boost::asio::detached);
    io.run();
    log::info("stopped");
    return 0;
}
