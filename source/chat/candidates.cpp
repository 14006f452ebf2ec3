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
    // "Which is cheapest?" after talking about laptops keeps the topic, as rank_products does.
    Query topic = query;
    if (!query.has_product_terms() && (query.has_price_limit() || query.cheapest || query.priciest))
        for (auto it = context.recent_user_messages.rbegin(); it != context.recent_user_messages.rend(); ++it)
            if (auto earlier = read_query(brand, *it); !earlier.categories.empty()) {
                topic.categories = earlier.categories;
                break;
            }
    // The kinds asked for, then each quality and each other word: a group of alternatives each.
    for (auto const* c : topic.categories) search.kinds.emplace_back(c->name);
    for (auto const* c : topic.qualities) {
        auto& quality = search.groups.emplace_back();
        for (auto word : c->words) quality.emplace_back(word);
    }
    for (auto const& term : topic.other_terms) search.groups.push_back({term});
    search.max_price = query.max_price;
    search.min_price = query.min_price;
    search.in_stock_only = query.in_stock_only;
    search.cheapest = query.cheapest;
    search.priciest = query.priciest;
    // Enough for the ranking to choose a few from: each one read costs about 10 µs of the loop.
    search.limit = std::max<std::size_t>(24, 8 * limit);
    bool asks_for_products = topic.has_product_terms() || query.has_price_limit() || query.cheapest || query.priciest;
    if (!asks_for_products) search.limit = 0; // a greeting, a shop question: only the products last suggested

    auto view = std::make_shared<Brand>();
    view->id = brand.id;
    view->name = brand.name;
    view->language = brand.language;
    view->products = store.search_products(search);
    build_word_index(*view, false);
    return view;
}

} // namespace brandchat
