#include "brandchat/catalog/ranking.hpp"

#include "brandchat/language/text.hpp"
#include "brandchat/search/bm25.hpp"
#include "brandchat/search/vocabulary.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <unordered_map>

namespace brandchat {

namespace {

// How often a word or phrase occurs in each field of a product.
std::array<std::uint8_t, field_count> field_counts(Product const& p, std::string_view word) {
    std::array<std::uint8_t, field_count> counts{};
    for (std::size_t f = 0; f < field_count; ++f)
        counts[f] = static_cast<std::uint8_t>(std::min<std::size_t>(count_word(p.field_text[f], word), 255));
    return counts;
}

// BM25F scores of the message's words in a brand's products, each word worked out once per
// ranking: from the brand's inverted index where it has one, else (a message's candidates from
// the store, a phrase) by scanning the products' texts.
class Scorer {
public:
    explicit Scorer(Brand const& brand) : brand_(brand) {
        if (brand.vocabulary && brand.vocabulary->documents() > 0) documents_ = brand.vocabulary->documents();
        else documents_ = brand.products.size();
    }

    struct Word {
        std::vector<float> score;  // per product
        std::vector<bool> in_name; // per product
        double idf = 0;
        double full = 0;           // one mention in a name: bm25::named_once
    };

    Word const& word(std::string const& w) {
        auto [it, fresh] = memo_.try_emplace(w);
        if (!fresh) return it->second;
        auto& out = it->second;
        auto n = brand_.products.size();
        out.score.assign(n, 0);
        out.in_name.assign(n, false);
        std::vector<std::pair<std::size_t, std::array<std::uint8_t, field_count>>> hits;
        bool phrase = !single_word_text(w);
        if (!brand_.word_index.empty()) {
            // A phrase: the products using its first word, scanned for the whole phrase.
            auto first = phrase ? w.substr(0, w.find(' ')) : w;
            if (auto posting = brand_.word_index.find(first); posting != brand_.word_index.end())
                for (auto const& entry : posting->second) {
                    if (entry.product >= n) continue;
                    hits.emplace_back(entry.product, phrase ? field_counts(brand_.products[entry.product], w) : entry.count);
                }
        } else {
            for (std::size_t i = 0; i < n; ++i) hits.emplace_back(i, field_counts(brand_.products[i], w));
        }
        std::erase_if(hits, [](auto const& h) { return std::all_of(h.second.begin(), h.second.end(), [](auto c) { return c == 0; }); });
        std::size_t with_word = hits.size();
        if (brand_.vocabulary && brand_.vocabulary->documents() > 0) {
            if (phrase) {
                // A phrase's products are at most those of its rarest word.
                std::size_t fewest = documents_;
                for_each_word(w, [&](std::string_view part) { fewest = std::min<std::size_t>(fewest, brand_.vocabulary->products_using(part)); });
                with_word = std::max(with_word, fewest);
            } else {
                with_word = std::max<std::size_t>(with_word, brand_.vocabulary->products_using(w));
            }
        }
        out.idf = bm25::idf(documents_, with_word);
        out.full = bm25::named_once(out.idf);
        for (auto const& [i, counts] : hits) {
            auto const& p = brand_.products[i];
            out.score[i] = static_cast<float>(bm25::score(counts, p.field_words, brand_.average_field_words, out.idf));
            out.in_name[i] = counts[name_field] > 0;
        }
        return out;
    }

private:
    Brand const& brand_;
    std::size_t documents_ = 0;
    std::unordered_map<std::string, Word> memo_;
};

// A quality's score in a product: its words' scores added up (a description that says "business
// ... office work" says it twice), as a share of half of one mention in a name, at most 1: a
// quality is met by being said anywhere, and said more strongly in more places.
struct ConceptScore {
    double met = 0;
    double raw = 0;
};
ConceptScore concept_score(Scorer& scorer, Concept const& c, std::size_t product) {
    ConceptScore s;
    for (auto w : c.words) {
        auto const& word = scorer.word(std::string(w));
        if (word.score[product] <= 0) continue;
        s.met += word.score[product] / (0.5 * word.full); // a quality said once in a description is said
        s.raw += word.score[product];
    }
    s.met = std::min(1.0, s.met);
    return s;
}

// How far below the best fit a product may be and still count for "cheapest"/"most expensive".
constexpr double near_best = 0.25;

struct Scored {
    std::size_t index = 0;
    double fit = 0;
    double order_fit = 0; // the fit it is sorted by: an out-of-stock product named is still first
    double relevance = 0; // BM25F of every word asked for: breaks ties between equal fits
};

// A word of the product names that names a line, a maker or a model ("iphone", "polygon", "s24"):
// mostly found in names. One found more often in features and descriptions than in names
// ("digital", "oled", "mini") describes a product: a plain word, scored where it is.
bool names_a_line(Brand const& brand, std::string_view word) {
    if (!brand.vocabulary) return true;
    return 2 * brand.vocabulary->names_using(word) >= brand.vocabulary->products_using(word);
}

// The message's words sorted into what they ask.
struct Asked {
    std::vector<std::string> names;  // words of the catalog's product names
    std::vector<std::string> missing_names; // beside a kind or a name, used by no product ("Huawei phones")
    std::vector<std::string> terms;  // other words the catalog uses
    std::vector<std::string> unknown; // words no product uses: they lower the fit, at half weight
};

Asked sort_words(Brand const& brand, Query const& q) {
    Asked a;
    for (std::size_t i = 0; i < q.other_terms.size(); ++i) {
        auto const& t = q.other_terms[i];
        bool number = std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; });
        bool beside = i < q.beside_a_name.size() && q.beside_a_name[i];
        if (names_a_product(brand, t) && (number || names_a_line(brand, t))) a.names.push_back(t); // "16" after "pro": a model
        else if (number) continue; // "15" after a word is a model number only where a name has it
        else if (brand.vocabulary ? brand.vocabulary->products_using(t) > 0 : !brand.word_index.empty() && brand.word_index.contains(t)) a.terms.push_back(t);
        else if (beside) a.missing_names.push_back(t);
        else a.unknown.push_back(t);
    }
    return a;
}

