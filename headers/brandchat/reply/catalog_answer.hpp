// The built-in responder's words: a complete answer composed from the catalog, the brand's
// information and what the message asked, in the customer's language, one sentence in voice
// mode. Pure: the streaming lives in catalog_responder.hpp.
#pragma once

#include "brandchat/reply/responder.hpp"

#include <string>

namespace brandchat {

std::string compose_catalog_answer(ReplyRequest const& request);

// "laptops, smartphones and monitors" / "kulkas, mesin cuci dan AC"
std::string list_categories(Brand const& brand, Language language);

} // namespace brandchat
