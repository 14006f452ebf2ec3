#include "brandchat/search/vocabulary.hpp"

#include "brandchat/catalog/query.hpp"
#include "brandchat/catalog/ranking.hpp"
#include "brandchat/language/text.hpp"

#include <libstemmer.h>

#include <algorithm>
#include <memory>

namespace brandchat {

namespace {

struct StemmerDeleter {
    void operator()(sb_stemmer* s) const { sb_stemmer_delete(s); }
};
using Stemmer = std::unique_ptr<sb_stemmer, StemmerDeleter>;

// A stemmer keeps state between calls: one per thread (tests run servers on threads of their own).
std::string_view stem_with(sb_stemmer* stemmer, std::string_view word) {
    auto const* out = sb_stemmer_stem(stemmer, reinterpret_cast<sb_symbol const*>(word.data()), static_cast<int>(word.size()));
    if (!out) return word; // out of memory: the word as it is
    return {reinterpret_cast<char const*>(out), static_cast<std::size_t>(sb_stemmer_length(stemmer))};
}

bool alphabetic(std::string_view w) {
    return std::all_of(w.begin(), w.end(), [](char c) { return (c >= 'a' && c <= 'z') || static_cast<unsigned char>(c) >= 0x80; });
}

// Optimal string alignment distance, stopping early past `limit`.
std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit) {
    if (a.size() > b.size() + limit || b.size() > a.size() + limit) return limit + 1;
    thread_local std::vector<std::size_t> prev2, prev, row; // reused: this runs per catalog word
    prev2.assign(b.size() + 1, 0);
    prev.assign(b.size() + 1, 0);
    row.assign(b.size() + 1, 0);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        row[0] = i;
        std::size_t best = row[0];
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            row[j] = std::min({prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) row[j] = std::min(row[j], prev2[j - 2] + 1);
            best = std::min(best, row[j]);
        }
        if (best > limit) return limit + 1;
        std::swap(prev2, prev);
        std::swap(prev, row);
    }
    return prev[b.size()];
}

} // namespace

std::string stem_key(std::string_view word) {
    thread_local Stemmer english(sb_stemmer_new("english", "UTF_8"));
    thread_local Stemmer indonesian(sb_stemmer_new("indonesian", "UTF_8"));
    if (!english || !indonesian) return std::string(word);
    // Indonesian first: its suffixes (-nya, -kan, -lah) end words the English stemmer would cut
    // elsewhere ("kulkasnya" → "kulkas" → "kulka", as "kulkas" → "kulka").
    std::string first(stem_with(indonesian.get(), word));
    return std::string(stem_with(english.get(), first));
}

void Vocabulary::add(std::string_view word, std::uint32_t products, std::uint32_t in_names) {
    auto& c = count_[std::string(word)];
    c.products += products;
    c.in_names += in_names;
}

std::uint32_t Vocabulary::products_using(std::string_view word) const {
    auto it = count_.find(std::string(word));
    return it == count_.end() ? 0 : it->second.products;
}

void Vocabulary::add_name_kind(std::string_view word, std::string_view kind) {
    auto& kinds = name_kinds_[std::string(word)];
    if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) kinds.emplace_back(kind);
}

bool Vocabulary::names_kind(std::string_view word, std::string_view kind) const {
    auto it = name_kinds_.find(std::string(word));
    return it != name_kinds_.end() && std::find(it->second.begin(), it->second.end(), kind) != it->second.end();
}

std::uint32_t Vocabulary::names_using(std::string_view word) const {
    auto it = count_.find(std::string(word));
    return it == count_.end() ? 0 : it->second.in_names;
}

void Vocabulary::finish() {
    begin_finish();
    finish_some(SIZE_MAX);
}

void Vocabulary::begin_finish() {
    // Concept words are known (never corrected), but only the catalog's own words are targets: a
    // correction must lead to products, and a shopper's "cucu" is not a misspelt "cuci".
    for (auto const& c : concepts())
        for (auto w : c.words)
            if (single_word_text(w)) count_.try_emplace(std::string(w));
    by_stem_.clear();
    by_letter_.assign(256, {});
    finishing_ = count_.begin();
    left_ = count_.size();
    finished_ = false;
}

std::size_t Vocabulary::finish_some(std::size_t words) {
    for (; finishing_ != count_.end() && words > 0; ++finishing_, --words, --left_) {
        auto const& [word, counts] = *finishing_;
        auto n = counts.products;
        if (n == 0 || !alphabetic(word) || word.size() < 3) continue;
        auto& best = by_stem_[stem_key(word)];
        auto current = best.empty() ? 0 : count_.at(best).products;
        if (best.empty() || n > current || (n == current && word.size() < best.size()) ||
            (n == current && word.size() == best.size() && word < best))
            best = word;
        by_letter_[static_cast<unsigned char>(word[0])].push_back(&word);
    }
    if (left_ == 0) finished_ = true;
    return left_;
}

std::string Vocabulary::correct(std::string_view word) const {
    if (word.size() < 4 || !alphabetic(word) || contains(word)) return {};
    // The same stem, and the same beginning: inflections add endings ("laptopnya", "phones"); a
    // stem reached by taking off a prefix ("kemeja" → "meja", "dingin" → "pendingin") is
    // another word.
    if (auto it = by_stem_.find(stem_key(word)); it != by_stem_.end()) {
        auto const& target = it->second;
        auto shared = std::mismatch(word.begin(), word.end(), target.begin(), target.end()).first - word.begin();
        if (static_cast<std::size_t>(shared) >= std::min<std::size_t>({4, word.size(), target.size()})) return target;
    }
    // A slip: five letters at least ("then", "gave", "mine" are words, not slips of "thin", "game", "mini").
    if (word.size() < 5 || by_letter_.empty()) return {};
    std::size_t limit = word.size() >= 8 ? 2 : 1;
    std::string const* best = nullptr;
    std::size_t best_distance = limit + 1;
    for (auto const* candidate : by_letter_[static_cast<unsigned char>(word[0])]) {
        auto d = edit_distance(word, *candidate, std::min(limit, best_distance));
        if (d > limit || d > best_distance) continue;
        if (d < best_distance || count_.at(*candidate).products > count_.at(*best).products ||
            (count_.at(*candidate).products == count_.at(*best).products && *candidate < *best)) {
            best = candidate;
            best_distance = d;
        }
    }
    return best ? *best : std::string();
}

std::string Vocabulary::correct_message(std::string_view message, std::vector<std::string> const& terms, bool& changed) const {
    changed = false;
    std::string text = to_lower_ascii(message);
    // A correction scans the catalog's words: a message of a thousand made-up words must not
    // hold the event loop for it. The first few are what a shopper means.
    constexpr std::size_t most_terms = 16;
    for (std::size_t i = 0; i < terms.size() && i < most_terms; ++i) {
        auto const& term = terms[i];
        auto replacement = correct(term);
        if (replacement.empty()) continue;
        std::string out;
        std::size_t from = 0;
        for (auto pos = text.find(term); pos != std::string::npos; pos = text.find(term, pos + 1)) {
            bool starts = pos == 0 || !is_word_byte(text[pos - 1]);
            bool ends = pos + term.size() == text.size() || !is_word_byte(text[pos + term.size()]);
            if (!starts || !ends) continue;
            out.append(text, from, pos - from);
            out += replacement;
            from = pos + term.size();
            changed = true;
        }
        out.append(text, from);
        text = std::move(out);
    }
    return text;
}

} // namespace brandchat
