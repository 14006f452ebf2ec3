#include "brandchat/language/language.hpp"
#include "brandchat/language/sentence_limiter.hpp"
#include "brandchat/language/text.hpp"

#include <doctest/doctest.h>

#include <random>

using namespace brandchat;

TEST_CASE("language detection: English, Indonesian, and undecided short text") {
    CHECK(detect_language("I need a laptop for business work") == Language::english);
    CHECK(detect_language("Saya butuh laptop untuk kerja kantor") == Language::indonesian);
    CHECK(detect_language("Berapa harganya?") == Language::indonesian);
    CHECK(detect_language("What's the price?") == Language::english);
    CHECK(detect_language("cari kulkas yang murah dong") == Language::indonesian);
    CHECK_FALSE(detect_language("ok"));
    CHECK_FALSE(detect_language("ThinkPad X1"));
}

TEST_CASE("a prefix cut between UTF-8 characters") {
    std::string text = "ab\xE2\x82\xAC" "c"; // "ab€c"
    CHECK(utf8_prefix_length(text, 100) == text.size());
    CHECK(utf8_prefix_length(text, 2) == 2);
    CHECK(utf8_prefix_length(text, 3) == 2);
    CHECK(utf8_prefix_length(text, 4) == 2);
    CHECK(utf8_prefix_length(text, 5) == 5);
    CHECK(utf8_prefix_length("\xE2\x82\xAC", 1) == 3);  // never empty: the whole character
    CHECK(utf8_prefix_length("\x82\x82\x82\x82\x82x", 2) == 5); // no character starts: past the run
}

TEST_CASE("rupiah formatting") {
    CHECK(format_rupiah(19999000.0) == "Rp 19.999.000");
    CHECK(format_rupiah(599000) == "Rp 599.000");
    CHECK(format_rupiah(999) == "Rp 999");
    CHECK(format_rupiah(1000) == "Rp 1.000");
    CHECK(format_rupiah(999.5) == "Rp 1.000");
    CHECK(format_rupiah(-1500) == "-Rp 1.500");
    // Beyond a long long's range (found by test/fuzz/query.cpp: it printed a negative amount).
    CHECK(format_rupiah(1e19) == "Rp 10.000.000.000.000.000.000");
    CHECK(format_rupiah(9.43e19) == "Rp 94.300.000.000.000.000.000");
}

TEST_CASE("word tokens keep numbers whole") {
    auto t = word_tokens("Budget Rp 8.000.000, please!");
    REQUIRE(t.size() == 4);
    CHECK(t[0] == "budget");
    CHECK(t[2] == "8.000.000");
}

TEST_CASE("first sentence: prices, decimals and abbreviations are not sentence ends") {
    CHECK(first_sentence("The Dell XPS 13 Plus costs Rp 19.999.000. It has 16GB RAM.") == "The Dell XPS 13 Plus costs Rp 19.999.000.");
    CHECK(first_sentence("It weighs 1.2 kg, e.g. lighter than most. Second.") == "It weighs 1.2 kg, e.g. lighter than most.");
    CHECK(first_sentence("Harganya Rp 5.999.000 dll. untuk pelajar! Lalu") == "Harganya Rp 5.999.000 dll. untuk pelajar!");
    CHECK(first_sentence("Options:\n- A\n- B") == "Options:");
    CHECK(first_sentence("No terminator at all") == "No terminator at all");
    CHECK(first_sentence("Really?! Yes.") == "Really?!");
}

TEST_CASE("sentence limiter gives the same result for any split of the stream") {
    std::string const text = "The MacBook Air costs Rp 18.499.000 (approx. 1.24 kg). After that, more text follows.";
    std::string const expected = "The MacBook Air costs Rp 18.499.000 (approx. 1.24 kg).";
    std::mt19937 rng(42);
    for (int round = 0; round < 300; ++round) {
        SentenceLimiter limiter;
        std::string out;
        std::size_t i = 0;
        bool done = false;
        while (i < text.size() && !done) {
            std::size_t n = 1 + rng() % 7;
            auto step = limiter.push(std::string_view(text).substr(i, n));
            out += step.forward;
            done = step.done;
            i += n;
        }
        if (!done) out += limiter.finish().forward;
        CHECK(out == expected);
    }
}

TEST_CASE("sentence limiter: spaces before the line break that ends the sentence stay out, in any split") {
    // Found by test/fuzz/sentence_limiter.cpp: fed in two pieces cut after the spaces, the
    // spaces had already been forwarded ("Hello there  "), unlike the same text in one piece.
    std::string const text = "Hello there  \nnext line";
    for (std::size_t cut = 0; cut <= text.size(); ++cut) {
        SentenceLimiter limiter;
        auto first = limiter.push(std::string_view(text).substr(0, cut));
        std::string out = first.forward;
        if (!first.done) {
            auto second = limiter.push(std::string_view(text).substr(cut));
            out += second.forward;
            if (!second.done) out += limiter.finish().forward;
        }
        CHECK(out == "Hello there");
    }
    // Spaces that a word follows are forwarded with it; at the end of the stream, as they came.
    SentenceLimiter limiter;
    CHECK(limiter.push("Hi  ").forward == "Hi");
    CHECK(limiter.push("you").forward == "  you");
    CHECK(limiter.push(" ").forward.empty());
    CHECK(limiter.finish().forward == " ");
}

TEST_CASE("the sentence limiter finds a sentence end that a forwarded quote left open") {
    // The limiter scans only past what it has forwarded (found by the sentence_limiter fuzz
    // target: rescanning everything made many blank lines cost the cube of their length); a
    // terminator followed by a closing quote is forwarded, and the space after it still ends it.
    SentenceLimiter limiter;
    auto first = limiter.push("He said \"hi.\"");
    CHECK_FALSE(first.done);
    auto second = limiter.push(" And then more.");
    CHECK(second.done);
    CHECK(first.forward + second.forward == "He said \"hi.\"");
    SentenceLimiter blank;
    std::string lines(2000, '\n');
    CHECK_FALSE(blank.push(lines).done);
    auto ended = blank.push("Text\nmore");
    CHECK(ended.done);
    CHECK(ended.forward.ends_with("Text"));
}

TEST_CASE("a form feed before a line break is blank, pushed whole or byte by byte") {
    // Found by test/fuzz/sentence_limiter.cpp after the one-pass scan: it took '\f' for text.
    std::string input = "\n\f\n\nA.\xe2\x98\xba ";
    SentenceLimiter whole;
    auto all = whole.push(input);
    std::string at_once = all.forward + (all.done ? "" : whole.finish().forward);
    SentenceLimiter bytes;
    std::string one_by_one;
    bool done = false;
    for (char c : input) {
        auto step = bytes.push(std::string_view(&c, 1));
        one_by_one += step.forward;
        if ((done = step.done)) break;
    }
    if (!done) one_by_one += bytes.finish().forward;
    CHECK(one_by_one == at_once);
}
