#include "brandchat/reply/prompt.hpp"

#include "brandchat/language/text.hpp"
#include "brandchat/protocol/server_message.hpp"

#include <charconv>
#include <string_view>

namespace brandchat {

namespace {

// Appends every piece in one go: no temporary string per `+`.
template <class... Pieces>
void append(std::string& out, Pieces const&... pieces) {
    (out.append(std::string_view(pieces)), ...);
}

// Where the most recent turns that fit in the budget begin.
std::size_t first_kept_turn(std::vector<Turn> const& history, std::size_t budget_chars) {
    std::size_t used = 0, first = history.size();
    while (first > 0 && used + history[first - 1].text.size() <= budget_chars) used += history[--first].text.size();
    return first;
}

} // namespace

std::vector<Turn> trim_history(std::vector<Turn> const& history, std::size_t budget_chars) {
    return {history.begin() + static_cast<std::ptrdiff_t>(first_kept_turn(history, budget_chars)), history.end()};
}

std::string system_prompt(ReplyRequest const& r) {
    auto const& b = *r.brand;
    std::string s;
    s.reserve(1024);
    append(s, "You are the shopping assistant of ", b.name, ". ", b.description, "\n");
    if (!b.persona_prompt.empty()) append(s, b.persona_prompt, "\n");
    if (!b.system_prompt.empty()) append(s, b.system_prompt, "\n");
    s += "\nCompany information:\n";
    for (auto const& [key, value] : b.company.fields) append(s, "- ", key, ": ", value, "\n");
    append(s, "\nRules:\n- Answer in ", r.language == Language::indonesian ? "Indonesian (Bahasa Indonesia)" : "English",
           ", the language the customer wrote in.\n");
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
    s.reserve(2048);
    for (auto const& suggestion : r.ranking.suggestions) {
        auto const& p = *suggestion.product;
        append(s, "- ", p.name, " (", p.category, "): ", format_rupiah(p.price), "; ", p.availability ? "in stock" : "out of stock",
               ". ", p.description);
        if (!p.features.empty()) {
            s += " Features: ";
            for (std::size_t i = 0; i < p.features.size(); ++i) append(s, i ? ", " : "", p.features[i]);
            s += ".";
        }
        if (!p.specifications.empty()) {
            s += " Specifications: ";
            for (std::size_t i = 0; i < p.specifications.size(); ++i)
                append(s, i ? "; " : "", p.specifications[i].first, " ", p.specifications[i].second);
            s += ".";
        }
        s += "\n";
    }
    return s;
}

// Written straight into the body, in the order OpenAI documents, instead of through a JSON tree:
// the prompt is most of what the server does for a message before the model's first token.
std::string chat_completion_body(ReplyRequest const& r, PromptSettings const& settings) {
    auto system = system_prompt(r);
    auto products = products_prompt(r);
    auto first_turn = first_kept_turn(r.history, settings.history_budget_chars);
    std::size_t size = system.size() + products.size() + r.message.size() + 512;
    for (auto i = first_turn; i < r.history.size(); ++i) size += r.history[i].text.size() + 48;
    std::string out;
    out.reserve(size + size / 8); // room for escapes

    out += R"({"model":)";
    protocol::append_json_string(out, settings.model);
    out += R"(,"messages":[)";
    auto message = [&out](std::string_view role, std::string_view content) {
        if (out.back() != '[') out += ',';
        append(out, R"({"role":")", role, R"(","content":)");
        protocol::append_json_string(out, content);
        out += '}';
    };
    message("system", system);
    message("system", products);
    for (auto i = first_turn; i < r.history.size(); ++i)
        message(r.history[i].role == Turn::Role::user ? "user" : "assistant", r.history[i].text);
    message("user", r.message);
    out += R"(],"stream":true,"stream_options":{"include_usage":true},"temperature":)";
    char number[32];
    auto written = std::to_chars(number, number + sizeof number, settings.temperature).ptr;
    out.append(number, written);
    append(out, R"(,"max_tokens":)", std::to_string(r.voice ? settings.voice_max_tokens : settings.max_tokens), "}");
    return out;
}

} // namespace brandchat
