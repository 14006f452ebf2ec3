#include "brandchat/catalog/ranking.hpp"

#include "brandchat/language/text.hpp"
#include "brandchat/search/vocabulary.hpp"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory_resource>
#include <unordered_map>
#include <cmath>

namespace brandchat {

namespace {

bool is_word_char(char ch) { return is_word_byte(ch); }

enum Where : std::uint8_t { in_search = 1, in_name = 2 };

// Calls f with each word of `text` (a maximal run of word characters) in order, until f says false.
template <class F>
void for_each_word(std::string_view text, F f) {
    for (std::size_t i = 0; i < text.size();) {
        if (!is_word_char(text[i])) {
            ++i;
            continue;
        }
        auto end = i;
        while (end < text.size() && is_word_char(text[end])) ++end;
        if (!f(text.substr(i, end - i))) return;
        i = end;
    }
}

bool single_word(std::string_view word) { return single_word_text(word); }

// The "name category" part of name_text, before the features (brand.cpp joins them with " | ").
std::string_view name_and_category(Product const& p) {
    std::string_view name = p.name_text;
    return name.substr(0, name.find(" | "));
}

// Where `word` occurs in each product (Where flags, one cell per product, or-ed into `cells`): from
// the brand's word index for a single word, by scanning the texts for a phrase.
void word_cells(Brand const& brand, std::string_view word, std::uint8_t* cells) {
    if (single_word(word) && !brand.word_index.empty()) {
        if (auto hit = brand.word_index.find(std::string(word)); hit != brand.word_index.end())
            for (auto entry : hit->second)
                if ((entry >> 2) < brand.products.size()) cells[entry >> 2] |= static_cast<std::uint8_t>(entry & 3);
        return;
    }
    for (std::size_t i = 0; i < brand.products.size(); ++i) { // a phrase ("smart tv"), or no index
        auto const& p = brand.products[i];
        cells[i] |= static_cast<std::uint8_t>((contains_word(p.search_text, word) ? in_search : 0) |
                                              (contains_word(p.name_text, word) ? in_name : 0));
    }
}

// Counts one more of a concept's words in a product, found where `cell` says.
void add_word(Brand::ConceptMatch& m, std::uint8_t cell) {
    m.where |= cell;
    m.words += (cell & in_search) ? 1 : 0;
}

// Where each of the query's words occurs in each product, worked out once per word for the whole
// catalog (word_cells).
class WordMatches {
public:
    explicit WordMatches(Brand const& brand) : brand_(brand) {}

    std::uint8_t where(Product const& p, std::string_view word) {
        auto index = static_cast<std::size_t>(&p - brand_.products.data());
        // The same word is asked about for every product, through the same string_view (a
        // concept's word, or one of the query's terms): its address finds it, unhashed. A word
        // reached through two addresses is only worked out twice.
        auto [it, fresh] = offset_of_.try_emplace(Key{word.data(), word.size()}, cells_.size());
        if (fresh) lookup(word);
        return cells_[it->second + index];
    }

    // A concept's words taken together: from the table made at load for parse_query's concepts,
    // else (a concept from elsewhere, a brand built without the table) word by word.
    Brand::ConceptMatch concept_match(Product const& p, Concept const& c) {
        auto const& all = concepts();
        auto index = static_cast<std::size_t>(&p - brand_.products.data());
        bool listed = !std::less<>{}(&c, all.data()) && std::less<>{}(&c, all.data() + all.size());
        if (listed && brand_.concept_matches.size() == all.size() * brand_.products.size())
            return brand_.concept_matches[static_cast<std::size_t>(&c - all.data()) * brand_.products.size() + index];
        Brand::ConceptMatch m;
        for (auto w : c.words) add_word(m, where(p, w));
        return m;
    }

private:
    struct Key {
        char const* data;
        std::size_t size;
        bool operator==(Key const&) const = default;
    };
    struct KeyHash {
        std::size_t operator()(Key const& k) const { return std::hash<char const*>{}(k.data) ^ (k.size * 0x9E3779B97F4A7C15ull); }
    };