// The fit of each product (among `indexes`) that passes the hard filters.
std::vector<Scored> score_products(Brand const& brand, Query const& q, std::vector<std::size_t> const& indexes, bool filters) {
    Scorer scorer(brand);
    auto asked = sort_words(brand, q);
    double name_idf = 0;
    for (auto const& w : asked.names) name_idf += scorer.word(w).idf;
    // A word no product uses is as rare as a word can be.
    double missing_idf = bm25::idf(std::max<std::size_t>(brand.vocabulary ? brand.vocabulary->documents() : 0, brand.products.size()), 0);
    name_idf += missing_idf * static_cast<double>(asked.missing_names.size());
    bool names_asked = !asked.names.empty() || !asked.missing_names.empty();
    // The words that named the kinds, for relevance: "earbuds" raises the products that say it.
    std::vector<std::string> kind_words;
    // With the other forms of the word among the kind's ("phones", "phone"), so that either finds the same.
    for (auto const& [word, c] : q.concept_words) {
        if (!c->is_category || std::find(q.categories.begin(), q.categories.end(), c) == q.categories.end()) continue;
        auto stem = stem_key(word);
        for (auto w : c->words)
            if (stem_key(w) == stem && std::find(kind_words.begin(), kind_words.end(), w) == kind_words.end()) kind_words.emplace_back(w);
    }

    double weights = (q.categories.empty() ? 0 : 1) + (names_asked ? 2 : 0) + static_cast<double>(q.quantities.size()) +
                     static_cast<double>(q.qualities.size() + asked.terms.size()) + 0.5 * static_cast<double>(asked.unknown.size()) +
                     (q.has_price_limit() ? 1 : 0);
    bool ranks_everything = weights == 0; // "what's your cheapest?", or a follow-up with nothing new
    std::vector<Scored> out;
    for (auto i : indexes) {
        auto const& p = brand.products[i];
        bool of_kind = std::any_of(q.categories.begin(), q.categories.end(), [&](Concept const* c) { return has_kind(p, c); });
        if (filters) {
            if (q.max_price && p.price > *q.max_price) continue;
            if (q.min_price && p.price < *q.min_price) continue;
            if (q.in_stock_only && !p.availability) continue;
            if (!q.categories.empty() && !of_kind) continue;
        }
        double met = of_kind ? 1 : 0, penalty = 1, relevance = 0;
        bool named = !asked.names.empty() && asked.missing_names.empty(); // every name word in its name, below
        for (auto const& w : kind_words) relevance += scorer.word(w).score[i];
        if (names_asked) {
            double in_name = 0;
            for (auto const& w : asked.names) {
                auto const& word = scorer.word(w);
                relevance += 2 * word.score[i];
                if (word.in_name[i]) in_name += word.idf;
                else named = false;
            }
            double share = name_idf > 0 ? in_name / name_idf : 0;
            met += 2 * share;
            if (share < 0.5) penalty *= 0.5;
        }
        for (auto const& a : q.quantities) {
            bool has = has_quantity(p, a);
            if (has) met += 1;
            else penalty *= 0.5;
        }
        for (auto const* c : q.qualities) {
            auto s = concept_score(scorer, *c, i);
            met += s.met;
            relevance += s.raw;
            if (c->hard && s.met < 0.5) penalty *= 0.5;
        }
        for (auto const& w : asked.terms) {
            auto const& word = scorer.word(w);
            met += std::min(1.0, word.score[i] / word.full);
            relevance += word.score[i];
        }
        if (q.has_price_limit()) met += 1;
        double fit = ranks_everything ? 1.0 : met / weights * penalty;
        // A limit alone matches everything under it; it needs a product term to mean something.
        if (filters && q.has_price_limit() && met <= 1 && q.has_product_terms()) continue;
        fit = std::min(1.0, fit);
        // Out of stock: it fits less, but the one asked for by name is still put first.
        double order_fit = !p.availability && !named ? fit * 0.6 : fit;
        if (!p.availability) fit *= 0.6;
        out.push_back({i, fit, order_fit, relevance});
    }
    return out;
}

