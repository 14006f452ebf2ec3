// The sentence limiter: a model's reply text (voice mode) through SentenceLimiter, in one piece,
// one byte at a time, and in pieces of 1 to 8 bytes cut at UTF-8 character boundaries (as model
// tokens come). Checks, beyond not crashing:
// - every split forwards the same text, and all of it is a prefix of the input;
// - what is forwarded ends the sentence where the header says one ends: either the whole input,
//   or the input goes on with whitespace right after it;
// - nothing is forwarded once done() is true, and finish() is needed only when push() never
//   said done;
// - for valid UTF-8 input cut at character boundaries, every forwarded piece is valid UTF-8
//   (each goes to the client as its own chunk frame, where a split character would be replaced);
// - first_sentence() is the one-piece result without surrounding whitespace.
#include "brandchat/language/sentence_limiter.hpp"
#include "fuzz_check.hpp"

#include <cstdint>
#include <string>
#include <vector>

using namespace brandchat;

namespace {

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

// Feeds the pieces, checking each step; returns everything forwarded.
std::string run(std::string_view input, std::vector<std::size_t> const& cuts, bool pieces_valid_utf8) {
    SentenceLimiter limiter;
    std::string out;
    std::size_t at = 0;
    bool done = false;
    for (std::size_t i = 0; i <= cuts.size(); ++i) {
        std::size_t end = i < cuts.size() ? cuts[i] : input.size();
        auto step = limiter.push(input.substr(at, end - at));
        at = end;
        if (done) FUZZ_CHECK(step.forward.empty() && !step.done);
        if (pieces_valid_utf8) FUZZ_CHECK(fuzz::valid_utf8(step.forward));
        out += step.forward;
        FUZZ_CHECK(input.substr(0, at).starts_with(out));
        done = done || step.done;
        FUZZ_CHECK(limiter.done() == done);
    }
    if (!done) {
        auto step = limiter.finish();
        FUZZ_CHECK(step.done && limiter.done());
        if (pieces_valid_utf8) FUZZ_CHECK(fuzz::valid_utf8(step.forward));
        out += step.forward;
    }
    FUZZ_CHECK(limiter.push("more. text").forward.empty());
    return out;
}

std::string trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return std::string(s);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* bytes, std::size_t size) {
    std::string_view input(reinterpret_cast<char const*>(bytes), size);
    bool utf8 = fuzz::valid_utf8(input);

    auto whole = run(input, {}, utf8);
    FUZZ_CHECK(input.starts_with(whole));
    FUZZ_CHECK(whole.size() == input.size() || is_space(input[whole.size()]));
    FUZZ_CHECK(first_sentence(input) == trim(whole));

    std::vector<std::size_t> every_byte;
    for (std::size_t i = 1; i < size; ++i) every_byte.push_back(i);
    FUZZ_CHECK(run(input, every_byte, false) == whole);

    std::vector<std::size_t> tokens;
    std::uint32_t state = 2166136261u;
    for (auto c : input) state = (state ^ static_cast<unsigned char>(c)) * 16777619u;
    for (std::size_t at = 0;;) {
        state = state * 1103515245u + 12345u;
        at += 1 + (state >> 16) % 8;
        while (at < size && (static_cast<unsigned char>(input[at]) & 0xC0) == 0x80) ++at;
        if (at >= size) break;
        tokens.push_back(at);
    }
    FUZZ_CHECK(run(input, tokens, utf8) == whole);
    return 0;
}
