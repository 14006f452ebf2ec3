#include "brandchat/search/bm25.hpp"

#include <cmath>

namespace brandchat::bm25 {

double idf(std::size_t documents, std::size_t with_word) {
    auto n = static_cast<double>(std::min(with_word, documents));
    auto total = static_cast<double>(documents);
    return std::log(1.0 + (total - n + 0.5) / (n + 0.5));
}

double score(std::array<std::uint8_t, field_count> const& counts, std::array<std::uint16_t, field_count> const& lengths,
             std::array<float, field_count> const& average, double idf) {
    double tf = 0;
    for (std::size_t f = 0; f < field_count; ++f) {
        if (counts[f] == 0) continue;
        double ratio = average[f] > 0 ? lengths[f] / average[f] : 1.0;
        tf += weights[f] * counts[f] / (1.0 - b + b * ratio);
    }
    return idf * tf * (k1 + 1.0) / (k1 + tf);
}

double named_once(double idf) {
    double tf = weights[name_field];
    return idf * tf * (k1 + 1.0) / (k1 + tf);
}

} // namespace brandchat::bm25
