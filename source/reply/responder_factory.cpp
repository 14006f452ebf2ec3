#include "brandchat/reply/responder_factory.hpp"

#include "brandchat/reply/catalog_responder.hpp"
#include "brandchat/reply/openai_responder.hpp"

namespace brandchat {

std::unique_ptr<Responder> make_responder(Options const& options) {
    if (options.llm_enabled()) return std::make_unique<OpenAiResponder>(options);
    return std::make_unique<CatalogResponder>(options.word_delay);
}

} // namespace brandchat
