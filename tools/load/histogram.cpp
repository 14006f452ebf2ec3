#include "histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace brandchat_load {

namespace {

constexpr std::uint64_t sub_buckets = std::uint64_t{1} << Histogram::precision_bits;

} // namespace

// Values below 2^P have a bucket each. Above, a value with its highest bit at position e
// (e >= P) falls in octave e - P + 1, sub-bucket = its top P+1 bits minus the leading one.
std::size_t Histogram::bucket_of(std::uint64_t value) {
    value = std::min(value, largest_value);
    if (value < sub_buckets) return static_cast<std::size_t>(value);
    int e = std::bit_width(value) - 1;
    int shift = e - precision_bits;
    std::uint64_t sub = (value >> shift) - sub_buckets;
    return static_cast<std::size_t>(sub_buckets + static_cast<std::uint64_t>(shift) * sub_buckets + sub);
}

std::uint64_t Histogram::bucket_low(std::size_t bucket) {
    if (bucket < sub_buckets) return bucket;
    std::uint64_t shift = (bucket - sub_buckets) / sub_buckets;
    std::uint64_t sub = (bucket - sub_buckets) % sub_buckets + sub_buckets;
    return sub << shift;
}

std::uint64_t Histogram::bucket_high(std::size_t bucket) {
    if (bucket < sub_buckets) return bucket;
    std::uint64_t shift = (bucket - sub_buckets) / sub_buckets;
    return bucket_low(bucket) + (std::uint64_t{1} << shift) - 1;
}

Histogram::Histogram() : counts_(bucket_of(largest_value) + 1, 0) {}

void Histogram::record(std::uint64_t value) {
    value = std::min(value, largest_value);
    ++counts_[bucket_of(value)];
    if (count_ == 0 || value < min_) min_ = value;
    if (value > max_) max_ = value;
    ++count_;
    sum_ += value;
}

void Histogram::merge(Histogram const& other) {
    if (other.count_ == 0) return;
    for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    if (count_ == 0 || other.min_ < min_) min_ = other.min_;
    max_ = std::max(max_, other.max_);
    count_ += other.count_;
    sum_ += other.sum_;
}

void Histogram::reset() {
    std::fill(counts_.begin(), counts_.end(), 0);
    count_ = min_ = max_ = sum_ = 0;
}

std::uint64_t Histogram::percentile(double percent) const {
    if (count_ == 0) return 0;
    if (percent >= 100.0) return max_;
    percent = std::max(percent, 0.0);
    // The epsilon keeps 99.9 % of 1000 at rank 999, not 1000 (0.999 * 1000 is 999.0000000000001).
    auto rank = static_cast<std::uint64_t>(std::ceil(percent / 100.0 * static_cast<double>(count_) - 1e-9));
    rank = std::clamp<std::uint64_t>(rank, 1, count_);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
        seen += counts_[i];
        if (seen >= rank) {
            std::uint64_t middle = bucket_low(i) + (bucket_high(i) - bucket_low(i)) / 2;
            return std::clamp(middle, min_, max_);
        }
    }
    return max_;
}

} // namespace brandchat_load
