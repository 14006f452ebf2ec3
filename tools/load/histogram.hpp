// A log-bucketed latency histogram in the spirit of HdrHistogram: constant memory, O(1) record,
// percentiles within 1/128 (0.8 %) of the true value. Values are whole microseconds; values
// 0..127 are exact. Not thread-safe (the load tool runs on one thread).
#pragma once

#include <cstdint>
#include <vector>

namespace brandchat_load {

class Histogram {
public:
    static constexpr int precision_bits = 7;                    // 128 buckets per power of two
    static constexpr std::uint64_t largest_value = (std::uint64_t{1} << 48) - 1;  // ~9 years in µs

    Histogram();

    // Values above largest_value are recorded as largest_value.
    void record(std::uint64_t value);
    void merge(Histogram const& other);
    void reset();

    std::uint64_t count() const { return count_; }
    std::uint64_t min() const { return count_ ? min_ : 0; }
    std::uint64_t max() const { return max_; }
    double mean() const { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0.0; }

    // The value below which `percent` (0..100) of the samples fall: the middle of the bucket
    // holding the sample of that rank, kept within [min, max]. 0 when empty.
    std::uint64_t percentile(double percent) const;

    // Bucket arithmetic, exposed for tests.
    static std::size_t bucket_of(std::uint64_t value);
    static std::uint64_t bucket_low(std::size_t bucket);
    static std::uint64_t bucket_high(std::size_t bucket);

private:
    std::vector<std::uint64_t> counts_;
    std::uint64_t count_ = 0;
    std::uint64_t min_ = 0;
    std::uint64_t max_ = 0;
    std::uint64_t sum_ = 0;
};

} // namespace brandchat_load
