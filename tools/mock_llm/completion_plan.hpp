// What one chat request's response will do: how many tokens, at what pace, and which fault, if
// any, interrupts it. Pure: the run's settings, the request and its fault in, a plan out.
#pragma once

#include "chat_request.hpp"
#include "completion_wire.hpp"
#include "fault_spec.hpp"

#include <cstddef>
#include <optional>
#include <string_view>

namespace mock_llm {

struct PacingDefaults {
    unsigned tokens = 40;
    unsigned token_delay_ms = 20;
    unsigned first_token_ms = 0;
};

// A fault that cuts the stream short after `after` tokens.
enum class Interruption { none, drop, stall, error_event, error_object };

struct CompletionPlan {
    std::size_t tokens = 0;           // content tokens of a complete answer
    std::string_view finish_reason;   // "stop", or "length" when max_tokens cut the answer
    unsigned first_byte_ms = 0;
    unsigned first_token_ms = 0;
    unsigned token_delay_ms = 0;
    std::optional<unsigned> status;   // answer with this error status instead
    std::optional<unsigned> retry_after_s;
    std::optional<unsigned> retry_after_ms;
    Interruption interruption = Interruption::none;
    std::size_t interrupt_after = 0;  // tokens sent before the interruption; only <= tokens happens
    SseStyle style;
};

// When several interruptions are set, the earliest wins; on a tie, in the order of the enum.
CompletionPlan make_completion_plan(const PacingDefaults& defaults, const ChatRequest& request,
                                    const FaultPlan& fault);

} // namespace mock_llm
