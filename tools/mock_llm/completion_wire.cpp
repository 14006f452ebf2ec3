#include "completion_wire.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace mock_llm {
namespace json = boost::json;

namespace {

std::string quoted(std::string_view text) { return json::serialize(json::string_view(text.data(), text.size())); }

} // namespace

ChunkEvents::ChunkEvents(std::string_view id, std::int64_t created, std::string_view model, SseStyle style)
    : eol_(style.crlf ? "\r\n" : "\n"), style_(style) {
    head_ = "{\"id\":" + quoted(id) + ",\"object\":\"chat.completion.chunk\",\"created\":" +
            std::to_string(created) + ",\"model\":" + quoted(model) + ",";
}

std::string stamped_token(std::int64_t written_us, std::int64_t due_us) {
    return " @" + std::to_string(written_us) + ":" + std::to_string(due_us);
}

void ChunkEvents::append_role(std::string& out) const {
    append_event(out, {},
                 {head_, R"("choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]})"});
}

void ChunkEvents::append_token(std::string& out, std::string_view escaped_token) const {
    append_event(out, {},
                 {head_, R"("choices":[{"index":0,"delta":{"content":")", escaped_token,
                  R"("},"finish_reason":null}]})"});
}

void ChunkEvents::append_finish(std::string& out, std::string_view finish_reason) const {
    std::string choices = R"("choices":[{"index":0,"delta":{},"finish_reason":")";
    choices.append(finish_reason).append("\"}]}");
    append_event(out, {}, {head_, choices});
}

void ChunkEvents::append_usage(std::string& out, Usage usage) const {
    auto total = usage.prompt_tokens + usage.completion_tokens;
    std::string tail = R"("choices":[],"usage":{"prompt_tokens":)" + std::to_string(usage.prompt_tokens) +
                       ",\"completion_tokens\":" + std::to_string(usage.completion_tokens) +
                       ",\"total_tokens\":" + std::to_string(total) + "}}";
    append_event(out, {}, {head_, tail});
}

void ChunkEvents::append_done(std::string& out) const { append_event(out, {}, {"[DONE]"}); }

void ChunkEvents::append_error_event(std::string& out) const {
    append_event(out, "error", {R"({"error":{"message":"mock failure"}})"});
}

void ChunkEvents::append_error_object(std::string& out) const {
    append_event(out, {}, {R"({"error":{"message":"mock failure","type":"server_error"}})"});
}

void ChunkEvents::append_event(std::string& out, std::string_view event_name,
                               std::initializer_list<std::string_view> json_parts) const {
    if (style_.comments) out.append(": keep-alive").append(eol_).append(eol_);
    if (!event_name.empty()) out.append("event: ").append(event_name).append(eol_);
    out.append("data: ");
    auto const json_start = out.size();
    for (auto part : json_parts) out.append(part);
    if (style_.multiline) {
        auto split = json_split_point(std::string_view(out).substr(json_start));
        if (split != std::string_view::npos) {
            out.insert(json_start + split, "data: ");
            out.insert(json_start + split, eol_);
        }
    }
    out.append(eol_).append(eol_);
}

std::string completion_body(std::string_view id, std::int64_t created, std::string_view model,
                            std::string_view content, std::string_view finish_reason, Usage usage) {
    json::object message{{"role", "assistant"}, {"content", content}};
    json::object choice{{"index", 0}, {"message", std::move(message)}, {"finish_reason", finish_reason}};
    json::object usage_json{{"prompt_tokens", usage.prompt_tokens},
                            {"completion_tokens", usage.completion_tokens},
                            {"total_tokens", usage.prompt_tokens + usage.completion_tokens}};
    json::object body{{"id", id},
                      {"object", "chat.completion"},
                      {"created", created},
                      {"model", model},
                      {"choices", json::array{std::move(choice)}},
                      {"usage", std::move(usage_json)}};
    return json::serialize(body);
}

std::string error_body(std::string_view message, std::string_view type, std::optional<std::string_view> code) {
    json::object error{{"message", message}, {"type", type}, {"param", nullptr}};
    if (code)
        error["code"] = *code;
    else
        error["code"] = nullptr;
    return json::serialize(json::object{{"error", std::move(error)}});
}

ErrorKind error_kind_for_status(unsigned status) {
    switch (status) {
    case 400: return {"invalid_request_error", std::nullopt};
    case 401: return {"invalid_request_error", "invalid_api_key"};
    case 403: return {"permission_error", std::nullopt};
    case 404: return {"invalid_request_error", "model_not_found"};
    case 429: return {"requests", "rate_limit_exceeded"};
    default: return {status >= 500 ? "server_error" : "invalid_request_error", std::nullopt};
    }
}

std::size_t json_split_point(std::string_view json) {
    std::size_t first_colon = std::string_view::npos;
    bool in_string = false;
    for (std::size_t i = 0; i < json.size(); ++i) {
        char c = json[i];
        if (in_string) {
            if (c == '\\') ++i;
            else if (c == '"') in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == ',') {
            return i + 1;
        } else if (c == ':' && first_colon == std::string_view::npos) {
            first_colon = i + 1;
        }
    }
    return first_colon;
}

} // namespace mock_llm
