#include "brandchat/reply/prompt.hpp"

#include "brandchat/language/text.hpp"

#include <boost/json.hpp>

namespace brandchat {

namespace json = boost::json;

std::vector<Turn> trim_history(std::vector<Turn> const& history, std::size_t budget_chars) {
    std::size_t used = 0;
    auto first = history.end();
    while (first != history.begin()) {
        auto const& turn = *(first - 1);
        if (used + turn.text.size() > budget_chars) break;
        used += turn.text.size();
        --first;
    }
    return {first, history.end()};
}

std::string system_prompt(ReplyRequest const& r) {
    auto const& b = *r.brand;
    std::string s;
    s += "You are the shopping assistant of " + b.name + ". " + b.description + "\n";
    if (!b.persona_prompt.empty()) s += b.persona_prompt + "\n";
    if (!b.system_prompt.empty()) s += b.system_prompt + "\n";
    s += "\nCompany information:\n";
    for (auto const& [key, value] : b.company.fields) s += "- " + key + ": " + value + "\n";
    s += "\nRules:\n";
    s += "- Answer in " + std::string(r.language == Language::indonesian ? "Indonesian (Bahasa Indonesia)" : "English") +
         ", the language the customer wrote in.\n";
    s += "- Recommend only products listed in the catalog information you are given; never invent products, prices or stock.\n";
    s += "- Prices are Indonesian rupiah, written like Rp 19.999.000.\n";
    if (r.voice)
        s += "- Voice mode: answer in exactly one short sentence that sounds natural when read aloud: no lists, no markdown, "
             "no emoji, no URLs.\n";
    else
        s += "- Be concise and friendly; short lists are fine.\n";
    return s;
}

std::string products_prompt(ReplyRequest const& r) {
    if (!r.ranking.about_products) return "Catalog information: this message is not about specific products.";
    if (r.ranking.suggestions.empty())
        return "Catalog information: no product in the catalog matches this request. Say so honestly and offer to help "
               "find an alternative.";
    std::string s = "Catalog information: the products that match the customer's request, best first:\n";
    for (auto const& suggestion : r.ranking.suggestions) {
        auto const& p = *suggestion.product;
        s += "- " + p.name + " (" + p.category + "): " + format_rupiah(p.price) + "; " +
             (p.availability ? "in stock" : "out of stock") + ". " + p.description;
        if (!p.features.empty()) {
            s += " Features: ";
            for (std::size_t i = 0; i < p.features.size(); ++i) s += (i ? ", " : "") + p.features[i];
            s += ".";
        }
        if (!p.specifications.empty()) {
            s += " Specifications: ";
            for (std::size_t i = 0; i < p.specifications.size(); ++i)
                s += (i ? "; " : "") + p.specifications[i].first + " " + p.specifications[i].second;
            s += ".";
        }
        s += "\n";
    }
    return s;
}

std::string chat_completion_body(ReplyRequest const& r, PromptSettings const& settings) {
    json::array messages;
    messages.push_back(json::object{{"role", "system"}, {"content", system_prompt(r)}});
    messages.push_back(json::object{{"role", "system"}, {"content", products_prompt(r)}});
    for (auto const& turn : trim_history(r.history, settings.history_budget_chars))
        messages.push_back(json::object{{"role", turn.role == Turn::Role::user ? "user" : "assistant"}, {"content", turn.text}});
    messages.push_back(json::object{{"role", "user"}, {"content", r.message}});
    json::object body;
    body["model"] = settings.model;
    body["messages"] = std::move(messages);
    body["stream"] = true;
    body["stream_options"] = json::object{{"include_usage", true}};
    body["temperature"] = settings.temperature;
    body["max_tokens"] = r.voice ? settings.voice_max_tokens : settings.max_tokens;
    return json::serialize(body);
}

} // namespace brandchat
