// Picks a brand's products for a message. Each product gets a fit in [0, 1]: the share of the
// message's aspects (each category, quality and other term asked for, and a price limit) that
// the product satisfies, where a term found in the name or features counts 1, found only in the
// description or specifications 0.6 (a quality found there with two or more of its words, 1); an
// out-of-stock product's fit is scaled by 0.6. Price limits, "in stock" and the kind of product
// asked for (one of Product::kinds) are hard filters. Products whose fit reaches the threshold
// are sorted (by fit; for "cheapest"/"most expensive", by price among those within 0.25 of the
// best fit) and the best few kept. The confidence score is the mean fit of what is kept, rounded
// to two decimals; null when nothing is kept.
#pragma once

#include "brandchat/catalog/brand.hpp"
#include "brandchat/catalog/query.hpp"

#include <optional>
#include <string>
#include <vector>

namespace brandchat {

struct Suggestion {
    Product const* product = nullptr;
    double fit = 0;
};

struct Ranking {
    bool about_products = false;            // the message asks about products at all
    bool follow_up = false;                 // it is about the products suggested last turn
    std::vector<Suggestion> suggestions;    // best first, at most the limit
    std::optional<double> confidence;       // null when suggestions is empty
};

// What the conversation remembers from the previous turns, so follow-ups resolve.
struct RankingContext {
    std::vector<std::string> last_product_ids;
    std::optional<double> last_confidence;
    std::vector<std::string> recent_user_messages; // oldest first, used when the new one names no product
};

struct RankingOptions {
    std::size_t limit = 3;
    double threshold = 0.5;
};

// parse_query on the message, with the words the brand's catalog does not use replaced by its own
// forms of them where it has some ("laptopnya", "laptpo" → "laptop"; Brand::vocabulary).
Query read_query(Brand const& brand, std::string_view message);

Ranking rank_products(Brand const& brand, Query const& query, RankingContext const& context,
                      RankingOptions const& options = {});

// True when `word` occurs in `text` as a whole word (both lowercase).
bool contains_word(std::string_view text, std::string_view word);

// The distinct words of `text` (maximal runs of letters and digits, UTF-8 bytes counting as
// letters), sorted. Looking a single word up in them answers contains_word in log time.
std::vector<std::string> distinct_words(std::string_view text);

// The kinds of product it is (Product::kinds), from its words.
std::vector<Concept const*> kinds_of_product(Product const& product);

// Fills brand.word_index, concept_matches and vocabulary from its products' distinct words, and
// each product's kinds. For one message's candidates (`whole_catalog` false) only the kinds a
// product does not have yet: the ranking then scans their texts for the query's words.
void build_word_index(Brand& brand, bool whole_catalog = true);

} // namespace brandchat