    // Appends one cell per product for `word`.
    void lookup(std::string_view word) {
        auto first = cells_.size();
        cells_.resize(first + brand_.products.size(), 0);
        word_cells(brand_, word, cells_.data() + first);
    }

    Brand const& brand_;
    // One query's memo lives in this block (on the stack), spilling to the heap only for a
    // very long message: a ranking allocates nothing for it.
    std::byte block_[8192];
    std::pmr::monotonic_buffer_resource arena_{block_, sizeof block_};
    std::pmr::unordered_map<Key, std::size_t, KeyHash> offset_of_{&arena_}; // the words outlive the ranking
    std::pmr::vector<std::uint8_t> cells_{&arena_};                         // one run of products.size() per word
};

// Where in a product a word was found: 1 for name or features, 0.6 for elsewhere, 0 nowhere.
double weight(std::uint8_t where) { return (where & in_name) ? 1.0 : (where & in_search) ? 0.6 : 0.0; }

double term_weight(WordMatches& m, Product const& p, std::string_view word) { return weight(m.where(p, word)); }

// The best of the concept's words; a description that says it with two or more of them ("a
// business laptop ... built for office work") counts as fully as the name or features do.
double concept_weight(WordMatches& m, Product const& p, Concept const& c) {
    auto match = m.concept_match(p, c);
    return match.words >= 2 ? 1.0 : weight(match.where);
}

// How many of the concept's words the product mentions: breaks ties between equal fits, so a
// laptop described with "business", "office" and "professional" beats one that says "office".
int concept_depth(WordMatches& m, Product const& p, Concept const& c) { return m.concept_match(p, c).words; }

bool matches_category(Product const& p, Concept const& c) { return std::find(p.kinds.begin(), p.kinds.end(), &c) != p.kinds.end(); }

// "Accessory": a kind that does not say what a product is.
Concept const* accessory() {
    static Concept const* const c = find_concept("accessory");
    return c;
}

// The category concepts the lowercase words of `text` name, in order; with `first_only`, the
// first that is not "accessory".
void add_kinds(std::string_view text, std::vector<Concept const*>& kinds, bool first_only = false) {
    for_each_word(text, [&](std::string_view word) {
        auto const* c = find_concept(word);
        if (!c || !c->is_category || std::find(kinds.begin(), kinds.end(), c) != kinds.end()) return true;
        if (first_only && c == accessory()) return true;
        kinds.push_back(c);
        return !first_only;
    });
}

std::vector<Concept const*> kinds_of(Product const& p) {
    std::vector<Concept const*> kinds;
    add_kinds(name_and_category(p), kinds);
    auto says_what_it_is = [&] { return std::any_of(kinds.begin(), kinds.end(), [](Concept const* c) { return c != accessory(); }); };
    for (std::size_t i = 0; i < p.features.size() && !says_what_it_is(); ++i) add_kinds(to_lower_ascii(p.features[i]), kinds);
    if (!says_what_it_is()) add_kinds(to_lower_ascii(p.description), kinds, true);
    return kinds;
}

// How far below the best fit a product may be and still count for "cheapest"/"most expensive".
constexpr double near_best = 0.25;

Ranking rank_with(Brand const& brand, Query const& q, RankingOptions const& options) {
    Ranking r;
    double aspects = static_cast<double>(!q.categories.empty()) + static_cast<double>(q.qualities.size() + q.other_terms.size()) +
                     (q.has_price_limit() ? 1.0 : 0.0);
    if (aspects == 0 && (q.cheapest || q.priciest)) aspects = 1; // "what's your cheapest?" ranks every product
    if (aspects == 0) return r;

    WordMatches matches(brand);
    std::vector<Suggestion> scored;
    for (auto const& p : brand.products) {
        if (q.max_price && p.price > *q.max_price) continue;
        if (q.min_price && p.price < *q.min_price) continue;
        if (q.in_stock_only && !p.availability) continue;
        double satisfied = 0;
        if (!q.categories.empty()) {
            bool any = std::any_of(q.categories.begin(), q.categories.end(), [&](Concept const* c) { return matches_category(p, *c); });
            if (!any) continue;
            satisfied += 1;
        }
        for (auto const* c : q.qualities) satisfied += concept_weight(matches, p, *c);
        for (auto const& t : q.other_terms) satisfied += term_weight(matches, p, t);
        if (q.has_price_limit()) satisfied += 1;
        if (q.categories.empty() && q.qualities.empty() && q.other_terms.empty() && (q.cheapest || q.priciest)) satisfied += 1;
        double fit = satisfied / aspects;
        if (!p.availability) fit *= 0.6;
        // A limit alone matches everything under it; it needs a product term to mean something.
        if (q.has_price_limit() && satisfied <= 1 && q.has_product_terms()) continue;
        if (fit >= options.threshold) {
            int d = 0;
            for (auto const* c : q.qualities) d += concept_depth(matches, p, *c);
            // Folded into the fit below its rounding, so sorting sees it and clients do not.
            scored.push_back({&p, std::min(1.0, fit) + d * 1e-4});
        }
    }
    if (q.cheapest || q.priciest) {
        // By price, among those that fit nearly as well as the best: "cheapest 4k tv" lists the 4K
        // sets, not a cheaper set that is not 4K (fit 0.5 against 1).
        double best = 0;
        for (auto const& s : scored) best = std::max(best, s.fit);
        std::erase_if(scored, [&](Suggestion const& s) { return s.fit < best - near_best; });
        std::stable_sort(scored.begin(), scored.end(), [&](Suggestion const& a, Suggestion const& b) {
            if (a.product->availability != b.product->availability) return a.product->availability;
            return q.cheapest ? a.product->price < b.product->price : a.product->price > b.product->price;
        });
    } else {
        std::stable_sort(scored.begin(), scored.end(), [](Suggestion const& a, Suggestion const& b) {
            if (std::abs(a.fit - b.fit) > 1e-9) return a.fit > b.fit;
            if (a.product->availability != b.product->availability) return a.product->availability;
            return a.product->price < b.product->price;
        });
    }
    if (scored.size() > options.limit) scored.resize(options.limit);
    for (auto& s : scored) s.fit = std::min(1.0, std::floor(s.fit * 1000.0 + 1e-9) / 1000.0);
    r.about_products = true;
    r.suggestions = std::move(scored);
    return r;
}

double mean_fit(std::vector<Suggestion> const& s) {
    double sum = 0;
    for (auto const& x : s) sum += x.fit;
    return std::round(sum / static_cast<double>(s.size()) * 100.0) / 100.0;
}

} // namespace

bool contains_word(std::string_view text, std::string_view word) {
    if (word.empty()) return false;
    for (auto pos = text.find(word); pos != std::string_view::npos; pos = text.find(word, pos + 1)) {
        bool starts = pos == 0 || !is_word_char(text[pos - 1]);
        auto end = pos + word.size();
        bool ends = end == text.size() || !is_word_char(text[end]);
        if (starts && ends) return true;
    }
    return false;
}

std::vector<std::string> distinct_words(std::string_view text) {
    std::vector<std::string> words;
    for_each_word(text, [&](std::string_view word) {
        words.emplace_back(word);
        return true;
    });
    std::sort(words.begin(), words.end());
    words.erase(std::unique(words.begin(), words.end()), words.end());
    return words;
}

void build_word_index(Brand& brand, bool whole_catalog) {
    brand.product_count = brand.products.size();
    brand.categories.clear();
    for (auto const& p : brand.products)
        if (std::find(brand.categories.begin(), brand.categories.end(), p.category) == brand.categories.end())
            brand.categories.push_back(p.category);
    if (!whole_catalog) {
        // A few dozen candidates: the ranking scans their texts for the query's words (word_cells)
        // faster than an index of every word could be built.
        for (auto& p : brand.products)
            if (p.kinds.empty()) p.kinds = kinds_of(p);
        return;
    }
    for (auto& p : brand.products) p.kinds = kinds_of(p);
    brand.word_index.clear();
    for (std::size_t i = 0; i < brand.products.size(); ++i) {
        auto const& p = brand.products[i];
        std::unordered_map<std::string, std::uint32_t> where;
        for (auto& w : distinct_words(p.search_text)) where[std::move(w)] |= in_search;
        for (auto& w : distinct_words(p.name_text)) where[std::move(w)] |= in_name;
        for (auto const& [w, flags] : where) brand.word_index[w].push_back(static_cast<std::uint32_t>(i) << 2 | flags);
    }
    auto vocabulary = std::make_shared<Vocabulary>();
    for (auto const& [word, entries] : brand.word_index) vocabulary->add(word, static_cast<std::uint32_t>(entries.size()));
    vocabulary->finish();
    brand.vocabulary = std::move(vocabulary);
    auto const& all = concepts();
    auto n = brand.products.size();
    brand.concept_matches.assign(all.size() * n, {});
    std::vector<std::uint8_t> cells(n);
    for (std::size_t c = 0; c < all.size(); ++c)
        for (auto w : all[c].words) {
            std::fill(cells.begin(), cells.end(), 0);
            word_cells(brand, w, cells.data());
            for (std::size_t i = 0; i < n; ++i) add_word(brand.concept_matches[c * n + i], cells[i]);
        }
}

std::vector<Concept const*> kinds_of_product(Product const& product) { return kinds_of(product); }

Query read_query(Brand const& brand, std::string_view message) {
    auto q = parse_query(message);
    if (!brand.vocabulary || q.other_terms.empty()) return q;
    bool changed = false;
    auto corrected = brand.vocabulary->correct_message(message, q.other_terms, changed);
    if (!changed) return q;
    // The corrected words may name kinds and qualities; what the message asks (a greeting, a
    // price, a comparison, its limits) stays as the customer wrote it.
    auto fixed = parse_query(corrected);
    q.categories = std::move(fixed.categories);
    q.qualities = std::move(fixed.qualities);
    q.other_terms = std::move(fixed.other_terms);
    return q;
}

Ranking rank_products(Brand const& brand, Query const& q, RankingContext const& context, RankingOptions const& options) {
    std::vector<Product const*> previous;
    for (auto const& id : context.last_product_ids)
        for (auto const& p : brand.products)
            if (p.id == id) previous.push_back(&p);

    bool asks_about_previous = q.asks_price || q.asks_availability || q.asks_specs || q.asks_compare;
    bool names_products = !q.categories.empty() || !q.qualities.empty() || !q.other_terms.empty();

    Ranking r;
    if (names_products || q.has_price_limit() || q.cheapest || q.priciest) {
        Query effective = q;
        // "Which is cheapest?" or "under 10 juta?" after talking about laptops: keep the topic.
        if (effective.categories.empty() && effective.qualities.empty() && effective.other_terms.empty()) {
            for (auto it = context.recent_user_messages.rbegin(); it != context.recent_user_messages.rend(); ++it) {
                auto earlier = parse_query(*it);
                if (!earlier.categories.empty()) {
                    effective.categories = earlier.categories;
                    break;
                }
            }
        }
        r = rank_with(brand, effective, options);
        // Words that name no concept and match no product ("opening", "weather") are not a
        // product question by themselves.
        bool only_loose_words = effective.categories.empty() && effective.qualities.empty() && !q.has_price_limit() &&
                                !q.cheapest && !q.priciest;
        if (only_loose_words && r.suggestions.empty() && !q.shopping_words) r.about_products = false;
        // A term that matched nothing ("it", a typo) must not hide the products just discussed.
        if (r.suggestions.empty() && asks_about_previous && !previous.empty() && q.categories.empty())
            r = {};
        else if (r.about_products || !q.categories.empty() || q.shopping_words) {
            r.about_products = true;
            if (!r.suggestions.empty()) r.confidence = mean_fit(r.suggestions);
            return r;
        }
    }
    if (asks_about_previous && !previous.empty()) {
        r.about_products = true;
        r.follow_up = true;
        for (auto const* p : previous)
            if (r.suggestions.size() < options.limit) r.suggestions.push_back({p, context.last_confidence.value_or(0.7)});
        r.confidence = context.last_confidence.value_or(mean_fit(r.suggestions));
        return r;
    }
    r = {};
    r.about_products = !q.categories.empty() || !q.qualities.empty() || q.shopping_words;
    if (q.greeting && !names_products) r.about_products = false;
    if (q.asks_company && !names_products) r.about_products = false;
    return r;
}

} // namespace brandchat
