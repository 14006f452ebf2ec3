// Brands: list, create, read, update, delete; their config and system prompt; stats.
// The original's paths and shapes: POST /brands and PUT /brands/{id} take their fields as query
// parameters (?name=&description=&brand_id=, ?is_active=false) or, as its README sends them, as
// a JSON body.
#include "api_call.hpp"

#include "brandchat/catalog/brand.hpp"
#include "brandchat/net/server_context.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <set>

namespace brandchat::api {

namespace asio = boost::asio;

namespace {

json::value brand_json(Brand const& b) { return brand_summary(b); }

json::value config_json(Brand const& b) {
    json::object company;
    for (auto const& [k, v] : b.company.fields) company[k] = v;
    json::array origins;
    for (auto const& o : b.allowed_origins) origins.emplace_back(o);
    boost::system::error_code ec;
    auto appearance = json::parse(b.appearance_json.empty() ? "{}" : b.appearance_json, ec);
    return json::object{{"brand_id", b.id},
                        {"system_prompt", b.system_prompt},
                        {"persona_prompt", b.persona_prompt.empty() ? json::value(nullptr) : json::value(b.persona_prompt)},
                        {"welcome_message", b.welcome_message},
                        {"company_info", std::move(company)},
                        {"appearance_settings", ec ? json::value(json::object()) : appearance},
                        {"language", language_code(b.language)},
                        {"allowed_origins", std::move(origins)},
                        {"updated_at", b.updated_at}};
}

// A brand id: 1 to 64 of a-z, 0-9, '-' and '_', not a word the paths use.
bool valid_brand_id(std::string const& id) {
    if (id.empty() || id.size() > 64 || id == "active") return false;
    return std::all_of(id.begin(), id.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'; });
}

// The original's rule: the id asked for, or the name, lowercased with spaces as '-' (and here
// anything else outside a-z, 0-9, '-', '_' dropped).
std::string id_from_name(std::string const& name) {
    std::string id;
    for (char c : name) {
        char lower = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        if (lower == ' ') id += '-';
        else if ((lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9') || lower == '-' || lower == '_') id += lower;
    }
    return id.substr(0, 56);
}

// The fields of a brand's settings in a JSON body or the query, applied to `b`, each checked.
// `query_fields`: the original's query parameters (name, description, is_active).
struct SettingsInput {
    json::object body; // empty when the request has none
    bool from_body = false;
};

std::optional<SettingsInput> settings_input(ApiCall const& call, FieldErrors& errors) {
    SettingsInput in;
    if (call.request.body.find_first_not_of(" \t\r\n") == std::string::npos) return in;
    auto body = json_object_body(call, errors);
    if (!body) return std::nullopt;
    in.body = std::move(*body);
    in.from_body = true;
    return in;
}

// A string field from the body, else the query.
std::optional<std::string> field(ApiCall const& call, SettingsInput const& in, std::string_view key, FieldErrors& errors) {
    if (in.from_body && in.body.contains(key)) return read_string(in.body, key, {"body"}, errors);
    return call.query(key);
}

// Where a field was read from, for an error's loc.
char const* source_of(SettingsInput const& in, std::string_view key) { return in.from_body && in.body.contains(key) ? "body" : "query"; }

std::optional<bool> bool_field(ApiCall const& call, SettingsInput const& in, std::string_view key, FieldErrors& errors) {
    if (in.from_body && in.body.contains(key)) return read_bool(in.body, key, {"body"}, errors);
    auto q = call.query(key);
    if (!q) return std::nullopt;
    if (*q == "true" || *q == "1") return true;
    if (*q == "false" || *q == "0") return false;
    errors.add({"query", json::string(key)}, "Input should be a valid boolean", "bool_type");
    return std::nullopt;
}

// The config fields (system_prompt, persona_prompt, welcome_message, company_info,
// appearance_settings, language, allowed_origins) present in `o`, applied to b.
void apply_config(json::object const& o, Brand& b, FieldErrors& errors) {
    json::array loc{"body"};
    if (auto s = read_string(o, "system_prompt", loc, errors)) b.system_prompt = *s;
    if (auto s = read_string(o, "persona_prompt", loc, errors)) b.persona_prompt = *s;
    if (auto s = read_string(o, "welcome_message", loc, errors)) b.welcome_message = *s;
    if (auto const* c = o.if_contains("company_info"); c && !c->is_null()) {
        if (!c->is_object()) {
            errors.add(at(loc, "company_info"), "Input should be a valid dictionary", "dict_type");
        } else {
            b.company.fields.clear();
            for (auto const& [k, v] : c->get_object())
                b.company.fields.emplace_back(std::string(k), v.is_string() ? std::string(v.get_string()) : json::serialize(v));
        }
    }
    for (auto key : {"appearance_settings", "appearance"}) {
        if (auto const* a = o.if_contains(key); a && !a->is_null()) {
            if (!a->is_object()) errors.add(at(loc, json::string(key)), "Input should be a valid dictionary", "dict_type");
            else b.appearance_json = json::serialize(*a);
        }
    }
    if (auto s = read_string(o, "language", loc, errors)) {
        if (auto language = parse_language_code(*s)) b.language = *language;
        else errors.add(at(loc, "language"), "Input should be 'en' or 'id'", "enum");
    }
    if (auto const* origins = o.if_contains("allowed_origins"); origins && !origins->is_null()) {
        if (!origins->is_array()) {
            errors.add(at(loc, "allowed_origins"), "Input should be a valid list", "list_type");
        } else {
            b.allowed_origins.clear();
            std::size_t i = 0;
            for (auto const& origin : origins->get_array()) {
                bool ok = origin.is_string() && (origin.get_string() == "*" || origin.get_string().starts_with("https://") ||
                                                 origin.get_string().starts_with("http://"));
                if (ok && origin.get_string().size() <= 200) b.allowed_origins.emplace_back(origin.get_string());
                else errors.add(at(at(loc, "allowed_origins"), i), "Input should be an origin such as \"https://shop.example\", or \"*\"", "value_error");
                ++i;
            }
        }
    }
}

// Saves the brand's settings and makes them live.
void save(ApiCall& call, Brand const& b) {
    call.server.store->save_brand_settings(b);
    publish_brand(call, b.id);
}

// A brand's settings alone (its products stay where they are), to change and save.
Brand settings_of(Brand const& b) {
    Brand out;
    out.id = b.id;
    out.name = b.name;
    out.description = b.description;
    out.is_active = b.is_active;
    out.language = b.language;
    out.welcome_message = b.welcome_message;
    out.persona_prompt = b.persona_prompt;
    out.system_prompt = b.system_prompt;
    out.model = b.model;
    out.company = b.company;
    out.appearance_json = b.appearance_json;
    out.allowed_origins = b.allowed_origins;
    out.created_at = b.created_at;
    out.updated_at = b.updated_at;
    return out;
}

json::object stats_json(ServerContext& server, Brand const& b) {
    auto counts = server.store->catalog_counts(b.id, "");
    std::vector<std::string> categories = b.categories;
    std::sort(categories.begin(), categories.end());
    categories.erase(std::unique(categories.begin(), categories.end()), categories.end());
    json::array list;
    for (auto const& c : categories) list.emplace_back(c);
    return json::object{{"brand_id", b.id},
                        {"brand_name", b.name},
                        {"total_products", counts.total},
                        {"available_products", counts.available},
                        {"categories", categories.size()},
                        {"active_conversations", server.conversations.count_of_brand(b.id)},
                        {"category_list", std::move(list)}};
}

asio::awaitable<HttpResponse> list_brands(ApiCall& call) {
    json::array out;
    for (auto const& b : call.server.brands.all()) out.push_back(brand_json(*b));
    co_return json_answer(out);
}

asio::awaitable<HttpResponse> list_active(ApiCall& call) {
    json::array out;
    for (auto const& b : call.server.brands.active()) out.push_back(brand_json(*b));
    co_return json_answer(out);
}

asio::awaitable<HttpResponse> get_brand(ApiCall& call) {
    auto b = brand_of(call);
    co_return b ? json_answer(brand_json(*b)) : brand_not_found();
}

asio::awaitable<HttpResponse> create_brand(ApiCall& call) {
    FieldErrors errors;
    auto in = settings_input(call, errors);
    if (!in) co_return errors.answer();
    Brand b;
    auto name = field(call, *in, "name", errors);
    if (!name && errors.empty()) errors.add({in->from_body ? "body" : "query", "name"}, "Field required", "missing");
    else if (name && name->find_first_not_of(" \t") == std::string::npos)
        errors.add({source_of(*in, "name"), "name"}, "A name must not be blank", "value_error");
    auto asked_id = field(call, *in, "brand_id", errors);
    if (!asked_id) asked_id = field(call, *in, "id", errors);
    if (asked_id && !valid_brand_id(*asked_id))
        errors.add({source_of(*in, "brand_id"), "brand_id"}, "A brand id is 1 to 64 of a-z, 0-9, '-' and '_' (not 'active')", "value_error");
    if (!errors.empty()) co_return errors.answer();
    b.name = *name;
    b.description = field(call, *in, "description", errors).value_or("");
    b.is_active = bool_field(call, *in, "is_active", errors).value_or(true);
    // The original's defaults for a new brand.
    b.welcome_message = "Welcome to " + b.name + "! How can I assist you today?";
    b.company.fields = {{"name", b.name}, {"description", b.description}};
    b.appearance_json = R"({"primary_color":"#007bff","secondary_color":"#6c757d"})";
    if (in->from_body) apply_config(in->body, b, errors);
    if (!errors.empty()) co_return errors.answer();
    // An id already taken gets -1, -2, ... as the original did. The catalog holds every brand the
    // store holds (each change is published to it), so it alone says which ids are taken.
    auto base = asked_id ? *asked_id : id_from_name(b.name);
    if (!valid_brand_id(base)) base = "brand";
    b.id = base;
    for (int n = 1; call.server.brands.find(b.id); ++n) b.id = base + "-" + std::to_string(n);
    b.created_at = b.updated_at = now_text();
    save(call, b);
    auto made = call.server.brands.find(b.id);
    co_return json_answer(brand_json(made ? *made : b), 200);
}

asio::awaitable<HttpResponse> update_brand(ApiCall& call) {
    auto current = brand_of(call);
    if (!current) co_return brand_not_found();
    FieldErrors errors;
    auto in = settings_input(call, errors);
    if (!in) co_return errors.answer();
    auto b = settings_of(*current);
    if (auto name = field(call, *in, "name", errors)) {
        if (name->find_first_not_of(" \t") == std::string::npos) errors.add({source_of(*in, "name"), "name"}, "A name must not be blank", "value_error");
        b.name = *name;
    }
    if (auto description = field(call, *in, "description", errors)) b.description = *description;
    if (auto active = bool_field(call, *in, "is_active", errors)) b.is_active = *active;
    if (in->from_body) apply_config(in->body, b, errors);
    if (!errors.empty()) co_return errors.answer();
    b.updated_at = now_text();
    save(call, b);
    auto now = call.server.brands.find(b.id);
    co_return json_answer(brand_json(now ? *now : b));
}

asio::awaitable<HttpResponse> delete_brand(ApiCall& call) {
    auto id = call.param(0);
    if (!call.server.store->delete_brand(id)) co_return brand_not_found();
    call.server.keys.remove_brand(id);
    publish_brand(call, id);
    co_return json_answer(json::object{{"message", "Brand deleted successfully"}});
}

asio::awaitable<HttpResponse> get_config(ApiCall& call) {
    auto b = brand_of(call);
    co_return b ? json_answer(config_json(*b)) : brand_not_found();
}

asio::awaitable<HttpResponse> put_config(ApiCall& call) {
    auto current = brand_of(call);
    if (!current) co_return brand_not_found();
    FieldErrors errors;
    auto body = json_object_body(call, errors);
    if (!errors.empty()) co_return errors.answer();
    auto b = settings_of(*current);
    apply_config(*body, b, errors);
    if (!errors.empty()) co_return errors.answer();
    b.updated_at = now_text();
    save(call, b);
    co_return json_answer(config_json(*call.server.brands.find(b.id)));
}

json::object prompt_json(Brand const& b) {
    return json::object{{"brand_id", b.id}, {"brand_name", b.name}, {"system_prompt", b.system_prompt}, {"updated_at", b.updated_at}};
}

asio::awaitable<HttpResponse> get_system_prompt(ApiCall& call) {
    auto b = brand_of(call);
    co_return b ? json_answer(prompt_json(*b)) : brand_not_found();
}

asio::awaitable<HttpResponse> put_system_prompt(ApiCall& call) {
    auto current = brand_of(call);
    if (!current) co_return brand_not_found();
    FieldErrors errors;
    auto body = json_object_body(call, errors);
    std::optional<std::string> prompt;
    if (body) prompt = read_string(*body, "system_prompt", {"body"}, errors, true);
    if (!errors.empty()) co_return errors.answer();
    auto b = settings_of(*current);
    b.system_prompt = *prompt;
    b.updated_at = now_text();
    save(call, b);
    json::object out{{"message", "System prompt updated successfully"}};
    for (auto& [k, v] : prompt_json(*call.server.brands.find(b.id))) out[k] = v;
    co_return json_answer(out);
}

asio::awaitable<HttpResponse> brand_stats(ApiCall& call) {
    auto b = brand_of(call);
    co_return b ? json_answer(stats_json(call.server, *b)) : brand_not_found();
}

// Over the active brands, as the original counted.
asio::awaitable<HttpResponse> all_stats(ApiCall& call) {
    json::array per_brand;
    std::size_t products = 0, conversations = 0;
    auto active = call.server.brands.active();
    for (auto const& b : active) {
        auto s = stats_json(call.server, *b);
        products += static_cast<std::size_t>(s.at("total_products").to_number<std::uint64_t>());
        conversations += static_cast<std::size_t>(s.at("active_conversations").to_number<std::uint64_t>());
        per_brand.push_back(std::move(s));
    }
    co_return json_answer(json::object{{"total_brands", call.server.brands.size()},
                                       {"active_brands", active.size()},
                                       {"total_products", products},
                                       {"total_conversations", conversations},
                                       {"brands_stats", std::move(per_brand)}});
}

constexpr Route routes[] = {
    {"GET", "/brands", Access::open, list_brands},
    {"POST", "/brands", Access::admin, create_brand},
    {"GET", "/brands/active", Access::open, list_active},
    {"GET", "/brands/{brand_id}", Access::open, get_brand},
    {"PUT", "/brands/{brand_id}", Access::brand, update_brand},
    {"DELETE", "/brands/{brand_id}", Access::admin, delete_brand},
    {"GET", "/brands/{brand_id}/config", Access::brand, get_config},
    {"PUT", "/brands/{brand_id}/config", Access::brand, put_config},
    {"GET", "/brands/{brand_id}/system-prompt", Access::brand, get_system_prompt},
    {"PUT", "/brands/{brand_id}/system-prompt", Access::brand, put_system_prompt},
    {"GET", "/brands/{brand_id}/stats", Access::brand, brand_stats},
    {"GET", "/stats", Access::admin, all_stats},
};

} // namespace

std::span<Route const> brand_routes() { return routes; }

} // namespace brandchat::api
