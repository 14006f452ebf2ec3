#include "brandchat/chat/candidates.hpp"

#include "brandchat/catalog/query.hpp"
#include "brandchat/store/store.hpp"

#include <algorithm>

namespace brandchat {

std::shared_ptr<Brand const> find_candidates(Store& store, Brand const& brand, Query const& query,
                                             RankingContext const& context, std::size_t limit) {
    ProductSearch search;
    search.brand_id = brand.id;
    search.ids = context.last_product_ids;
    // A follow-up about the products shown needs only those; one that refines the last request
    // ("the Pro version", "anything cheaper?") searches for the request as rank_products reads it.
    auto resolved = resolve_follow_up(brand, query, context);
    auto const& topic = resolved.query;
    // The kinds asked for, then each quality and each other word: a group of alternatives each.
    for (auto const* c : topic.categories) search.kinds.emplace_back(c->name);
    for (auto const* c : topic.qualities) {
        auto& quality = search.groups.emplace_back();
        for (auto word : c->words) quality.emplace_back(word);
    }
    for (auto const& term : topic.other_terms) search.groups.push_back({term});
    search.max_price = topic.max_price;
    search.min_price = topic.min_price;
    search.in_stock_only = topic.in_stock_only;
    search.cheapest = topic.cheapest;
    search.priciest = topic.priciest;
    // Enough for the ranking to choose a few from: each one read costs about 10 µs of the loop.
    search.limit = std::max<std::size_t>(24, 8 * limit);
    bool asks_for_products = topic.has_product_terms() || topic.has_price_limit() || topic.cheapest || topic.priciest;
    if (!asks_for_products || !resolved.among.empty()) search.limit = 0; // a greeting, a shop question, a follow-up: the products shown

    auto view = std::make_shared<Brand>();
    view->id = brand.id;
    view->name = brand.name;
    view->language = brand.language;
    view->company = brand.company;
    view->products = store.search_products(search);
    build_word_index(*view, false);
    // The whole catalog's words: how rare a word is there (BM25's idf), which words name products.
    view->vocabulary = brand.vocabulary;
    view->product_count = brand.product_count;
    return view;
}

} // namespace brandchat
