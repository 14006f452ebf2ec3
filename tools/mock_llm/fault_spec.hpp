// A fault SPEC ("status=429,retry_after=2", "drop_after=5", ...) as a plan of values.
// Parsing is pure: text in, plan or error message out. When a key repeats, the last one wins,
// which is how per-run, queued, in-message and header faults are layered (see join_fault_specs).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mock_llm {

struct FaultPlan {
    std::optional<unsigned> status;          // answer this HTTP status with an error body
    std::optional<unsigned> retry_after_s;   // Retry-After header on a status fault
    std::optional<unsigned> retry_after_ms;  // retry-after-ms header on a status fault
    std::optional<unsigned> drop_after;      // close the TCP connection after N tokens
    std::optional<unsigned> stall_after;     // go silent after N tokens until the client leaves
    std::optional<unsigned> first_byte_ms;   // delay before the response headers
    std::optional<unsigned> first_token_ms;
    std::optional<unsigned> token_delay_ms;
    std::optional<unsigned> tokens;
    std::optional<unsigned> error_event_after;   // `event: error` after N tokens
    std::optional<unsigned> error_object_after;  // `data: {"error":...}` after N tokens
    bool crlf = false;
    bool comments = false;
    bool multiline = false;
};

struct FaultSpecParse {
    FaultPlan plan;
    std::string error;  // empty when the spec is valid
};

// Parses comma-separated key=value pairs; blanks around keys and values are ignored.
FaultSpecParse parse_fault_spec(std::string_view spec);

// The SPEC inside the first `[[mock:SPEC]]` in text, or empty.
std::string_view find_fault_marker(std::string_view text);

// Joins the non-empty specs with commas, earliest first, so later ones override earlier keys.
std::string join_fault_specs(const std::vector<std::string_view>& specs);

} // namespace mock_llm
