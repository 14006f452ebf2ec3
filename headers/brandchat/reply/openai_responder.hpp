// Replies from a language model behind an OpenAI-compatible Chat Completions API (OpenAI,
// Ollama, vLLM, llama.cpp): POST {base}/chat/completions with stream=true, read as server-sent
// events, forwarded piece by piece. Before the first piece, connection errors and 408/409/429/5xx
// are retried with exponential backoff and jitter, honouring Retry-After; after it, nothing is
// retried. Every failure becomes one ReplyError whose text leaks no secret and no upstream body.
// Timeouts: connect, first byte, idle gap between chunks, whole reply. Connections are reused.
#pragma once

#include "brandchat/config/options.hpp"
#include "brandchat/reply/responder.hpp"

#include <memory>

namespace brandchat {

class OpenAiResponder final : public Responder {
public:
    // Throws std::invalid_argument on a bad base URL, or a key or account header with a line break.
    explicit OpenAiResponder(Options const& options);
    ~OpenAiResponder() override;
    std::string_view name() const override;
    ReplyStream reply(boost::asio::any_io_executor executor, ReplyRequest const& request,
                      boost::asio::cancellation_slot cancel, ReplyTimes& times) override;
    void warm_up() override;
    void stop() override;

    void write_metrics(PrometheusText& out) const override;
    struct Shared;

private:
    std::shared_ptr<Shared> shared_;
};

// Backoff before retry `attempt` (0-based): 500 ms × 2^attempt with ±25 % jitter, or what the
// server asked for; at most 20 s. `unit` in [0, 1) draws the jitter (tests pass fixed values).
std::chrono::milliseconds retry_delay(std::size_t attempt, std::chrono::milliseconds server_asked, double unit);

} // namespace brandchat
