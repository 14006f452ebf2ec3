#include "brandchat/setup.hpp"

#include "brandchat/log.hpp"
#include "brandchat/net/server_context.hpp"
#include "brandchat/reply/catalog_responder.hpp"
#include "brandchat/reply/responder_factory.hpp"

#include <filesystem>

namespace brandchat {

void prepare_context(ServerContext& context) {
    auto& o = context.options;
    context.brands = BrandCatalog::load_directory((std::filesystem::path(o.resources) / "brands").string());
    std::vector<std::string> skipped;
    context.ui = StaticSite::load((std::filesystem::path(o.resources) / "ui").string(), &skipped);
    for (auto const& why : skipped) log::warn("chat page: not serving ", why);
    context.address_limiter = KeyedRateLimiter(o.address_rate);
    context.responder = make_responder(o);
    if (o.llm_enabled() && o.fallback_to_catalog) context.fallback_responder = std::make_unique<CatalogResponder>(o.word_delay);
    register_builtin_handlers(context.handlers);
}

std::string find_resources(std::string const& configured, std::string const& executable_path) {
    namespace fs = std::filesystem;
    if (!configured.empty()) return configured;
    std::error_code ec;
    fs::path exe = fs::weakly_canonical(executable_path, ec);
    for (auto const& candidate : {exe.parent_path() / "resources", exe.parent_path().parent_path() / "resources",
                                  exe.parent_path().parent_path() / "share" / "brandchat" / "resources"})
        if (fs::is_directory(candidate / "brands", ec)) return candidate.string();
    return BRANDCHAT_SOURCE_RESOURCES;
}

} // namespace brandchat
