#include "brandchat/language/sentence_limiter.hpp"
#include "brandchat/language/text.hpp"
#include "brandchat/reply/catalog_answer.hpp"
#include "brandchat/reply/catalog_responder.hpp"
#include "test_brands.hpp"

#include <doctest/doctest.h>

using namespace brandchat;

namespace {
ReplyRequest request(std::string brand, std::string message, Language language, bool voice, RankingContext context = {}) {
    ReplyRequest r;
    r.brand = test::bundled_brands().find(brand);
    r.message = message;
    r.language = language;
    r.voice = voice;
    r.query = parse_query(message);
    r.ranking = rank_products(*r.brand, r.query, context);
    return r;
}
} // namespace

TEST_CASE("recommendations name the products with rupiah prices") {
    auto r = request("techpro", "I need a laptop for business work", Language::english, false);
    auto text = compose_catalog_answer(r);
    REQUIRE_FALSE(r.ranking.suggestions.empty());
    for (auto const& s : r.ranking.suggestions) {
        CHECK(text.find(s.product->name) != std::string::npos);
        CHECK(text.find(format_rupiah(s.product->price)) != std::string::npos);
    }
}

TEST_CASE("voice answers are exactly one sentence") {
    for (auto msg : {"I need a laptop for business work", "Hello", "Tell me about your company", "What is your cheapest phone?"}) {
        auto text = compose_catalog_answer(request("techpro", msg, Language::english, true));
        CHECK_MESSAGE(first_sentence(text) == text, msg);
        CHECK(text.find('\n') == std::string::npos);
        CHECK(text.find("- ") == std::string::npos);
    }
}

TEST_CASE("Indonesian answers for Indonesian customers") {
    auto text = compose_catalog_answer(request("rumahkita", "Saya cari kulkas yang murah", Language::indonesian, false));
    CHECK(text.find("Berikut") != std::string::npos);
    CHECK(text.find("Rp ") != std::string::npos);
    auto hello = compose_catalog_answer(request("rumahkita", "Halo", Language::indonesian, false));
    CHECK(hello.find("Selamat datang") != std::string::npos);
}

TEST_CASE("follow-up answers: price, comparison, nothing fits") {
    RankingContext context{{"laptop-002", "laptop-001"}, 0.8, {"business laptop"}};
    auto price = compose_catalog_answer(request("techpro", "What's the price?", Language::english, false, context));
    CHECK(price.find("Rp 19.999.000") != std::string::npos);
    auto compare = compose_catalog_answer(request("techpro", "Compare them", Language::english, false, context));
    CHECK(compare.find("cheaper") != std::string::npos);
    auto none = compose_catalog_answer(request("techpro", "a laptop under 1 million", Language::english, false));
    CHECK(none.find("Sorry") != std::string::npos);
}

TEST_CASE("split_words loses nothing") {
    std::string text = "Here is\nwhat I  recommend: Rp 19.999.000.";
    auto words = split_words(text);
    std::string joined;
    for (auto const& w : words) joined += w;
    CHECK(joined == text);
    CHECK(words.size() == 7);
}
