#include "brandchat/net/background_slices.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace brandchat {

namespace asio = boost::asio;

namespace {

// A turn of an idle loop (one post, one look at the sockets) takes a few microseconds; a turn
// that took longer ran someone else's work. The first turn never counts as quiet: what became
// ready while the slice ran (a timer, a socket) is only queued during it, behind this post.
constexpr std::chrono::microseconds quiet_turn{25};
constexpr int fewest_turns = 2, most_turns = 16;

} // namespace

asio::awaitable<void> BackgroundSlices::give_back() {
    auto executor = co_await asio::this_coro::executor;
    for (int i = 0; i < most_turns; ++i) {
        auto before = clock::now();
        co_await asio::post(executor, asio::use_awaitable);
        bool quiet = clock::now() - before < quiet_turn;
        if (quiet && i + 1 >= fewest_turns) break;
    }
    ends_ = clock::now() + slice_;
}

} // namespace brandchat
