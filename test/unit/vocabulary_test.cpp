// Shoppers' words meeting the catalog's: other forms of a word (Snowball's stemmers) and typing
// slips (edit distance), against the bundled catalogs.
#include "brandchat/catalog/ranking.hpp"
#include "brandchat/search/vocabulary.hpp"
#include "test_brands.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <utility>

using namespace brandchat;
using brandchat::test::bundled;

namespace {

std::vector<std::string> picks(std::string const& brand, std::string const& message) {
    auto const& b = bundled(brand);
    auto ranking = rank_products(b, read_query(b, message), {});
    std::vector<std::string> ids;
    for (auto const& s : ranking.suggestions) ids.push_back(s.product->id);
    return ids;
}

} // namespace

TEST_CASE("vocabulary: the forms of a word share a stem key in both languages") {
    CHECK(stem_key("laptopnya") == stem_key("laptop"));
    CHECK(stem_key("kulkasnya") == stem_key("kulkas"));
    CHECK(stem_key("phones") == stem_key("phone"));
    CHECK(stem_key("monitors") == stem_key("monitor"));
    CHECK(stem_key("laptop") != stem_key("monitor"));
}

TEST_CASE("vocabulary: corrections come from the catalog, and only for words it does not use") {
    auto const& techpro = *bundled("techpro").vocabulary;
    CHECK(techpro.correct("laptopnya") == "laptop");
    CHECK(techpro.correct("laptpo") == "laptop");  // two letters swapped: one edit
    CHECK(techpro.correct("laptop").empty());      // the catalog's own word
    CHECK(techpro.correct("xqzvw").empty());       // nothing near
    CHECK(techpro.correct("abc").empty());         // too short to guess at
    CHECK(techpro.correct("16gbx").empty());       // a digit: a model or a size, never guessed
    auto const& rumahkita = *bundled("rumahkita").vocabulary;
    CHECK(rumahkita.correct("pintuu") == "pintu");
    CHECK(rumahkita.correct("kulkasnya") == "kulkas");
    bool changed = false;
    CHECK(techpro.correct_message("Laptpo GAMING murah", {"laptpo"}, changed) == "laptop gaming murah");
    CHECK(changed);
    CHECK(techpro.correct_message("laptop gaming", {"gaming"}, changed) == "laptop gaming");
    CHECK_FALSE(changed);
}

TEST_CASE("vocabulary: finished in steps it corrects as finished at once") {
    // What apply_brand_change_in_slices does for a large catalog published beside chats.
    auto fill = [](Vocabulary& v) {
        for (auto const& p : bundled("techpro").products)
            for (auto const& w : {p.name, p.category, p.description}) {
                std::string word;
                for (char c : w + " ") {
                    if (std::isalnum(static_cast<unsigned char>(c))) word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                    else if (!word.empty()) v.add(std::exchange(word, {}));
                }
            }
    };
    Vocabulary whole, stepped;
    fill(whole);
    fill(stepped);
    whole.finish();
    stepped.begin_finish();
    CHECK_FALSE(stepped.finished());
    std::size_t steps = 0, left = stepped.size();
    while (auto now = stepped.finish_some(3)) {
        CHECK(now < left); // each step does some
        left = now;
        ++steps;
    }
    CHECK(stepped.finished());
    CHECK(whole.finished());
    CHECK(steps > 10);
    for (auto word : {"laptopnya", "laptpo", "laptop", "monitors", "gamng", "xqzvw", "keyboardnya"})
        CHECK_MESSAGE(stepped.correct(word) == whole.correct(word), word);
    CHECK(stepped.correct("laptpo") == "laptop");
}

TEST_CASE("ranking: other forms and slips of a word find what the word finds") {
    CHECK_FALSE(picks("techpro", "laptop").empty());
    CHECK(picks("techpro", "laptopnya") == picks("techpro", "laptop"));
    CHECK(picks("techpro", "ada laptopnya?") == picks("techpro", "ada laptop?"));
    CHECK(picks("techpro", "phones") == picks("techpro", "phone"));
    CHECK(picks("techpro", "laptpo gaming") == picks("techpro", "laptop gaming"));
    CHECK_FALSE(picks("rumahkita", "kulkas").empty());
    CHECK(picks("rumahkita", "kulkasnya") == picks("rumahkita", "kulkas"));
    CHECK(picks("rumahkita", "kulkas 2 pintuu") == picks("rumahkita", "kulkas 2 pintu"));
}

TEST_CASE("vocabulary: ordinary words are not taken for the catalog's") {
    auto const& techpro = *bundled("techpro").vocabulary;
    auto const& rumahkita = *bundled("rumahkita").vocabulary;
    for (auto word : {"then", "gave", "mine", "cucu"}) {
        CAPTURE(word);
        CHECK(techpro.correct(word).empty());
        CHECK(rumahkita.correct(word).empty());
    }
    CHECK(rumahkita.correct("kemeja").empty()); // its stem is "meja" once "ke-" is off: another word
    CHECK(rumahkita.correct("dingin").empty()); // "pendingin" shares its stem, not its beginning
    // A correction never changes what the message asks.
    auto const& b = bundled("techpro");
    auto q = read_query(b, "helo, whats the differense between laptpo models?");
    CHECK(q.greeting == parse_query("helo, whats the differense between laptpo models?").greeting);
    CHECK(q.asks_compare == parse_query("helo, whats the differense between laptpo models?").asks_compare);
    CHECK(picks("rumahkita", "kado buat cucu") == picks("rumahkita", "kado buat"));
}

TEST_CASE("vocabulary: at most the first 16 unknown words of a message are looked up") {
    auto const& b = bundled("techpro");
    std::string padding;
    for (int i = 0; i < 16; ++i) padding += "zqxwv" + std::string(1, static_cast<char>('a' + i)) + " ";
    CHECK(read_query(b, "laptpo").categories.size() == 1);   // alone, it is a laptop
    auto late = read_query(b, padding + "laptpo");
    CHECK(late.categories.empty());                           // the 17th word is left as typed
    CHECK(std::find(late.other_terms.begin(), late.other_terms.end(), "laptpo") != late.other_terms.end());
}
