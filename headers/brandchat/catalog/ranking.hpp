// Picks a brand's products for a message.
//
// Each word of the message is scored in each product with BM25F (search/bm25.hpp: the name counts
// most, then category, features, specifications, description; rarer words count more). A product's
// fit, in [0, 1], is the weighted share of what the message asks for that it meets:
// - the kind of product (Product::kinds; a hard filter when named), weight 1;
// - the product line or model named (words of the catalog's product names: "iphone", "macbook pro
//   16", "galaxy"), weight 2, met by the share of their inverse document frequency in its name;
//   under half met, the fit is halved;
// - each amount with a unit (quantity.hpp: "16GB", "1 PK", "55 inci"), weight 1, met or not; each
//   one not met halves the fit;
// - each quality (query.hpp concepts: "gaming", "business"; the hard ones, "4K", "inverter",
//   "wireless", halve the fit when missing) and each other word, weight 1 (0.5 for a word no product
//   uses), met by its BM25F score over that of one mention in a name, at most 1;
// - a price limit (a hard filter), weight 1.
// An out-of-stock product's fit is scaled by 0.6, unless it is the one named (every name word in its
// name). Products whose fit reaches the threshold are sorted by fit (for "cheapest"/"most
// expensive", by price among those within 0.25 of the best), then in stock first, then by BM25F.
// The confidence score is the mean fit of those kept, rounded to two decimals; null when none.
//
// A follow-up ("which one is cheaper?", "does it have 16GB RAM?", "the first two", "yang mana")
// ranks the products last shown instead (resolve_follow_up); "what about the Pro version?" or
// "anything cheaper?" searches again with the last request changed.
#pragma once

#include "brandchat/catalog/brand.hpp"
#include "brandchat/catalog/catalog_index.hpp"
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
    bool below_shown = false;               // it asked for something cheaper than those shown
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

// What to rank for a message in its conversation (reading.cpp, with read_query).
struct Resolution {
    Query query;                    // the message's request, with the earlier one it refines or continues
    std::vector<std::string> among; // a follow-up about products shown: only these (ids, in order)
    bool cheaper_than_shown = false; // "anything cheaper?": below the cheapest product shown
    bool pricier_than_shown = false; // "something more expensive?": above the dearest
};
Resolution resolve_follow_up(Brand const& brand, Query const& query, RankingContext const& context);

// parse_query on the message, with the words the brand's catalog does not use replaced by its own
// forms of them where it has some ("laptopnya", "laptpo" → "laptop"; Brand::vocabulary).
Query read_query(Brand const& brand, std::string_view message);

Ranking rank_products(Brand const& brand, Query const& query, RankingContext const& context,
                      RankingOptions const& options = {});

} // namespace brandchat