// Best first: by fit, then in stock, then relevance, then price; for "cheapest" / "most
// expensive", by price among those nearly as good as the best.
void order(std::vector<Scored>& scored, Brand const& brand, bool cheapest, bool priciest) {
    auto const& products = brand.products;
    if (cheapest || priciest) {
        double best = 0;
        for (auto const& s : scored) best = std::max(best, s.order_fit);
        std::erase_if(scored, [&](Scored const& s) { return s.order_fit < best - near_best; });
        std::stable_sort(scored.begin(), scored.end(), [&](Scored const& a, Scored const& b) {
            auto const &pa = products[a.index], &pb = products[b.index];
            if (pa.availability != pb.availability) return pa.availability;
            return cheapest ? pa.price < pb.price : pa.price > pb.price;
        });
        return;
    }
    std::stable_sort(scored.begin(), scored.end(), [&](Scored const& a, Scored const& b) {
        // Fits as the client sees them (three decimals): a difference below that is a tie.
        auto fa = std::floor(a.order_fit * 1000.0 + 1e-9), fb = std::floor(b.order_fit * 1000.0 + 1e-9);
        if (fa != fb) return fa > fb;
        auto const &pa = products[a.index], &pb = products[b.index];
        if (pa.availability != pb.availability) return pa.availability;
        if (std::abs(a.relevance - b.relevance) > 1e-9) return a.relevance > b.relevance;
        return pa.price < pb.price;
    });
}

double mean_fit(std::vector<Suggestion> const& s) {
    double sum = 0;
    for (auto const& x : s) sum += x.fit;
    return std::round(sum / static_cast<double>(s.size()) * 100.0) / 100.0;
}

