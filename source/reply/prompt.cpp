#include "brandchat/reply/prompt.hpp"

#include "brandchat/language/text.hpp"
#include "brandchat/protocol/server_message.hpp"

#include <charconv>
#include <functional>
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

std::string system_prompt(Brand const& b, Language language, bool voice) {
    std::string s;
    s.reserve(1024);
    append(s, "You are the shopping assistant of ", b.name, ". ", b.description, "\n");
    if (!b.persona_prompt.empty()) append(s, b.persona_prompt, "\n");
    if (!b.system_prompt.empty()) append(s, b.system_prompt, "\n");
    s += "\nCompany information:\n";
    for (auto const& [key, value] : b.company.fields) append(s, "- ", key, ": ", value, "\n");
    append(s, "\nRules:\n- Answer in ", language == Language::indonesian ? "Indonesian (Bahasa Indonesia)" : "English",
           ", the language the customer wrote in.\n");
    s += "- Recommend only products listed in the catalog information you are given; never invent products, prices or stock.\n";
    s += "- Prices are Indonesian rupiah, written like Rp 19.999.000.\n";
    if (voice)
        s += "- Voice mode: answer in exactly one short sentence that sounds natural when read aloud: no lists, no markdown, "
             "no emoji, no URLs.\n";
    else
        s += "- Be concise and friendly; short lists are fine.\n";
    return s;
}

std::string product_line(Product const& p) {
    std::string s;
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
    return s;
}

namespace {

constexpr std::string_view not_about_products = "Catalog information: this message is not about specific products.";
constexpr std::string_view nothing_matches =
    "Catalog information: no product in the catalog matches this request. Say so honestly and offer to help find an "
    "alternative.";
constexpr std::string_view matches_follow = "Catalog information: the products that match the customer's request, best first:\n";

// The catalog information message, through `fixed` for its fixed text and `line` for each
// suggested product: the one place that decides what the model is told about the products.
template <class Fixed, class Line>
void catalog_information(ReplyRequest const& r, Fixed fixed, Line line) {
    auto const& ranking = r.ranking;
    if (!ranking.about_products && !r.query.shop_topics.empty()) {
        // "Bisa COD?", "how long is the warranty?": the company information above answers it.
        std::string text = "Catalog information: this message asks about the shop itself (";
        for (std::size_t i = 0; i < r.query.shop_topics.size(); ++i)
            append(text, i ? ", " : "", shop_topic_field(r.query.shop_topics[i]));
        text += "), not about products: answer it from the company information above, and suggest no products.";
        return fixed(text);
    }
    if (!ranking.about_products) return fixed(not_about_products);
    if (ranking.suggestions.empty()) return fixed(nothing_matches);
    fixed(matches_follow);
    for (auto const& suggestion : ranking.suggestions) line(*suggestion.product);
}

// The product's index in the brand's list, or npos for a product from elsewhere.
std::size_t index_in(std::vector<Product> const& products, Product const* p) {
    std::less<> before;
    if (before(p, products.data()) || !before(p, products.data() + products.size())) return std::string::npos;
    return static_cast<std::size_t>(p - products.data());
}

} // namespace

std::string products_prompt(ReplyRequest const& r) {
    std::string s;
    catalog_information(r, [&](std::string_view text) { s += text; }, [&](Product const& p) { s += product_line(p); });
    return s;
}

BrandPrompt brand_prompt(Brand const& brand) {
    BrandPrompt parts;
    parts.brand = &brand;
    for (auto language : {Language::english, Language::indonesian})
        for (bool voice : {false, true})
            protocol::append_json_escaped(parts.system[BrandPrompt::slot(language, voice)], system_prompt(brand, language, voice));
    parts.product_lines.reserve(brand.products.size());
    for (auto const& p : brand.products) {
        std::string escaped;
        protocol::append_json_escaped(escaped, product_line(p));
        parts.product_lines.push_back(std::move(escaped));
    }
    return parts;
}

// Written straight into the body, in the order OpenAI documents, instead of through a JSON tree:
// the prompt is most of what the server does for a message before the model's first token.
std::string chat_completion_body(ReplyRequest const& r, PromptSettings const& settings, BrandPrompt const& parts) {
    if (parts.brand != r.brand.get()) return chat_completion_body(r, settings, brand_prompt(*r.brand)); // another brand's
    auto const& products = r.brand->products;
    // A product's line from the parts; null for a product from elsewhere (then escaped here).
    auto cached_line = [&](Product const& p) -> std::string const* {
        auto index = index_in(products, &p);
        return index == std::string::npos ? nullptr : &parts.product_lines[index];
    };
    auto const& system = parts.system_for(r.language, r.voice);
    auto first_turn = first_kept_turn(r.history, settings.history_budget_chars);
    std::size_t size = system.size() + r.message.size() + 768;
    for (auto const& s : r.ranking.suggestions) {
        auto const* line = cached_line(*s.product);
        size += line ? line->size() : 1024;
    }
    for (auto i = first_turn; i < r.history.size(); ++i) size += r.history[i].text.size() + 48;
    std::string out;
    out.reserve(size + (r.message.size() + size / 16)); // room for the escapes of the message and history

    out += R"({"model":)";
    protocol::append_json_string(out, settings.model);
    out += R"(,"messages":[{"role":"system","content":")";
    out += system;
    out += R"("},{"role":"system","content":")";
    catalog_information(
        r, [&](std::string_view text) { protocol::append_json_escaped(out, text); },
        [&](Product const& p) {
            if (auto const* line = cached_line(p)) out += *line;
            else protocol::append_json_escaped(out, product_line(p));
        });
    out += R"("})";
    auto message = [&out](std::string_view role, std::string_view content) {
        append(out, R"(,{"role":")", role, R"(","content":)");
        protocol::append_json_string(out, content);
        out += '}';
    };
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

std::string chat_completion_body(ReplyRequest const& r, PromptSettings const& settings) {
    return chat_completion_body(r, settings, brand_prompt(*r.brand));
}

} // namespace brandchat
