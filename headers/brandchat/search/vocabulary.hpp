// The words a brand's catalog uses, so that a shopper's words meet them: another form of the same
// word ("laptopnya", "phones" → "laptop", "phone": Snowball's Indonesian and English stemmers,
// libstemmer) and typing slips ("laptpo", "pintuu" → "laptop", "pintu": an edit-distance pass
// over the catalog's words). Learned from the catalog at load, nothing listed by hand; the query
// reader's concept words (query.hpp) are part of every brand's vocabulary.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace brandchat {

class Vocabulary {
public:
    // Not copied: by_letter_ and the steps of finish_some() point into this one's words.
    Vocabulary() = default;
    Vocabulary(Vocabulary const&) = delete;
    Vocabulary& operator=(Vocabulary const&) = delete;

    // Counts `products` more products using `word` (lowercase), `in_names` of them in their name.
    void add(std::string_view word, std::uint32_t products = 1, std::uint32_t in_names = 0);
    // How many products the catalog has: with products_using(), a word's inverse document
    // frequency for BM25 (search/bm25.hpp) over a catalog the ranking does not hold in memory.
    void set_documents(std::size_t n) { documents_ = n; }
    std::size_t documents() const { return documents_; }
    std::uint32_t products_using(std::string_view word) const;
    // Products whose name has the word: a product line or model ("macbook", "galaxy", "s24").
    std::uint32_t names_using(std::string_view word) const;
    // For a word that names a kind of product (query.hpp) and is also in product names: the kinds
    // of those products ("ssd" in "Portable SSD 1TB": storage; "hp" in "HP EliteBook": laptop).
    void add_name_kind(std::string_view word, std::string_view kind);
    bool names_kind(std::string_view word, std::string_view kind) const;
    // Adds the concept words and works out the stems; call once after the last add().
    void finish();
    // The same work in steps, for a large catalog published beside chats: begin_finish(), then
    // finish_some() until it returns 0 (the words still to do). correct() needs it done.
    void begin_finish();
    std::size_t finish_some(std::size_t words);
    bool finished() const { return finished_; }

    bool contains(std::string_view word) const { return count_.contains(std::string(word)); }
    std::size_t size() const { return count_.size(); }

    // The catalog's word for a word neither it nor the query reader uses: the most used catalog
    // word with the same stem and the same first four letters, else (for words of five letters
    // or more) the nearest catalog word by edit distance (one edit up to 7 letters, two from 8;
    // a swap of neighbours is one edit; the first letter as typed). Empty when there is none, or
    // when the word is known, shorter than 4 letters, or holds a digit.
    std::string correct(std::string_view word) const;

    // The message with each of the first 16 words of `terms` that the catalog does not use
    // replaced by correct()'s word where there is one, lowercased; `changed` says whether
    // anything was replaced.
    std::string correct_message(std::string_view message, std::vector<std::string> const& terms, bool& changed) const;

private:
    struct Counts {
        std::uint32_t products = 0; // using it
        std::uint32_t in_names = 0; // of them, naming it
    };
    std::unordered_map<std::string, Counts> count_;
    std::size_t documents_ = 0;
    std::unordered_map<std::string, std::vector<std::string>> name_kinds_;
    std::unordered_map<std::string, std::string> by_stem_;     // stem key → the most used word with it
    std::vector<std::vector<std::string const*>> by_letter_;   // first byte → alphabetic words of ≥ 3 letters
    // Between begin_finish() and the end of the steps (a copy made meanwhile must not take them).
    std::unordered_map<std::string, Counts>::const_iterator finishing_;
    std::size_t left_ = 0; // words finish_some() has still to do
    bool finished_ = false;
};

// The key two forms of a word share: Snowball's English stemmer applied after its Indonesian one.
std::string stem_key(std::string_view word);

} // namespace brandchat