void keep_best(Ranking& r, Brand const& brand, std::vector<Scored> scored, std::size_t limit) {
    if (scored.size() > limit) scored.resize(limit);
    for (auto const& s : scored) r.suggestions.push_back({&brand.products[s.index], std::min(1.0, std::floor(s.fit * 1000.0 + 1e-9) / 1000.0)});
    if (!r.suggestions.empty()) r.confidence = mean_fit(r.suggestions);
}

Ranking rank_catalog(Brand const& brand, Query const& q, RankingOptions const& options) {
    Ranking r;
    bool asks = q.has_product_terms() || q.has_price_limit() || q.cheapest || q.priciest;
    if (!asks) return r;
    std::vector<std::size_t> all(brand.products.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    auto scored = score_products(brand, q, all, true);
    std::erase_if(scored, [&](Scored const& s) { return s.fit < options.threshold; }); // the fit the client is told
    order(scored, brand, q.cheapest, q.priciest);
    r.about_products = true;
    keep_best(r, brand, std::move(scored), options.limit);
    return r;
}

} // namespace

Ranking rank_products(Brand const& brand, Query const& q, RankingContext const& context, RankingOptions const& options) {
    // A question about the shop ("how long is the warranty?", "bisa COD?") that names no kind and
    // no product is answered from the company information, with no products.
    // So is one about a topic of the shop (shipping, warranty, payment...) that names a kind but asks
    // for no product ("How do you ship bikes to Bandung?", "garansi air fryer berapa lama?").
    bool names_product = !q.categories.empty() || !q.quantities.empty() ||
                         std::any_of(q.other_terms.begin(), q.other_terms.end(), [&](std::string const& t) { return names_a_product(brand, t); });
    bool topic = std::any_of(q.shop_topics.begin(), q.shop_topics.end(), [](ShopTopic t) { return t != ShopTopic::about; });
    bool asks_for_products = q.shopping_words || q.has_price_limit() || q.cheapest || q.priciest || !q.quantities.empty();
    if (q.asks_company && (!names_product || (topic && !asks_for_products))) return {};

    auto resolved = resolve_follow_up(brand, q, context);
    auto const& effective = resolved.query;

    if (!resolved.among.empty()) {
        std::vector<std::size_t> shown;
        for (auto const& id : resolved.among)
            for (std::size_t i = 0; i < brand.products.size(); ++i)
                if (brand.products[i].id == id) shown.push_back(i);
        // "Does it come with a mouse?" names a kind none of them is: a new search.
        bool other_kind = !effective.categories.empty() && std::none_of(shown.begin(), shown.end(), [&](std::size_t i) {
            return std::any_of(effective.categories.begin(), effective.categories.end(), [&](Concept const* c) { return has_kind(brand.products[i], c); });
        });
        if (!shown.empty() && !other_kind) {
            Ranking r;
            r.about_products = true;
            r.follow_up = true;
            bool constrained = !effective.quantities.empty() || !effective.qualities.empty() || !effective.other_terms.empty();
            // "Compare it with the iPhone 15 Pro": the one shown, then the one named.
            bool names_another = std::any_of(effective.other_terms.begin(), effective.other_terms.end(),
                                             [&](std::string const& t) { return names_a_product(brand, t); });
            if (effective.asks_compare && names_another) {
                Ranking named = rank_catalog(brand, effective, options);
                Ranking both;
                both.about_products = both.follow_up = true;
                both.suggestions.push_back({&brand.products[shown.front()], context.last_confidence.value_or(1.0)});
                for (auto const& s : named.suggestions)
                    if (s.product != both.suggestions.front().product && both.suggestions.size() < std::max<std::size_t>(2, options.limit)) {
                        both.suggestions.push_back(s);
                        break;
                    }
                both.confidence = mean_fit(both.suggestions);
                return both;
            }
            auto scored = score_products(brand, effective, shown, false);
            if (effective.superlative) {
                // "The lightest of them": by the amount each lists in that unit (the least, or the
                // most), those that list none last.
                auto unit = effective.superlative->unit;
                if (effective.superlative->any_size)
                    for (auto u : {Unit::liter, Unit::inch, Unit::kilogram, Unit::gigabyte}) {
                        bool all = std::all_of(scored.begin(), scored.end(), [&](Scored const& s) {
                            auto const& listed = brand.products[s.index].quantities;
                            return std::any_of(listed.begin(), listed.end(), [&](ListedQuantity const& l) { return l.quantity.unit == u; });
                        });
                        if (all) {
                            unit = u;
                            break;
                        }
                    }
                auto amount = [&](std::size_t i) -> std::optional<double> {
                    std::optional<double> best;
                    for (auto const& l : brand.products[i].quantities)
                        if (l.quantity.unit == unit)
                            best = effective.superlative->most ? std::max(best.value_or(l.quantity.value), l.quantity.value)
                                                               : std::min(best.value_or(l.quantity.value), l.quantity.value);
                    return best;
                };
                bool most = effective.superlative->most;
                std::stable_sort(scored.begin(), scored.end(), [&](Scored const& a, Scored const& b) {
                    auto x = amount(a.index), y = amount(b.index);
                    if (x.has_value() != y.has_value()) return x.has_value();
                    return x && (most ? *x > *y : *x < *y);
                });
            } else if (constrained || effective.cheapest || effective.priciest) {
                if (effective.cheapest || effective.priciest) {
                    std::stable_sort(scored.begin(), scored.end(), [&](Scored const& a, Scored const& b) {
                        auto pa = brand.products[a.index].price, pb = brand.products[b.index].price;
                        return effective.cheapest ? pa < pb : pa > pb;
                    });
                } else {
                    std::stable_sort(scored.begin(), scored.end(), [](Scored const& a, Scored const& b) { return a.fit > b.fit; });
                }
            }
            if (!constrained)
                for (auto& s : scored) s.fit = context.last_confidence.value_or(s.fit);
            keep_best(r, brand, std::move(scored), options.limit);
            if (!constrained && context.last_confidence) r.confidence = context.last_confidence;
            return r;
        }
    }

    Query search = effective;
    if (resolved.cheaper_than_shown || resolved.pricier_than_shown) {
        // Cheaper than the cheapest shown, dearer than the dearest.
        std::optional<double> lowest, highest;
        for (auto const& id : context.last_product_ids)
            for (auto const& p : brand.products)
                if (p.id == id) {
                    lowest = std::min(lowest.value_or(p.price), p.price);
                    highest = std::max(highest.value_or(p.price), p.price);
                }
        if (resolved.cheaper_than_shown && lowest) search.max_price = std::min(search.max_price.value_or(*lowest), *lowest - 1);
        if (resolved.pricier_than_shown && highest) search.min_price = std::max(search.min_price.value_or(*highest), *highest + 1);
    }
    auto r = rank_catalog(brand, search, options);
    r.below_shown = resolved.cheaper_than_shown;
    bool names_anything = search.has_product_terms() || resolved.cheaper_than_shown || resolved.pricier_than_shown;
    if (r.suggestions.empty()) {
        // Words that name no concept and match no product ("opening", "weather") are not a
        // product question by themselves.
        bool loose = search.categories.empty() && search.qualities.empty() && search.quantities.empty() && !search.has_price_limit() &&
                     !search.cheapest && !search.priciest;
        if (!names_anything && !search.has_price_limit() && !search.cheapest && !search.priciest) r.about_products = false;
        if (loose && !q.shopping_words) r.about_products = false;
        if (q.shopping_words && !q.greeting) r.about_products = true;
        if (!search.categories.empty() || !search.qualities.empty()) r.about_products = true;
        if (q.greeting && !names_anything) r.about_products = false;
    }
    return r;
}

} // namespace brandchat
