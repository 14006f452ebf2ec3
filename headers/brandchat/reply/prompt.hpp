// What the language model is told: the brand's persona and company information, the rules
// (the customer's language; one speakable sentence in voice mode), the matched products with
// rupiah prices, features and availability, the recent history within a character budget, and
// the message. Pure: builds the JSON body of POST /chat/completions.
#pragma once

#include "brandchat/reply/responder.hpp"

#include <array>
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

std::string system_prompt(Brand const& brand, Language language, bool voice);
std::string product_line(Product const& product); // one product in the catalog information
std::string products_prompt(ReplyRequest const& request);

// The parts of a request body that depend on the brand alone, JSON-escaped once (without
// quotes): the system message for each language and mode, and each product's catalog line.
// Most of a body is then copied from here rather than built and escaped per chat message.
struct BrandPrompt {
    Brand const* brand = nullptr;      // the brand they were made from
    std::array<std::string, 4> system; // [language * 2 + voice]
    std::vector<std::string> product_lines; // by index in brand.products
    static std::size_t slot(Language language, bool voice) { return static_cast<std::size_t>(language) * 2 + (voice ? 1 : 0); }
    std::string const& system_for(Language language, bool voice) const { return system[slot(language, voice)]; }
};
BrandPrompt brand_prompt(Brand const& brand);

// The request body, with the brand's parts copied from `parts` (made for request.brand; parts
// of another brand are not used).
std::string chat_completion_body(ReplyRequest const& request, PromptSettings const& settings, BrandPrompt const& parts);
// The same, escaping the brand's parts for this one body.
std::string chat_completion_body(ReplyRequest const& request, PromptSettings const& settings);

} // namespace brandchat
