// BM25F: how well a product's fields match one word of a query, as the probabilistic retrieval
// model scores it (Robertson and Zaragoza, "The Probabilistic Relevance Framework: BM25 and
// Beyond", 2009): a word counts more in a field that matters more (the name most, then the
// category, features, specifications, description), less in a longer field, with diminishing
// returns on repeats (k1), and more the fewer products use it (inverse document frequency).
#pragma once

#include "brandchat/catalog/brand.hpp"

#include <array>
#include <cstddef>

namespace brandchat::bm25 {

// Field weights in Field order; b (length normalization) and k1 (saturation) as usual.
inline constexpr std::array<double, field_count> weights{3.0, 2.0, 1.5, 1.0, 0.6};
inline constexpr double b = 0.75;
inline constexpr double k1 = 1.2;

// ln(1 + (N - n + 0.5) / (n + 0.5)): never negative, however common the word.
double idf(std::size_t documents, std::size_t with_word);

// The word's score in one product: its counts per field, the product's field lengths and the
// catalog's average field lengths.
double score(std::array<std::uint8_t, field_count> const& counts, std::array<std::uint16_t, field_count> const& lengths,
             std::array<float, field_count> const& average, double idf);

// The score of one occurrence in a name of average length: what a word "fully met" scores, so
// that a score divided by it reads as a share (capped at 1).
double named_once(double idf);

} // namespace brandchat::bm25
