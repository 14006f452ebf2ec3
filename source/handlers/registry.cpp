#include "brandchat/handlers/registry.hpp"

namespace brandchat {

std::string HandlerRegistry::known_types() const {
    std::string out;
    for (auto const& [type, handler] : handlers_) out += (out.empty() ? "" : ", ") + type;
    return out;
}

} // namespace brandchat
