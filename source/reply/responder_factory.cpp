#include "brandchat/reply/responder_factory.hpp"

#include "brandchat/reply/catalog_responder.hpp"

namespace brandchat {

std::unique_ptr<Responder> make_responder(Options const& options) {
    return std::make_unique<CatalogResponder>(options.word_delay);
}

} // namespace brandchat
