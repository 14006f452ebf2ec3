// What a brand's catalog knows of its products once loaded, for reading messages and ranking:
// each product's kinds, the inverted index of its words (BM25F's counts per field), its
// vocabulary, and whole-word tests on its texts. Built once per catalog, or per message for the
// candidates of a catalog kept in the store.
#pragma once

#include "brandchat/catalog/brand.hpp"
#include "brandchat/catalog/quantity.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace brandchat {

class Vocabulary; // search/vocabulary.hpp

bool has_kind(Product const& product, Concept const* kind);

// Whether the product lists an amount the shopper asked for, beside the quality asked with it
// ("8GB RAM" for "RAM 8GB", not "RTX 4060 8GB").
bool has_quantity(Product const& product, AskedQuantity const& asked);

// Whether a word is in some product's name in this brand (a product line, a model, a maker).
bool names_a_product(Brand const& brand, std::string_view word);

// True when `word` occurs in `text` as a whole word (both lowercase).
bool contains_word(std::string_view text, std::string_view word);
// How many times it does.
std::size_t count_word(std::string_view text, std::string_view word);

// The distinct words of `text` (maximal runs of letters and digits, UTF-8 bytes counting as
// letters), sorted. Looking a single word up in them answers contains_word in log time.
std::vector<std::string> distinct_words(std::string_view text);

// The kinds of product it is (Product::kinds), from its words.
std::vector<Concept const*> kinds_of_product(Product const& product);

// Makes the words of these kinds ("sepeda", "bike" for a shop of bicycles) words of the catalog,
// so that a slip of one ("sepda") is corrected to it even where the catalog says only "Bicycle".
// Before Vocabulary::finish().
void add_kind_words(Vocabulary& vocabulary, std::vector<Concept const*> const& kinds);
void add_kind_words(Vocabulary& vocabulary, std::vector<Product> const& products);

// Fills brand.word_index, average_field_words and vocabulary from its products' words, and each
// product's kinds. For one message's candidates (`whole_catalog` false) only the averages and
// the kinds a product does not have yet: the ranking then scans their texts for the query's words.
void build_word_index(Brand& brand, bool whole_catalog = true);

} // namespace brandchat
