#include "chat_request.hpp"

namespace mock_llm {
namespace json = boost::json;

namespace {

// Message content is a string or an array of parts; only text parts count.
std::string content_text(const json::value& content) {
    if (auto const* s = content.if_string()) return std::string(*s);
    std::string text;
    if (auto const* parts = content.if_array()) {
        for (auto const& part : *parts) {
            auto const* obj = part.if_object();
            if (!obj) continue;
            if (auto const* t = obj->if_contains("text"); t && t->is_string()) {
                if (!text.empty()) text += ' ';
                text += t->get_string();
            }
        }
    }
    return text;
}

std::uint64_t count_words(std::string_view text) {
    std::uint64_t words = 0;
    bool in_word = false;
    for (char c : text) {
        bool blank = c == ' ' || c == '\t' || c == '\n' || c == '\r';
        if (!blank && !in_word) ++words;
        in_word = !blank;
    }
    return words;
}

std::optional<std::uint64_t> non_negative(const json::value& v) {
    if (v.is_uint64()) return v.get_uint64();
    if (v.is_int64() && v.get_int64() >= 0) return static_cast<std::uint64_t>(v.get_int64());
    if (v.is_double() && v.get_double() >= 0) return static_cast<std::uint64_t>(v.get_double());
    return std::nullopt;
}

} // namespace

ChatRequestParse read_chat_request(const json::value& body) {
    ChatRequestParse result;
    auto const* obj = body.if_object();
    if (!obj) {
        result.error = "The request body must be a JSON object.";
        return result;
    }
    auto const* messages = obj->if_contains("messages");
    if (!messages || !messages->is_array()) {
        result.error = "Missing required parameter: 'messages'.";
        return result;
    }

    auto& request = result.request;
    for (auto const& message : messages->get_array()) {
        auto const* m = message.if_object();
        if (!m) {
            result.error = "Each entry of 'messages' must be an object.";
            return result;
        }
        auto const* content = m->if_contains("content");
        auto text = content ? content_text(*content) : std::string();
        request.prompt_tokens += count_words(text);
        auto const* role = m->if_contains("role");
        if (role && role->is_string() && role->get_string() == "user") request.last_user_text = std::move(text);
    }

    if (auto const* model = obj->if_contains("model"); model && model->is_string())
        request.model = std::string(model->get_string());
    else
        request.model = "mock-llm";
    if (auto const* stream = obj->if_contains("stream"); stream && stream->is_bool())
        request.stream = stream->get_bool();
    if (auto const* options = obj->if_contains("stream_options"); options && options->is_object())
        if (auto const* usage = options->get_object().if_contains("include_usage"); usage && usage->is_bool())
            request.include_usage = usage->get_bool();
    for (auto key : {"max_tokens", "max_completion_tokens"})
        if (auto const* max = obj->if_contains(key))
            if (auto limit = non_negative(*max)) request.max_tokens = limit;
    return result;
}

} // namespace mock_llm
