// The text the mock "generates", cut into tokens the way real models stream words: each token is
// a word with the whitespace before it (" word"), except the very first. The passage repeats
// endlessly, so any number of tokens can be asked for. Tokens are escaped for JSON once, here,
// so streaming them costs no allocation.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace mock_llm {

// Default reply: a rupiah price with thousands dots, an abbreviation and a decimal inside
// sentences, so sentence-splitting code downstream meets the cases that trip it.
extern const std::string_view default_passage;

class ReplyTokens {
public:
    // passage must contain at least one non-blank character.
    explicit ReplyTokens(std::string_view passage);

    // The i-th token of the passage repeated endlessly.
    std::string_view token(std::size_t i) const;
    // The same, escaped to sit inside a JSON string literal.
    std::string_view escaped_token(std::size_t i) const;
    // The first count tokens joined: the full reply of a count-token completion.
    std::string text(std::size_t count) const;

private:
    std::vector<std::string> tokens_;   // tokens_[0] has no leading whitespace
    std::vector<std::string> escaped_;
    std::string repeat_first_;          // tokens_[0] with a leading space, where the passage starts over
    std::string escaped_repeat_first_;
};

} // namespace mock_llm
