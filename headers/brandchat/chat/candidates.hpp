// For a brand whose catalog is kept in the store (Brand::catalog_in_store): the products worth
// ranking for one message, found with the store's full-text index (the words of the message and
// of the concepts it names, its price limits and ordering) together with the products last
// suggested, as a brand of their own that the ranking rules (ranking.hpp) run over unchanged.
#pragma once

#include "brandchat/catalog/ranking.hpp"

#include <memory>

namespace brandchat {

class Store;

// `limit`: the most products a reply suggests (--max-suggestions).
std::shared_ptr<Brand const> find_candidates(Store& store, Brand const& brand, Query const& query,
                                             RankingContext const& context, std::size_t limit);

} // namespace brandchat
