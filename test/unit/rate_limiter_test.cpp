#include "brandchat/chat/rate_limiter.hpp"

#include <doctest/doctest.h>

using namespace brandchat;
using namespace std::chrono_literals;

TEST_CASE("sliding window with a controlled clock") {
    RateLimit limit{3, 60s};
    SlidingWindow w;
    auto t0 = std::chrono::steady_clock::time_point{} + 1000s;
    CHECK_FALSE(w.try_acquire(limit, t0));
    CHECK_FALSE(w.try_acquire(limit, t0 + 10s));
    CHECK_FALSE(w.try_acquire(limit, t0 + 20s));
    auto wait = w.try_acquire(limit, t0 + 30s);
    REQUIRE(wait);
    CHECK(*wait == 30000ms); // the first event leaves the window at t0 + 60 s
    CHECK(w.try_acquire(limit, t0 + 59s));
    CHECK_FALSE(w.try_acquire(limit, t0 + 60s));
    CHECK(w.try_acquire(limit, t0 + 61s)); // t0+10, t0+20, t0+60 still inside
}

TEST_CASE("zero turns the limit off") {
    SlidingWindow w;
    RateLimit off{0, 60s};
    auto t = std::chrono::steady_clock::now();
    for (int i = 0; i < 1000; ++i) CHECK_FALSE(w.try_acquire(off, t));
}

TEST_CASE("keys are independent and stale ones are swept") {
    KeyedRateLimiter limiter(RateLimit{1, 10s});
    auto t = std::chrono::steady_clock::time_point{} + 100s;
    CHECK_FALSE(limiter.try_acquire("a", t));
    CHECK(limiter.try_acquire("a", t + 1s));
    CHECK_FALSE(limiter.try_acquire("b", t + 1s));
    CHECK(limiter.keys() == 2);
    CHECK_FALSE(limiter.try_acquire("c", t + 30s));
    CHECK(limiter.keys() == 1);
}

TEST_CASE("parsing COUNT/SECONDS") {
    auto r = parse_rate_limit("10/60");
    REQUIRE(r);
    CHECK(r->count == 10);
    CHECK(r->window == 60s);
    CHECK(parse_rate_limit("0")->count == 0);
    CHECK_FALSE(parse_rate_limit("ten/60"));
    CHECK_FALSE(parse_rate_limit("10/0"));
    CHECK_FALSE(parse_rate_limit("10/"));
}
