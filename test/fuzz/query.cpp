// The query reader: a customer's chat message through parse_query, read_query (each brand's
// vocabulary: stems and typing slips) and detect_language, then, as
// the built-in responder does, rank_products and compose_catalog_answer against each active
// bundled brand (loaded once from resources/brands/: techpro in English, rumahkita in
// Indonesian), and once more as a follow-up to the first answer. Checks, beyond not crashing:
// - price limits are numbers >= 0; concepts are distinct, from concepts(), categories are
//   category concepts; other terms are distinct words of the message (normalize_search_text);
// - a ranking keeps at most `limit` products, each a distinct product of the brand; outside a
//   follow-up each fits in [threshold, 1] and meets the hard filters (price limits, "in stock",
//   one of the kinds asked for); the confidence is null exactly when nothing is kept, else the
//   mean fit to two decimals, in [0, 1];
// - an answer is non-empty valid UTF-8, every "Rp " in it is followed by a digit (no negative or
//   garbled amounts), and a voice answer is one line.
#include "brandchat/catalog/brand.hpp"
#include "brandchat/catalog/query.hpp"
#include "brandchat/catalog/ranking.hpp"
#include "brandchat/language/language.hpp"
#include "brandchat/language/text.hpp"
#include "brandchat/reply/catalog_answer.hpp"
#include "brandchat/search/vocabulary.hpp"
#include "fuzz_check.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

using namespace brandchat;

