// What all connections of one mock server share: settings, reply tokens, the record of requests
// and the queued faults. Only the io_context's one thread touches it, so it has no locks.
#pragma once

#include "fault_queue.hpp"
#include "options.hpp"
#include "reply_text.hpp"
#include "request_journal.hpp"

namespace mock_llm {

struct MockState {
    explicit MockState(Settings s)
        : settings(std::move(s)),
          reply(settings.reply_text.empty() ? default_passage : std::string_view(settings.reply_text)),
          journal(settings.max_records) {}

    Settings settings;
    ReplyTokens reply;
    RequestJournal journal;
    FaultQueue faults;
};

} // namespace mock_llm
