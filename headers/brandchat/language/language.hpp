// Which language a customer writes in: English or Indonesian, detected from the words used.
// Short or ambiguous text yields nullopt, so callers fall back to the conversation's language,
// then the brand's.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace brandchat {

enum class Language { english, indonesian };

std::optional<Language> detect_language(std::string_view text);
std::string_view language_code(Language language); // "en" / "id"
std::optional<Language> parse_language_code(std::string_view code);

} // namespace brandchat