namespace {

std::vector<std::shared_ptr<Brand const>> const& brands() {
    static auto const all = [] {
        auto active = BrandCatalog::load_directory(BRANDCHAT_SOURCE_RESOURCES "/brands").active();
        FUZZ_CHECK(!active.empty());
        return active;
    }();
    return all;
}

template <class T>
bool distinct(std::vector<T> v) {
    std::sort(v.begin(), v.end());
    return std::adjacent_find(v.begin(), v.end()) == v.end();
}

void check_query(Query const& q, std::string_view message) {
    for (auto limit : {q.max_price, q.min_price})
        if (limit) FUZZ_CHECK(!std::isnan(*limit) && *limit >= 0);
    auto const& all = concepts();
    auto known = [&](Concept const* c) { return c >= all.data() && c < all.data() + all.size(); };
    FUZZ_CHECK(distinct(q.categories) && distinct(q.qualities) && distinct(q.other_terms));
    for (auto const* c : q.categories) FUZZ_CHECK(known(c) && c->is_category);
    for (auto const* c : q.qualities) FUZZ_CHECK(known(c));
    std::string normalized(message); // as the reader reads it: "non inverter" is one word
    normalize_search_text(normalized);
    auto tokens = word_tokens(normalized);
    for (auto const& t : q.other_terms) FUZZ_CHECK(std::find(tokens.begin(), tokens.end(), t) != tokens.end());
}

void check_ranking(Ranking const& r, Brand const& brand, Query const& q, RankingOptions const& options) {
    FUZZ_CHECK(r.suggestions.size() <= options.limit);
    FUZZ_CHECK(r.confidence.has_value() == !r.suggestions.empty());
    if (r.confidence) FUZZ_CHECK(*r.confidence >= 0 && *r.confidence <= 1);
    std::vector<Product const*> seen;
    double sum = 0;
    for (auto const& s : r.suggestions) {
        FUZZ_CHECK(s.product >= brand.products.data() && s.product < brand.products.data() + brand.products.size());
        seen.push_back(s.product);
        sum += s.fit;
        if (r.follow_up) continue;
        auto const& p = *s.product;
        FUZZ_CHECK(s.fit >= options.threshold - 1e-9 && s.fit <= 1);
        if (q.max_price) FUZZ_CHECK(p.price <= *q.max_price);
        if (q.min_price) FUZZ_CHECK(p.price >= *q.min_price);
        if (q.in_stock_only) FUZZ_CHECK(p.availability);
        if (!q.categories.empty())
            FUZZ_CHECK(std::any_of(q.categories.begin(), q.categories.end(), [&](Concept const* c) {
                return std::find(p.kinds.begin(), p.kinds.end(), c) != p.kinds.end();
            }));
    }
    FUZZ_CHECK(distinct(seen));
    if (r.confidence && !r.follow_up)
        FUZZ_CHECK(std::abs(*r.confidence - sum / static_cast<double>(r.suggestions.size())) <= 0.005 + 1e-9);
}

void check_answer(std::string const& answer, bool voice) {
    FUZZ_CHECK(!answer.empty());
    FUZZ_CHECK(fuzz::valid_utf8(answer));
    for (auto at = answer.find("Rp "); at != std::string::npos; at = answer.find("Rp ", at + 1))
        FUZZ_CHECK(at + 3 < answer.size() && answer[at + 3] >= '0' && answer[at + 3] <= '9');
    if (voice) FUZZ_CHECK(answer.find('\n') == std::string::npos);
}

// read_query: the brand's vocabulary may replace words (stems, slips), never what is asked.
void check_read_query(Query const& read, Query const& plain, std::string_view message, Brand const& brand) {
    FUZZ_CHECK(read.max_price == plain.max_price && read.min_price == plain.min_price);
    FUZZ_CHECK(read.cheapest == plain.cheapest && read.priciest == plain.priciest && read.in_stock_only == plain.in_stock_only);
    FUZZ_CHECK(read.asks_price == plain.asks_price && read.asks_availability == plain.asks_availability &&
               read.asks_specs == plain.asks_specs && read.asks_compare == plain.asks_compare);
    FUZZ_CHECK(read.greeting == plain.greeting && read.thanks == plain.thanks && read.asks_company == plain.asks_company &&
               read.shopping_words == plain.shopping_words);
    auto const& all = concepts();
    auto known = [&](Concept const* c) { return c >= all.data() && c < all.data() + all.size(); };
    for (auto const* c : read.categories) FUZZ_CHECK(known(c) && c->is_category);
    for (auto const* c : read.qualities) FUZZ_CHECK(known(c));
    std::string normalized(message); // "non X" is one word to the reader
    normalize_search_text(normalized);
    auto tokens = word_tokens(normalized);
    // A corrected word after "non" is joined to it ("noixe non noixe" -> "noise nonnoise").
    auto corrected = [&](std::string_view t) {
        return brand.vocabulary->contains(t) || (t.starts_with("non") && brand.vocabulary->contains(t.substr(3)));
    };
    for (auto const& t : read.other_terms)
        FUZZ_CHECK(std::find(tokens.begin(), tokens.end(), t) != tokens.end() || corrected(t));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* bytes, std::size_t size) {
    std::string message(reinterpret_cast<char const*>(bytes), size);
    (void)detect_language(message);
    auto plain = parse_query(message);
    check_query(plain, message);

    RankingOptions options;
    for (auto const& brand : brands()) {
        auto query = read_query(*brand, message);
        check_read_query(query, plain, message, *brand);
        RankingContext first_turn;
        auto ranking = rank_products(*brand, query, first_turn, options);
        check_ranking(ranking, *brand, query, options);

        // The same message again as the next turn, so follow-ups and topic keeping run too.
        RankingContext next_turn;
        for (auto const& s : ranking.suggestions) next_turn.last_product_ids.push_back(s.product->id);
        next_turn.last_confidence = ranking.confidence;
        next_turn.recent_user_messages = {message};
        auto follow_up = rank_products(*brand, query, next_turn, options);
        check_ranking(follow_up, *brand, query, options);

        // The first turn answered in text in the brand's language, the next in voice in the
        // other one: between the two brands, every language with and without voice.
        for (bool voice : {false, true}) {
            ReplyRequest request;
            request.brand = brand;
            request.message = message;
            bool english = (brand->language == Language::english) != voice;
            request.language = english ? Language::english : Language::indonesian;
            request.voice = voice;
            request.query = query;
            request.ranking = voice ? follow_up : ranking;
            check_answer(compose_catalog_answer(request), voice);
        }
    }
    return 0;
}
