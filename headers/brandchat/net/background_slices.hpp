// Long work on the event loop beside the chats (a product import, a large JSON body), done in
// slices: the work asks due() as it goes and, when the slice's time is up, co_awaits give_back().
// That gives the loop back until it is quiet: it yields, and yields again as long as other work
// ran meanwhile (a chat's next step, a socket's read or write), up to a bound, so that a reply in
// progress goes through all its steps between two slices instead of waiting for a slice at each
// of them, and the long work still goes on when the loop is never quiet.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <chrono>

namespace brandchat {

class BackgroundSlices {
public:
    using clock = std::chrono::steady_clock;

    // The longest a slice holds the loop: a fraction of a chat's own time to first chunk.
    static constexpr std::chrono::microseconds default_slice{300};

    explicit BackgroundSlices(std::chrono::microseconds slice = default_slice) : slice_(slice), ends_(clock::now() + slice) {}

    // This slice's time is up: give the loop back before going on.
    bool due() const { return clock::now() >= ends_; }

    // Yields until the loop is quiet (at least twice, at most 16 times), then starts the next slice.
    boost::asio::awaitable<void> give_back();

private:
    std::chrono::microseconds slice_;
    clock::time_point ends_;
};

} // namespace brandchat
