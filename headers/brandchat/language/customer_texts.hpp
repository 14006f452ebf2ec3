// What a customer reads from the server besides the reply itself (an `error` frame's message),
// in the conversation's language: English or Indonesian. Texts for developers (a frame that is
// not JSON, a missing field) stay English.
#pragma once

#include "brandchat/language/language.hpp"

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace brandchat {

// The language to tell a customer something in: the message's own when it says, else the
// conversation's (if the message names one the server knows), else the brand's.
Language customer_language(std::string_view message, std::optional<Language> conversation, Language brand);

enum class RateScope { connection, address };
std::string rate_limit_text(Language language, RateScope scope, std::size_t count, std::chrono::seconds window,
                            std::chrono::milliseconds wait);
std::string too_long_text(Language language, std::size_t max_chars);
std::string queue_full_text(Language language, std::size_t limit);
std::string internal_error_text(Language language);

} // namespace brandchat
