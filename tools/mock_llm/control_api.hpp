// The /mock/* endpoints tests use to observe and steer the mock: request records, the clock,
// counters, queued faults and reset. Pure: method, path and body in, a JSON reply out.
#pragma once

#include "mock_state.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace mock_llm {

struct JsonReply {
    unsigned status = 200;
    std::string body;
};

// nullopt when path is not a control endpoint.
std::optional<JsonReply> handle_control_request(std::string_view method, std::string_view path,
                                                std::string_view body, MockState& state);

} // namespace mock_llm
