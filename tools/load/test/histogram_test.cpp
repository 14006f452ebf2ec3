#include "histogram.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>

using brandchat_load::Histogram;

namespace {

// Within the histogram's precision (1/128 of the value, at least 1).
void check_close(std::uint64_t got, double expected) {
    double tolerance = std::max(1.0, expected / 128.0);
    CHECK_MESSAGE(std::abs(static_cast<double>(got) - expected) <= tolerance, "got ", got, ", expected ", expected);
}

} // namespace

TEST_CASE("an empty histogram reports zeros") {
    Histogram h;
    CHECK(h.count() == 0);
    CHECK(h.percentile(50) == 0);
    CHECK(h.max() == 0);
    CHECK(h.min() == 0);
    CHECK(h.mean() == 0.0);
}

TEST_CASE("buckets cover every value exactly once and stay within 1/128") {
    std::uint64_t const values[] = {0, 1, 127, 128, 129, 255, 256, 1000, 123456, 99999999, Histogram::largest_value};
    for (std::uint64_t v : values) {
        auto b = Histogram::bucket_of(v);
        CHECK(Histogram::bucket_low(b) <= v);
        CHECK(v <= Histogram::bucket_high(b));
        CHECK(static_cast<double>(Histogram::bucket_high(b) - Histogram::bucket_low(b)) <=
              std::max(0.0, static_cast<double>(v) / 128.0));
    }
    // Adjacent buckets touch.
    for (std::size_t b = 0; b + 1 < Histogram::bucket_of(Histogram::largest_value); ++b)
        REQUIRE(Histogram::bucket_high(b) + 1 == Histogram::bucket_low(b + 1));
}

TEST_CASE("uniform 1..1000: percentiles within bucket precision") {
    Histogram h;
    for (std::uint64_t v = 1; v <= 1000; ++v) h.record(v);
    CHECK(h.count() == 1000);
    CHECK(h.min() == 1);
    CHECK(h.max() == 1000);
    CHECK(h.mean() == doctest::Approx(500.5));
    check_close(h.percentile(50), 500);
    check_close(h.percentile(90), 900);
    check_close(h.percentile(99), 990);
    check_close(h.percentile(99.9), 999);
    CHECK(h.percentile(100) == 1000);
    CHECK(h.percentile(0) == 1);
}

TEST_CASE("small values are exact") {
    Histogram h;
    for (int i = 0; i < 90; ++i) h.record(3);
    for (int i = 0; i < 10; ++i) h.record(100);
    CHECK(h.percentile(50) == 3);
    CHECK(h.percentile(90) == 3);
    CHECK(h.percentile(91) == 100);
    CHECK(h.percentile(99) == 100);
}

TEST_CASE("a skewed distribution: one slow outlier in a thousand") {
    Histogram h;
    for (int i = 0; i < 999; ++i) h.record(2000);   // 2 ms
    h.record(3'000'000);                            // 3 s
    check_close(h.percentile(50), 2000);
    check_close(h.percentile(99.9), 2000);
    CHECK(h.percentile(100) == 3'000'000);
    CHECK(h.max() == 3'000'000);
}

TEST_CASE("exponential samples: percentiles match the sorted samples") {
    std::mt19937_64 rng(42);
    std::exponential_distribution<double> dist(1.0 / 5000.0);
    std::vector<std::uint64_t> samples;
    Histogram h;
    for (int i = 0; i < 100000; ++i) {
        auto v = static_cast<std::uint64_t>(dist(rng)) + 1;
        samples.push_back(v);
        h.record(v);
    }
    std::sort(samples.begin(), samples.end());
    for (double p : {50.0, 90.0, 99.0, 99.9}) {
        auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(samples.size()) - 1e-9)) - 1;
        check_close(h.percentile(p), static_cast<double>(samples[rank]));
    }
}

TEST_CASE("huge values are clamped, merge adds counts") {
    Histogram a, b;
    a.record(UINT64_MAX);
    CHECK(a.max() == Histogram::largest_value);
    b.record(10);
    b.record(20);
    a.merge(b);
    CHECK(a.count() == 3);
    CHECK(a.min() == 10);
    CHECK(a.max() == Histogram::largest_value);
    a.reset();
    CHECK(a.count() == 0);
    CHECK(a.percentile(50) == 0);
}
