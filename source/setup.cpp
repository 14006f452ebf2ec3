#include "brandchat/setup.hpp"

#include "brandchat/log.hpp"
#include "brandchat/net/server_context.hpp"
#include "brandchat/reply/catalog_responder.hpp"
#include "brandchat/reply/responder_factory.hpp"
#include "brandchat/store/sqlite_store.hpp"

#include <filesystem>

namespace brandchat {

namespace {

// Opens the database; imports the bundled brands into an empty one (afterwards it is the source
// of truth) and a folder given with --import-brands; loads the brands it holds.
void open_store(ServerContext& context) {
    auto& o = context.options;
    context.store = open_sqlite_store({o.database, o.conversation_expiry, o.checkpoint_program});
    std::string folder = o.import_brands;
    if (folder.empty() && context.store->brand_count() == 0) folder = (std::filesystem::path(o.resources) / "brands").string();
    if (!folder.empty()) {
        std::error_code ec;
        if (!std::filesystem::is_directory(folder, ec))
            throw std::runtime_error("the database " + o.database + " is empty and " + folder +
                                     " holds no brands to start it with: point --resources at the project's resources/ folder");
        // A bad file or product is skipped and said (log, /health); the other brands serve.
        auto brands = BrandCatalog::read_directory(folder, &context.import_problems);
        for (auto const& why : context.import_problems) log::warn("import: ", why);
        context.store->save_brands(brands);
        log::info("store: imported ", brands.size(), brands.size() == 1 ? " brand" : " brands", " from ", folder);
    }
    context.brands = BrandCatalog();
    for (auto& b : context.store->load_brands(o.in_memory_products)) context.brands.add(std::move(b));
    ConversationLimits limits = context.conversations.limits();
    limits.idle_expiry = std::min<std::chrono::seconds>(limits.idle_expiry, o.conversation_expiry);
    context.conversations = ConversationStore(limits);
}

} // namespace

void prepare_context(ServerContext& context) {
    auto& o = context.options;
    std::error_code ec;
    if (!std::filesystem::is_directory(o.resources, ec))
        throw std::runtime_error("the resources folder " + o.resources +
                                 " does not exist (it holds brands/ and the chat page's ui/): point --resources at the project's resources/ folder");
    if (!o.import_brands.empty() && !std::filesystem::is_directory(o.import_brands, ec))
        throw std::runtime_error("--import-brands " + o.import_brands + " is not a folder of brand files");
    open_store(context);
    // The management API's keys. A fresh install has none: an admin key is made now, its hash
    // kept, and the key itself printed once by main (nothing is open by default).
    context.keys.load(context.store->load_keys());
    context.keys.set_environment_key(o.admin_key);
    if (!context.keys.has_any()) {
        auto [key, record] = make_api_key(std::nullopt, "made at first start");
        context.store->save_key(record);
        context.keys.add(record);
        context.new_admin_key = std::move(key);
    }
    std::vector<std::string> skipped;
    context.ui = StaticSite::load((std::filesystem::path(o.resources) / "ui").string(), &skipped);
    for (auto const& why : skipped) log::warn("chat page: not serving ", why);
    skipped.clear();
    context.api_docs = StaticSite::load((std::filesystem::path(o.resources) / "api").string(), &skipped);
    for (auto const& why : skipped) log::warn("API documents: not serving ", why);
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
