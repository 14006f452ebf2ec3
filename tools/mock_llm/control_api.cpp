#include "control_api.hpp"

#include "completion_wire.hpp"
#include "fault_spec.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>

namespace mock_llm {
namespace json = boost::json;

namespace {

JsonReply ok(const json::value& v) { return {200, json::serialize(v)}; }

JsonReply bad_request(std::string_view message) { return {400, error_body(message, "invalid_request_error")}; }

JsonReply wrong_method(std::string_view method, std::string_view path) {
    return {405, error_body(std::string(method) + " is not allowed on " + std::string(path), "invalid_request_error",
                            "method_not_allowed")};
}

JsonReply queue_fault(std::string_view body, MockState& state) {
    json::error_code ec;
    auto parsed = json::parse(body, ec);
    auto const* obj = parsed.if_object();
    if (ec || !obj) return bad_request(R"(Expected a JSON object like {"spec":"status=429","count":1}.)");
    auto const* spec = obj->if_contains("spec");
    if (!spec || !spec->is_string()) return bad_request("'spec' must be a string.");
    std::uint64_t count = 1;
    if (auto const* c = obj->if_contains("count")) {
        if (c->is_uint64()) count = c->get_uint64();
        else if (c->is_int64() && c->get_int64() >= 0) count = static_cast<std::uint64_t>(c->get_int64());
        else return bad_request("'count' must be a non-negative integer.");
    }
    std::string text(spec->get_string());
    if (auto check = parse_fault_spec(text); !check.error.empty()) return bad_request(check.error);
    state.faults.push(std::move(text), static_cast<unsigned>(std::min<std::uint64_t>(count, 1'000'000'000)));
    return ok(json::object{{"ok", true}, {"queued", state.faults.to_json()}});
}

} // namespace

std::optional<JsonReply> handle_control_request(std::string_view method, std::string_view path,
                                                std::string_view body, MockState& state) {
    bool get = method == "GET";
    bool post = method == "POST";
    if (path == "/mock/requests") {
        if (!get) return wrong_method(method, path);
        return ok(state.journal.records_json());
    }
    if (path == "/mock/now") {
        if (!get) return wrong_method(method, path);
        return ok(json::object{{"now_ms", steady_now_ms()}});
    }
    if (path == "/mock/stats") {
        if (!get) return wrong_method(method, path);
        return ok(state.journal.stats_json());
    }
    if (path == "/mock/faults") {
        if (get) return ok(state.faults.to_json());
        if (post) return queue_fault(body, state);
        return wrong_method(method, path);
    }
    if (path == "/mock/reset") {
        if (!post) return wrong_method(method, path);
        state.journal.reset();
        state.faults.clear();
        return ok(json::object{{"ok", true}});
    }
    return std::nullopt;
}

} // namespace mock_llm
