#include "completion_plan.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace mock_llm {

CompletionPlan make_completion_plan(const PacingDefaults& defaults, const ChatRequest& request,
                                    const FaultPlan& fault) {
    CompletionPlan plan;
    plan.tokens = fault.tokens.value_or(defaults.tokens);
    plan.finish_reason = "stop";
    if (request.max_tokens && *request.max_tokens < plan.tokens) {
        plan.tokens = static_cast<std::size_t>(*request.max_tokens);
        plan.finish_reason = "length";
    }
    plan.first_byte_ms = fault.first_byte_ms.value_or(0);
    plan.first_token_ms = fault.first_token_ms.value_or(defaults.first_token_ms);
    plan.token_delay_ms = fault.token_delay_ms.value_or(defaults.token_delay_ms);
    plan.status = fault.status;
    plan.retry_after_s = fault.retry_after_s;
    plan.retry_after_ms = fault.retry_after_ms;
    plan.style = SseStyle{fault.crlf, fault.comments, fault.multiline};

    const std::array<std::pair<Interruption, std::optional<unsigned>>, 4> candidates{{
        {Interruption::drop, fault.drop_after},
        {Interruption::stall, fault.stall_after},
        {Interruption::error_event, fault.error_event_after},
        {Interruption::error_object, fault.error_object_after},
    }};
    for (auto const& [kind, after] : candidates) {
        if (!after || *after > plan.tokens) continue;
        if (plan.interruption == Interruption::none || *after < plan.interrupt_after) {
            plan.interruption = kind;
            plan.interrupt_after = *after;
        }
    }
    return plan;
}

} // namespace mock_llm
