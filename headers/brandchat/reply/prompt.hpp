// What the language model is told: the brand's persona and company information, the rules
// (the customer's language; one speakable sentence in voice mode), the matched products with
// rupiah prices, features and availability, the recent history within a character budget, and
// the message. Pure: builds the JSON body of POST /chat/completions.
#pragma once

#include "brandchat/reply/responder.hpp"

#include <string>
#include <vector>

namespace brandchat {

struct PromptSettings {
    std::string model;
    double temperature = 0.7;
    std::size_t max_tokens = 600;
    std::size_t voice_max_tokens = 80;
    std::size_t history_budget_chars = 6000;
};

// The most recent turns whose text fits in `budget_chars`, oldest first; a turn is never cut.
std::vector<Turn> trim_history(std::vector<Turn> const& history, std::size_t budget_chars);

std::string system_prompt(ReplyRequest const& request);
std::string products_prompt(ReplyRequest const& request);
std::string chat_completion_body(ReplyRequest const& request, PromptSettings const& settings);

} // namespace brandchat
