#include "brandchat/catalog/ranking.hpp"

#include "brandchat/language/language.hpp"
#include "brandchat/language/text.hpp"
#include "brandchat/search/vocabulary.hpp"

#include <algorithm>

namespace brandchat {

namespace {

// The latest earlier message that asked for products, read again: the topic a short follow-up
// continues.
std::optional<Query> topic_of(Brand const& brand, RankingContext const& context) {
    for (auto it = context.recent_user_messages.rbegin(); it != context.recent_user_messages.rend(); ++it)
        if (auto earlier = read_query(brand, *it); earlier.has_product_terms()) return earlier;
    return std::nullopt;
}

template <class T>
void add_missing(std::vector<T>& to, std::vector<T> const& from) {
    for (auto const& x : from)
        if (std::find(to.begin(), to.end(), x) == to.end()) to.push_back(x);
}

} // namespace

Query read_query(Brand const& brand, std::string_view message) {
    auto q = parse_query(message);
    if (brand.vocabulary && !q.other_terms.empty()) {
        bool changed = false;
        auto corrected = brand.vocabulary->correct_message(message, q.other_terms, changed);
        if (changed) {
            // The corrected words may name kinds and qualities; what the message asks (a greeting,
            // a price, a comparison, its limits) stays as the customer wrote it.
            auto fixed = parse_query(corrected);
            q.categories = std::move(fixed.categories);
            q.qualities = std::move(fixed.qualities);
            q.other_terms = std::move(fixed.other_terms);
            q.beside_a_name = std::move(fixed.beside_a_name);
            q.concept_words = std::move(fixed.concept_words);
            // "2 pintuu": an amount once its unit is spelt right. One the customer spelt right
            // keeps how they wrote it ("16GB", where the corrected copy says "16gb").
            for (auto& a : fixed.quantities) {
                auto same = std::find_if(q.quantities.begin(), q.quantities.end(), [&](AskedQuantity const& b) {
                    return b.quantity == a.quantity && b.compare == a.compare;
                });
                if (same != q.quantities.end()) a.said = same->said;
            }
            q.quantities = std::move(fixed.quantities);
        }
    }
    // A word that names a kind and is also a maker in this catalog whose products are not that
    // kind ("hp": a phone to Indonesian shoppers, and the maker of laptops here) means the maker
    // when another kind is named ("laptop HP") or the message is English, else the kind.
    for (auto const& [word, c] : q.concept_words) {
        if (!c->is_category || !brand.vocabulary || !names_a_product(brand, word)) continue;
        if (brand.vocabulary->names_kind(word, c->name)) continue; // "AC" in the names of air conditioners
        bool other_kind = std::any_of(q.categories.begin(), q.categories.end(), [&](Concept const* k) { return k != c; });
        if (!other_kind && detect_language(message) != Language::english) continue;
        std::erase(q.categories, c);
        if (std::find(q.other_terms.begin(), q.other_terms.end(), word) == q.other_terms.end()) {
            q.other_terms.push_back(word);
            q.beside_a_name.resize(q.other_terms.size(), false);
        }
    }
    return q;
}

Resolution resolve_follow_up(Brand const& brand, Query const& q, RankingContext const& context) {
    Resolution out{q, {}, false, false};
    auto const& ref = q.reference;
    bool asks_about_shown = q.asks_price || q.asks_availability || q.asks_specs || q.asks_compare;
    bool shown = !context.last_product_ids.empty();
    bool refines = ref.refine || ((ref.cheaper || ref.pricier) && !ref.refers);
    bool continues = !q.has_product_terms() && (q.has_price_limit() || q.cheapest || q.priciest);
    // The earlier messages are read again only when this one refines or continues them.
    auto topic = (shown && refines) || continues ? topic_of(brand, context) : std::nullopt;
    if (shown && refines && topic) {
        // "What about the Pro version?", "ada yang lebih murah?": the last request, changed.
        auto& merged = out.query;
        if (merged.categories.empty()) merged.categories = topic->categories;
        add_missing(merged.qualities, topic->qualities);
        merged.other_terms = topic->other_terms;
        merged.beside_a_name = topic->beside_a_name;
        merged.beside_a_name.resize(merged.other_terms.size(), false);
        for (std::size_t i = 0; i < q.other_terms.size(); ++i)
            if (std::find(merged.other_terms.begin(), merged.other_terms.end(), q.other_terms[i]) == merged.other_terms.end()) {
                merged.other_terms.push_back(q.other_terms[i]);
                merged.beside_a_name.push_back(i < q.beside_a_name.size() && q.beside_a_name[i]);
            }
        if (merged.quantities.empty()) merged.quantities = topic->quantities;
        if (!merged.max_price) merged.max_price = topic->max_price;
        if (!merged.min_price) merged.min_price = topic->min_price;
        out.cheaper_than_shown = ref.cheaper;
        out.pricier_than_shown = ref.pricier;
        if (ref.cheaper) merged.cheapest = true;
        return out;
    }
    bool refers = ref.refers || (asks_about_shown && q.categories.empty() && q.other_terms.empty());
    if (shown && refers) {
        auto const& ids = context.last_product_ids;
        std::size_t first = ref.first == Reference::last ? ids.size() - 1 : std::min(ref.first, ids.size());
        std::size_t count = ref.count == 0 ? ids.size() : ref.count;
        for (std::size_t i = first; i < ids.size() && i < first + count; ++i) out.among.push_back(ids[i]);
        if (out.among.empty()) out.among = ids;
        if (ref.cheaper) out.query.cheapest = true;
        if (ref.pricier) out.query.priciest = true;
        return out;
    }
    // "Which is cheapest?" or "under 10 juta?" after talking about laptops: the same topic.
    if (topic && continues) {
        out.query.categories = topic->categories;
        out.query.qualities = topic->qualities;
        out.query.other_terms = topic->other_terms;
        out.query.beside_a_name = topic->beside_a_name;
        out.query.quantities = topic->quantities;
    }
    return out;
}

} // namespace brandchat
