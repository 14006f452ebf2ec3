#include "slow_reading.hpp"

#include <doctest/doctest.h>

using namespace brandchat_load;
using namespace std::chrono_literals;

TEST_CASE("read pace: at most the budget per window, a fresh budget each window") {
    auto t0 = ReadPace::Clock::time_point{} + 1h;
    ReadPace pace(8192, 100ms, t0);
    CHECK(pace.allowance(t0) == 8192);
    pace.consumed(1536);
    CHECK(pace.allowance(t0 + 10ms) == 8192 - 1536);
    pace.consumed(8192 - 1536);
    CHECK(pace.allowance(t0 + 99ms) == 0);
    CHECK(pace.next_window(t0 + 99ms) == t0 + 100ms);
    // the next window starts with the whole budget; what was not read is not carried over
    CHECK(pace.allowance(t0 + 100ms) == 8192);
    pace.consumed(100);
    CHECK(pace.allowance(t0 + 350ms) == 8192);
    CHECK(pace.next_window(t0 + 350ms) == t0 + 400ms);
    // a read that took more than it was allowed (cannot happen, but must not wrap)
    pace.consumed(10000);
    CHECK(pace.allowance(t0 + 351ms) == 0);
    // before the start counts as the first window
    ReadPace early(10, 1s, t0);
    CHECK(early.allowance(t0 - 5ms) == 10);
    CHECK(early.next_window(t0 - 5ms) == t0 + 1s);
}

TEST_CASE("read pace: 8 KiB per 100 ms is 80 KiB a second") {
    auto t0 = ReadPace::Clock::time_point{} + 1h;
    ReadPace pace(8192, 100ms, t0);
    std::size_t total = 0;
    // a reader that reads 1536 bytes at a time and asks again 1 ms later, for one second
    for (auto t = t0; t < t0 + 1s; t += 1ms) {
        auto n = std::min<std::size_t>(1536, pace.allowance(t));
        pace.consumed(n);
        total += n;
    }
    CHECK(total == 10 * 8192);
}

TEST_CASE("rss series: per client, read per client, slope, rows") {
    RssSeries s;
    CHECK(s.empty());
    CHECK(!s.slope_kib_per_s(0, 100));
    CHECK(s.rows(5).empty());
    s.add({0.0, 4000, 0, 0});  // the baseline: before any connection
    CHECK(!s.per_client_kib(s.points()[0]));  // nobody open
    // 10 clients: 300 KiB each after the first second, then 10 KiB/s each more
    for (int t = 1; t <= 60; ++t)
        s.add({static_cast<double>(t), 4000 + 10 * (300 + 10 * static_cast<std::uint64_t>(t - 1)), 10, static_cast<std::uint64_t>(t) * 10 * 81920});
    CHECK(*s.per_client_kib(s.points()[1]) == doctest::Approx(300));
    CHECK(*s.per_client_kib(s.points()[30]) == doctest::Approx(590));
    CHECK(*s.per_client_kib(s.points()[60]) == doctest::Approx(890));
    CHECK(*s.read_per_client_kib(s.points()[60]) == doctest::Approx(60 * 80));
    CHECK(*s.slope_kib_per_s(30, 60) == doctest::Approx(10));
    CHECK(!s.slope_kib_per_s(30.2, 30.8));  // no sample in the window
    CHECK(!s.slope_kib_per_s(30, 30));      // one sample: no slope
    auto rows = s.rows(5);
    REQUIRE(rows.size() == 13);  // 0, 5, 10, ..., 55, and the last (60)
    CHECK(rows.front() == 0);
    CHECK(rows[1] == 5);
    CHECK(rows[11] == 55);
    CHECK(rows.back() == 60);
    CHECK(s.rows(0) == std::vector<std::size_t>{0, 60});
}

TEST_CASE("rss series: flat, shrinking, irregular samples, clients leaving") {
    RssSeries s;
    s.add({0.0, 5000, 0, 0});
    s.add({0.9, 5000 + 3200, 10, 0});
    s.add({2.1, 5000 + 3100, 10, 0});
    s.add({3.0, 5000 + 3300, 10, 0});
    s.add({6.2, 5000 + 3200, 10, 0});
    s.add({7.0, 4000, 5, 0});  // shrank below the baseline as clients left
    CHECK(*s.per_client_kib(s.points()[5]) == doctest::Approx(-200));
    auto flat = s.slope_kib_per_s(0, 6.5);
    REQUIRE(flat);
    CHECK(std::abs(*flat) < 5);
    // a sample late for its row takes the row; the next row is the next multiple after it
    CHECK(s.rows(2) == std::vector<std::size_t>{0, 2, 4, 5});
    // a series of one sample has one row
    RssSeries one;
    one.add({0, 1, 0, 0});
    CHECK(one.rows(5) == std::vector<std::size_t>{0});
}
