// Chooses the responder from the settings: a language model when an API key or base URL is
// configured, the built-in catalog responder otherwise.
#pragma once

#include "brandchat/config/options.hpp"
#include "brandchat/reply/responder.hpp"

#include <memory>

namespace brandchat {

std::unique_ptr<Responder> make_responder(Options const& options);

} // namespace brandchat
