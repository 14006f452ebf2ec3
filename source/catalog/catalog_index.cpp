#include "brandchat/catalog/catalog_index.hpp"

#include "brandchat/catalog/query.hpp"
#include "brandchat/language/text.hpp"
#include "brandchat/search/vocabulary.hpp"

#include <algorithm>
#include <cstdint>
#include <unordered_map>

namespace brandchat {

namespace {

// "Accessory": a kind that does not say what a product is.
Concept const* accessory() {
    static Concept const* const c = find_concept("accessory");
    return c;
}

// The category concepts the lowercase words of `text` name, in order; with `first_only`, the
// first that is not "accessory".
void add_kinds(std::string_view text, std::vector<Concept const*>& kinds, bool first_only = false) {
    // Kinds said in two words first ("Air Fryer", "Yoga Mat", "Mesin Kopi").
    for (auto const& c : concepts()) {
        if (!c.is_category || std::find(kinds.begin(), kinds.end(), &c) != kinds.end()) continue;
        for (auto w : c.words)
            if (!single_word_text(w) && contains_word(text, w)) {
                kinds.push_back(&c);
                if (first_only) return;
                break;
            }
    }
    for_each_word(text, [&](std::string_view word) {
        auto const* c = find_concept(word);
        if (!c || !c->is_category || std::find(kinds.begin(), kinds.end(), c) != kinds.end()) return true;
        if (first_only && c == accessory()) return true;
        kinds.push_back(c);
        return !first_only;
    });
}

// What the category says; where it says nothing but "accessory", what the name says ("Mechanical
// Keyboard"), else the features, else the first kind the description names. A laptop's maker in
// its name ("HP EliteBook", "hp" being a phone to Indonesian shoppers) does not make it a phone.
std::vector<Concept const*> kinds_of(Product const& p) {
    std::vector<Concept const*> kinds;
    auto says_what_it_is = [&] { return std::any_of(kinds.begin(), kinds.end(), [](Concept const* c) { return c != accessory(); }); };
    add_kinds(p.field_text[category_field], kinds);
    if (!says_what_it_is()) add_kinds(p.field_text[name_field], kinds);
    for (std::size_t i = 0; i < p.features.size() && !says_what_it_is(); ++i) add_kinds(to_lower_ascii(p.features[i]), kinds);
    if (!says_what_it_is()) add_kinds(to_lower_ascii(p.description), kinds, true);
    return kinds;
}

} // namespace

bool has_kind(Product const& p, Concept const* c) { return std::find(p.kinds.begin(), p.kinds.end(), c) != p.kinds.end(); }

bool contains_word(std::string_view text, std::string_view word) {
    if (word.empty()) return false;
    for (auto pos = text.find(word); pos != std::string_view::npos; pos = text.find(word, pos + 1)) {
        bool starts = pos == 0 || !is_word_byte(text[pos - 1]);
        auto end = pos + word.size();
        bool ends = end == text.size() || !is_word_byte(text[end]);
        if (starts && ends) return true;
    }
    return false;
}

std::size_t count_word(std::string_view text, std::string_view word) {
    std::size_t n = 0;
    if (word.empty()) return 0;
    for (auto pos = text.find(word); pos != std::string_view::npos; pos = text.find(word, pos + 1)) {
        bool starts = pos == 0 || !is_word_byte(text[pos - 1]);
        auto end = pos + word.size();
        bool ends = end == text.size() || !is_word_byte(text[end]);
        if (starts && ends) ++n;
    }
    return n;
}

std::vector<std::string> distinct_words(std::string_view text) {
    std::vector<std::string> words;
    for_each_word(text, [&](std::string_view word) { words.emplace_back(word); });
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
    brand.average_field_words = {};
    for (auto const& p : brand.products)
        for (std::size_t f = 0; f < field_count; ++f) brand.average_field_words[f] += p.field_words[f];
    if (!brand.products.empty())
        for (auto& a : brand.average_field_words) a /= static_cast<float>(brand.products.size());
    if (!whole_catalog) {
        // A few dozen candidates: the ranking scans their texts for the query's words faster than
        // an index of every word could be built.
        for (auto& p : brand.products)
            if (p.kinds.empty()) p.kinds = kinds_of(p);
        return;
    }
    for (auto& p : brand.products) p.kinds = kinds_of(p);
    brand.word_index.clear();
    std::unordered_map<std::string, std::uint32_t> names; // products naming each word
    for (std::size_t i = 0; i < brand.products.size(); ++i) {
        auto const& p = brand.products[i];
        std::unordered_map<std::string_view, std::array<std::uint8_t, field_count>> counts;
        for (std::size_t f = 0; f < field_count; ++f)
            for_each_word(p.field_text[f], [&](std::string_view w) {
                auto& c = counts[w][f];
                if (c < 255) ++c;
            });
        for (auto const& [w, c] : counts) {
            brand.word_index[std::string(w)].push_back({static_cast<std::uint32_t>(i), c});
            if (c[name_field]) ++names[std::string(w)];
        }
    }
    auto vocabulary = std::make_shared<Vocabulary>();
    for (auto const& [word, entries] : brand.word_index) {
        auto named = names.find(word);
        vocabulary->add(word, static_cast<std::uint32_t>(entries.size()), named == names.end() ? 0 : named->second);
    }
    vocabulary->set_documents(brand.products.size());
    add_kind_words(*vocabulary, brand.products);
    for (auto const& p : brand.products)
        for_each_word(p.field_text[name_field], [&](std::string_view w) {
            if (auto const* c = find_concept(w); c && c->is_category)
                for (auto const* kind : p.kinds) vocabulary->add_name_kind(w, kind->name);
        });
    vocabulary->finish();
    brand.vocabulary = std::move(vocabulary);
}

std::vector<Concept const*> kinds_of_product(Product const& product) { return kinds_of(product); }

void add_kind_words(Vocabulary& vocabulary, std::vector<Concept const*> const& kinds) {
    for (auto const* c : kinds)
        for (auto w : c->words)
            if (single_word_text(w) && vocabulary.products_using(w) == 0) vocabulary.add(w, 1);
}

void add_kind_words(Vocabulary& vocabulary, std::vector<Product> const& products) {
    std::vector<Concept const*> kinds;
    for (auto const& p : products)
        for (auto const* c : p.kinds)
            if (std::find(kinds.begin(), kinds.end(), c) == kinds.end()) kinds.push_back(c);
    add_kind_words(vocabulary, kinds);
}

bool has_quantity(Product const& p, AskedQuantity const& a) {
    return std::any_of(p.quantities.begin(), p.quantities.end(), [&](ListedQuantity const& listed) {
        return meets(listed.quantity, a) &&
               (!a.about || std::any_of(a.about->words.begin(), a.about->words.end(), [&](std::string_view w) { return contains_word(listed.where, w); }));
    });
}

bool names_a_product(Brand const& brand, std::string_view word) {
    if (brand.vocabulary) return brand.vocabulary->names_using(word) > 0;
    return std::any_of(brand.products.begin(), brand.products.end(),
                       [&](Product const& p) { return contains_word(p.field_text[name_field], word); });
}

} // namespace brandchat
