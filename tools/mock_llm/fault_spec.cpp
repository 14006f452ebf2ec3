#include "fault_spec.hpp"

#include "brandchat/config/parse_number.hpp"

#include <array>
#include <charconv>

namespace mock_llm {
namespace {

struct NumberKey {
    std::string_view name;
    std::optional<unsigned> FaultPlan::*field;
};

constexpr std::array number_keys{
    NumberKey{"status", &FaultPlan::status},
    NumberKey{"retry_after", &FaultPlan::retry_after_s},
    NumberKey{"retry_after_ms", &FaultPlan::retry_after_ms},
    NumberKey{"drop_after", &FaultPlan::drop_after},
    NumberKey{"stall_after", &FaultPlan::stall_after},
    NumberKey{"first_byte_ms", &FaultPlan::first_byte_ms},
    NumberKey{"first_token_ms", &FaultPlan::first_token_ms},
    NumberKey{"token_delay_ms", &FaultPlan::token_delay_ms},
    NumberKey{"tokens", &FaultPlan::tokens},
    NumberKey{"error_event_after", &FaultPlan::error_event_after},
    NumberKey{"error_object_after", &FaultPlan::error_object_after},
};

struct FlagKey {
    std::string_view name;
    bool FaultPlan::*field;
};

constexpr std::array flag_keys{
    FlagKey{"crlf", &FaultPlan::crlf},
    FlagKey{"comments", &FaultPlan::comments},
    FlagKey{"multiline", &FaultPlan::multiline},
};

std::string_view trim(std::string_view s) {
    auto const blank = " \t\r\n";
    auto first = s.find_first_not_of(blank);
    if (first == std::string_view::npos) return {};
    auto last = s.find_last_not_of(blank);
    return s.substr(first, last - first + 1);
}

std::optional<bool> parse_flag(std::string_view text) {
    if (text == "1" || text == "true" || text == "yes" || text == "on") return true;
    if (text == "0" || text == "false" || text == "no" || text == "off") return false;
    return std::nullopt;
}

std::string known_keys() {
    std::string names;
    for (auto const& k : number_keys) names.append(names.empty() ? "" : ", ").append(k.name);
    for (auto const& k : flag_keys) names.append(", ").append(k.name);
    return names;
}

// Applies one key=value to plan; returns an error message or empty.
std::string apply_pair(FaultPlan& plan, std::string_view key, std::string_view value) {
    for (auto const& k : number_keys) {
        if (k.name != key) continue;
        auto number = brandchat::parse_number<unsigned>(value);
        if (!number) return "fault key '" + std::string(key) + "' needs a non-negative integer, got '" +
                            std::string(value) + "'";
        if (k.field == &FaultPlan::status && (*number < 400 || *number > 599))
            return "fault status must be between 400 and 599, got " + std::string(value);
        plan.*k.field = *number;
        return {};
    }
    for (auto const& k : flag_keys) {
        if (k.name != key) continue;
        auto flag = parse_flag(value);
        if (!flag) return "fault key '" + std::string(key) + "' needs 1 or 0, got '" + std::string(value) + "'";
        plan.*k.field = *flag;
        return {};
    }
    return "unknown fault key '" + std::string(key) + "' (known: " + known_keys() + ")";
}

} // namespace

FaultSpecParse parse_fault_spec(std::string_view spec) {
    FaultSpecParse result;
    while (!spec.empty()) {
        auto comma = spec.find(',');
        auto item = trim(spec.substr(0, comma));
        spec = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);
        if (item.empty()) continue;
        auto equals = item.find('=');
        if (equals == std::string_view::npos) {
            result.error = "fault item '" + std::string(item) + "' is not key=value";
            return result;
        }
        result.error = apply_pair(result.plan, trim(item.substr(0, equals)), trim(item.substr(equals + 1)));
        if (!result.error.empty()) return result;
    }
    return result;
}

std::string_view find_fault_marker(std::string_view text) {
    constexpr std::string_view open = "[[mock:";
    auto start = text.find(open);
    if (start == std::string_view::npos) return {};
    start += open.size();
    auto end = text.find("]]", start);
    if (end == std::string_view::npos) return {};
    return text.substr(start, end - start);
}

std::string join_fault_specs(const std::vector<std::string_view>& specs) {
    std::string joined;
    for (auto spec : specs) {
        spec = trim(spec);
        if (spec.empty()) continue;
        if (!joined.empty()) joined += ',';
        joined += spec;
    }
    return joined;
}

} // namespace mock_llm
