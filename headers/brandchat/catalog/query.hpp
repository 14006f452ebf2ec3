// What a customer's message asks for, read without a model: the product concepts it names
// (with English/Indonesian synonyms folded together), price limits ("under 15 million",
// "di bawah 10 juta", "budget Rp 8.000.000"), ordering ("cheapest", "termurah") and the kind of
// question (greeting, company, price, availability, specs, comparison), amounts with units ("16GB",
// "1 PK", quantity.hpp), the shop's topics ("ongkir", "bisa cicilan?") and what it refers back to
// ("which one", "the first two", "yang mana", "the Pro version").
#pragma once

#include "brandchat/catalog/quantity.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace brandchat {

// A group of words that mean the same thing to a shopper ("laptop", "notebook", "ultrabook").
struct Concept {
    std::string_view name;                  // canonical word
    std::vector<std::string_view> words;    // every word that names it, lowercase
    bool is_category = false;               // names a kind of product, not a quality of one
    bool hard = false;                      // a yes/no attribute ("4K", "inverter", "wireless"): a
                                            // product without it fits at most half as well
    bool measured = false;                  // said with an amount it qualifies ("RAM 8GB", "50MP camera")
};

// What a shopper asks about the shop rather than its products; each is answered from one field
// of the brand's company information (shop_topic_field).
enum class ShopTopic : std::uint8_t { about, address, hours, shipping, returns, warranty, payment, contact };
std::string_view shop_topic_field(ShopTopic topic);

// How a message points back at the products last shown.
struct Reference {
    bool refers = false;      // "it", "which one", "them", "the first two", "yang mana", "harganya": those products
    bool refine = false;      // "what about the Pro version?", "anything cheaper?", "ada yang lebih murah?":
                              // the last search again, changed by this message
    bool cheaper = false;     // "cheaper", "lebih murah"
    bool pricier = false;     // "more expensive", "lebih mahal"
    static constexpr std::size_t last = static_cast<std::size_t>(-1); // "the last one" as `first`
    std::size_t first = 0;    // an ordinal pick among them ("the second one": first 1, count 1)
    std::size_t count = 0;    // 0: all of them
};

struct Query {
    std::vector<Concept const*> categories; // kinds of product asked for
    std::vector<Concept const*> qualities;  // concepts that are not categories ("gaming", "business"), and a
                                            // kind named after "with"/"for" beside another ("laptop with a keyboard")
    std::vector<std::string> other_terms;   // remaining content words (brand names, model names, a
                                            // number after one: "iphone 15", "macbook pro 16")
    // Each concept named, with the word that named it ("hp" names a phone in Indonesian, and is a
    // laptop maker's name too: read_query decides which by the catalog).
    std::vector<std::pair<std::string, Concept const*>> concept_words;
    // For each of other_terms: whether it stands beside a kind or another such term ("Huawei
    // phones", "mesin kopi"): a word no product uses there is a product line the shop lacks.
    std::vector<bool> beside_a_name;
    std::vector<AskedQuantity> quantities;  // "16GB", "at least 8 kg", "1 PK"
    // "The lightest" ("paling ringan", "teringan"): the product listing the least of this unit
    // first; `most` for "the biggest screen" ("layar terbesar").
    struct Superlative {
        Unit unit = Unit::kilogram;
        bool most = false;
        bool any_size = false; // "the smallest": in the first of liter, inch, kg, GB they all list
    };
    std::optional<Superlative> superlative;
    std::vector<ShopTopic> shop_topics;     // in the order the message names them
    Reference reference;
    std::optional<double> max_price;
    std::optional<double> min_price;
    bool cheapest = false;
    bool priciest = false;
    bool in_stock_only = false;
    bool asks_price = false;
    bool asks_availability = false;
    bool asks_specs = false;
    bool asks_compare = false;
    bool greeting = false;
    bool thanks = false;
    bool asks_company = false;
    bool shopping_words = false;            // "need", "looking for", "recommend", "cari", "butuh"

    bool has_product_terms() const {
        return !categories.empty() || !qualities.empty() || !other_terms.empty() || !quantities.empty();
    }
    bool has_price_limit() const { return max_price || min_price; }
};

Query parse_query(std::string_view message);

// An amount of rupiah written by a customer: "15 million", "15 juta", "15jt", "1.5 juta",
// "Rp 8.000.000", "8,000,000", "500 ribu", "500rb", "500k", "15m". nullopt when not an amount.
std::optional<double> parse_rupiah_amount(std::string_view number, std::string_view unit);

Concept const* find_concept(std::string_view word);

// Every concept parse_query knows, in a fixed order: a concept's index in it is its number.
std::vector<Concept> const& concepts();

} // namespace brandchat
