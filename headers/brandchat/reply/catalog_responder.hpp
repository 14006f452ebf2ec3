// The built-in responder: yields compose_catalog_answer() word by word, `word_delay` apart (all
// at once with no delay), so the typing effect shows without any model or network.
#pragma once

#include "brandchat/reply/responder.hpp"

#include <chrono>

namespace brandchat {

class CatalogResponder final : public Responder {
public:
    explicit CatalogResponder(std::chrono::milliseconds word_delay) : word_delay_(word_delay) {}
    std::string_view name() const override { return "built-in catalog responder"; }
    ReplyStream reply(boost::asio::any_io_executor executor, ReplyRequest const& request,
                      boost::asio::cancellation_slot cancel, ReplyTimes& times) override;

private:
    std::chrono::milliseconds word_delay_;
};

// Splits text into pieces of one word each, every piece after the first keeping its leading
// whitespace, so that concatenating the pieces gives the text back exactly.
std::vector<std::string> split_words(std::string_view text);

} // namespace brandchat
