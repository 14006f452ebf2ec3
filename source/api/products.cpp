// A brand's products: list (?category=, ?offset=, ?limit=), add, replace, delete, bulk import,
// search and recommendations with the server's own ranking (catalog/ranking.hpp), categories;
// and the original's brand-less paths (/products, /products/search, /categories,
// /recommendations), which act on --default-brand.
#include "api_call.hpp"

#include "brandchat/catalog/brand.hpp"
#include "brandchat/catalog/ranking.hpp"
#include "brandchat/chat/candidates.hpp"
#include "brandchat/config/parse_number.hpp"
#include "brandchat/language/language.hpp"
#include "brandchat/language/text.hpp"
#include "brandchat/net/background_slices.hpp"
#include "brandchat/net/brand_changes.hpp"
#include "brandchat/net/server_context.hpp"
#include "brandchat/reply/catalog_answer.hpp"
#include "brandchat/reply/responder.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <set>
#include <unordered_set>

namespace brandchat::api {

namespace asio = boost::asio;

namespace {

// The brand-less paths name no brand: the default one stands in as their first parameter.
ApiCall on_default_brand(ApiCall& call) {
    ApiCall out{call.server, call.request, {call.server.options.default_brand}, call.principal};
    for (auto const& p : call.params) out.params.push_back(p);
    return out;
}

json::value product_value(Product const& p) { return json::parse(p.json.empty() ? product_json(p) : p.json); }

std::size_t size_query(ApiCall const& call, std::string_view name, std::size_t fallback, FieldErrors& errors) {
    auto q = call.query(name);
    if (!q) return fallback;
    auto value = parse_number<std::size_t>(*q);
    if (!value) errors.add({"query", json::string(name)}, "Input should be a valid integer", "int_parsing");
    return value.value_or(fallback);
}

bool same_text(std::string_view a, std::string_view b) { return to_lower_ascii(a) == to_lower_ascii(b); }

// GET /brands/{id}/products: the catalog in its order. A catalog kept in the store is read a page
// at a time (at most 1,000 products per request), so a large one cannot hold the event loop;
// X-Total-Count says how many there are (in the category, when one is asked for).
asio::awaitable<HttpResponse> list_products(ApiCall& call) {
    auto brand = brand_of(call);
    if (!brand) co_return brand_not_found();
    constexpr std::size_t store_page = 1000;
    FieldErrors errors;
    auto offset = size_query(call, "offset", 0, errors);
    auto limit = size_query(call, "limit", brand->catalog_in_store ? store_page : SIZE_MAX, errors);
    if (!errors.empty()) co_return errors.answer();
    auto category = call.query("category").value_or("");
    std::string out = "[";
    std::size_t total = brand->product_count;
    if (brand->catalog_in_store) {
        for (auto const& p : call.server.store->list_products(brand->id, offset, std::min(limit, store_page), category)) {
            if (out.size() > 1) out += ',';
            out += product_json(p);
        }
        if (!category.empty()) total = call.server.store->catalog_counts(brand->id, category).total;
    } else {
        std::size_t seen = 0, kept = 0;
        for (auto const& p : brand->products) {
            if (!category.empty() && !same_text(p.category, category)) continue;
            if (seen++ < offset || kept >= limit) continue;
            ++kept;
            if (out.size() > 1) out += ','; // appended, not prefixed: GCC 12 warned of an overlapping copy (-Wrestrict)
            out += p.json;
        }
        total = seen;
    }
    HttpResponse res;
    res.body = out + "]";
    res.headers.emplace_back("X-Total-Count", std::to_string(total));
    co_return res;
}

// Writes the products and makes them live; nothing is written when a row is invalid.
void save_products(ApiCall& call, std::string const& brand_id, std::vector<Product> const& products) {
    call.server.store->put_products(brand_id, products);
    publish_brand(call, brand_id);
}

asio::awaitable<HttpResponse> add_product(ApiCall& call) {
    auto brand = brand_of(call);
    if (!brand) co_return brand_not_found();
    FieldErrors errors;
    auto body = json_body(call, errors);
    std::optional<Product> p;
    if (body) p = read_product(*body, {"body"}, brand->id, errors, true);
    if (!errors.empty()) co_return errors.answer();
    save_products(call, brand->id, {*p});
    co_return json_answer(json::object{{"message", "Product added successfully"}, {"product_id", p->id}, {"brand_id", brand->id}});
}

asio::awaitable<HttpResponse> replace_product(ApiCall& call) {
    auto brand = brand_of(call);
    if (!brand) co_return brand_not_found();
    FieldErrors errors;
    auto body = json_body(call, errors);
    if (!body) co_return errors.answer();
    if (body->is_object() && !body->get_object().contains("id")) body->get_object()["id"] = call.param(1);
    auto p = read_product(*body, {"body"}, brand->id, errors, false);
    if (!errors.empty()) co_return errors.answer();
    if (p->id != call.param(1)) co_return detail(400, "Product ID mismatch: the body's id is '" + p->id + "', the path's '" + call.param(1) + "'");
    save_products(call, brand->id, {*p});
    co_return json_answer(json::object{{"message", "Product updated successfully"}});
}

asio::awaitable<HttpResponse> delete_product(ApiCall& call) {
    auto brand = brand_of(call);
    if (!brand) co_return brand_not_found();
    if (!call.server.store->delete_product(brand->id, call.param(1))) co_return detail(404, "Product not found");
    publish_brand(call, brand->id);
    co_return json_answer(json::object{{"message", "Product deleted successfully"}});
}

} // namespace

// All or nothing: every row is checked first, and one invalid row (or a repeated id) writes none.
// A large import is checked and written a slice at a time (store.hpp, import_products), so that
// the chats meanwhile go on.
asio::awaitable<ImportOutcome> import_rows(ApiCall& call, std::string const& brand_id, json::array& rows, json::array const& loc,
                                           FieldErrors found) {
    ImportOutcome out{std::move(found)};
    std::vector<Product> products;
    products.reserve(rows.size());
    std::unordered_set<std::string> ids;
    std::size_t i = 0;
    BackgroundSlices slices; // the chats go on between slices
    for (auto& item : rows) {
        auto row = at(loc, i++);
        if (auto p = read_product(item, row, brand_id, out.errors, true)) {
            if (!ids.insert(p->id).second) out.errors.add(at(row, "id"), "Product id '" + p->id + "' appears twice in this import", "value_error");
            products.push_back(std::move(*p));
        }
        item = nullptr;
        if (slices.due()) co_await slices.give_back();
    }
    // The ids' memory, let go a slice at a time too.
    for (auto it = ids.begin(); it != ids.end(); it = ids.erase(it))
        if (slices.due()) co_await slices.give_back();
    if (!out.errors.empty()) co_return out;
    out.imported = products.size();
    co_await call.server.store->import_products(brand_id, std::move(products));
    co_await slices.give_back(); // its commit took a turn; reading the new catalog takes another
    co_await apply_brand_change_in_slices(call.server, brand_id);
    co_return out;
}

namespace {

asio::awaitable<HttpResponse> bulk_products(ApiCall& call) {
    auto brand = brand_of(call);
    if (!brand) co_return brand_not_found();
    FieldErrors errors;
    auto body = co_await large_json_body(call, errors);
    if (body && !body->is_array()) errors.add({"body"}, "Input should be a valid list of products", "list_type");
    if (!errors.empty()) co_return errors.answer();
    json::array const loc{"body"}; // named: GCC 12 cannot take a braced list as a coroutine's argument
    auto outcome = co_await import_rows(call, brand->id, body->get_array(), loc, {});
    if (!outcome.errors.empty()) co_return outcome.errors.answer();
    auto n = outcome.imported;
    co_return json_answer(json::object{{"message", "Successfully added " + std::to_string(n) + "/" + std::to_string(n) + " products to " + brand->id},
                                       {"success_count", n},
                                       {"total_count", n},
                                       {"brand_id", brand->id}});
}

// The brand's products for `text` by the server's ranking, best first, with their fit, within
// the filters; at most `limit`.
struct Scored {
    std::vector<std::pair<Product, double>> products;
    std::optional<double> confidence;
    Ranking ranking;
    Query query;
    std::shared_ptr<Brand const> candidates;
};

Scored rank_for(ServerContext& server, std::shared_ptr<Brand const> const& brand, std::string const& text, std::string const& category,
                std::optional<std::pair<double, double>> price_range, std::size_t limit) {
    Scored out;
    out.query = read_query(*brand, text);
    Brand const* catalog = brand.get();
    constexpr std::size_t room = 200; // ranked before the filters below, so that they leave enough
    if (brand->catalog_in_store) {
        out.candidates = find_candidates(*server.store, *brand, out.query, {}, room);
        catalog = out.candidates.get();
    }
    out.ranking = rank_products(*catalog, out.query, {}, {std::max(room, limit), 0.0});
    for (auto const& s : out.ranking.suggestions) {
        if (out.products.size() >= limit) break;
        if (s.fit <= 0) continue;
        auto const& p = *s.product;
        if (!category.empty() && !same_text(p.category, category)) continue;
        if (price_range && (p.price < price_range->first || p.price > price_range->second)) continue;
        out.products.emplace_back(p, std::round(s.fit * 1000) / 1000);
    }
    if (!out.products.empty()) {
        double sum = 0;
        for (auto const& [p, fit] : out.products) sum += fit;
        out.confidence = std::round(sum / static_cast<double>(out.products.size()) * 100) / 100;
    }
    return out;
}

// {query, category, price_range: [min, max], limit} → {query, brand_id, results: [{product, similarity_score}]}.
// With a category and no query, the category's products, each with score 1 (as the original did).
asio::awaitable<HttpResponse> search_products(ApiCall& call) {
    auto brand = call.server.brands.find_active(call.param(0));
    if (!brand) co_return detail(404, "Brand '" + call.param(0) + "' not found or inactive");
    FieldErrors errors;
    auto body = json_object_body(call, errors);
    if (!errors.empty()) co_return errors.answer();
    auto const& o = *body;
    auto text = read_string(o, "query", {"body"}, errors, true);
    auto category = read_string(o, "category", {"body"}, errors).value_or("");
    std::optional<std::pair<double, double>> range;
    if (auto const* r = o.if_contains("price_range"); r && !r->is_null()) {
        if (!r->is_array() || r->get_array().size() != 2 || !r->get_array()[0].is_number() || !r->get_array()[1].is_number())
            errors.add({"body", "price_range"}, "Input should be a list of two numbers, [min, max]", "tuple_type");
        else range = std::pair{r->get_array()[0].to_number<double>(), r->get_array()[1].to_number<double>()};
    }
    std::size_t limit = 5;
    if (auto const* l = o.if_contains("limit"); l && !l->is_null()) {
        if (!l->is_int64() && !l->is_uint64()) errors.add({"body", "limit"}, "Input should be a valid integer", "int_type");
        else if (l->to_number<std::int64_t>() < 1 || l->to_number<std::int64_t>() > 100)
            errors.add({"body", "limit"}, "Input should be between 1 and 100", "value_error");
        else limit = static_cast<std::size_t>(l->to_number<std::int64_t>());
    }
    if (!errors.empty()) co_return errors.answer();
    json::array results;
    bool category_only = !category.empty() && text->find_first_not_of(" \t") == std::string::npos;
    if (category_only && !brand->catalog_in_store) {
        for (auto const& p : brand->products) {
            if (results.size() >= limit) break;
            if (!same_text(p.category, category) || (range && (p.price < range->first || p.price > range->second))) continue;
            results.push_back(json::object{{"product", product_value(p)}, {"similarity_score", 1.0}});
        }
    } else {
        for (auto const& [p, fit] : rank_for(call.server, brand, *text, category, range, limit).products)
            results.push_back(json::object{{"product", product_value(p)}, {"similarity_score", fit}});
    }
    co_return json_answer(json::object{{"query", *text}, {"brand_id", brand->id}, {"results", std::move(results)}});
}

// ?query=&limit= → {products, reasoning, match_score}: the reasoning is what the built-in
// responder would say about them, in the query's language.
asio::awaitable<HttpResponse> recommendations(ApiCall& call) {
    auto brand = call.server.brands.find_active(call.param(0));
    if (!brand) co_return detail(404, "Brand '" + call.param(0) + "' not found or inactive");
    FieldErrors errors;
    auto text = call.query("query");
    if (!text) errors.add({"query", "query"}, "Field required", "missing");
    auto limit = size_query(call, "limit", 5, errors);
    if (limit < 1 || limit > 100) errors.add({"query", "limit"}, "Input should be between 1 and 100", "value_error");
    if (!errors.empty()) co_return errors.answer();
    auto scored = rank_for(call.server, brand, *text, "", std::nullopt, limit);
    json::array products;
    for (auto const& [p, fit] : scored.products) products.push_back(product_value(p));
    ReplyRequest request;
    request.brand = brand;
    request.message = *text;
    request.language = detect_language(*text).value_or(brand->language);
    request.query = scored.query;
    request.ranking = scored.ranking;
    request.ranking.suggestions.resize(std::min(request.ranking.suggestions.size(), limit));
    request.candidates = scored.candidates;
    auto reasoning = scored.products.empty()
                         ? std::string("No products found matching your criteria. Please try a different search term or contact our support team for personalized assistance.")
                         : compose_catalog_answer(request);
    co_return json_answer(json::object{{"products", std::move(products)}, {"reasoning", reasoning}, {"match_score", scored.confidence.value_or(0.0)}});
}

asio::awaitable<HttpResponse> categories(ApiCall& call) {
    auto brand = brand_of(call);
    if (!brand) co_return brand_not_found();
    std::set<std::string> sorted(brand->categories.begin(), brand->categories.end());
    json::array list;
    for (auto const& c : sorted) list.emplace_back(c);
    co_return json_answer(json::object{{"categories", std::move(list)}, {"brand_id", brand->id}});
}

template <Handler handler>
asio::awaitable<HttpResponse> on_default(ApiCall& call) {
    auto scoped = on_default_brand(call);
    co_return co_await handler(scoped);
}

// Legacy writes act on the default brand: a key of that brand (or an admin key) is needed.
template <Handler handler>
asio::awaitable<HttpResponse> on_default_with_key(ApiCall& call) {
    auto scoped = on_default_brand(call);
    if (!call.principal->may_act_on(scoped.param(0))) co_return detail(403, "This key may not act on brand '" + scoped.param(0) + "'");
    co_return co_await handler(scoped);
}

constexpr Route routes[] = {
    {"GET", "/brands/{brand_id}/products", Access::open, list_products},
    {"POST", "/brands/{brand_id}/products", Access::brand, add_product},
    {"POST", "/brands/{brand_id}/products/bulk", Access::brand, bulk_products},
    {"POST", "/brands/{brand_id}/products/search", Access::open, search_products},
    {"PUT", "/brands/{brand_id}/products/{product_id}", Access::brand, replace_product},
    {"DELETE", "/brands/{brand_id}/products/{product_id}", Access::brand, delete_product},
    {"POST", "/brands/{brand_id}/recommendations", Access::open, recommendations},
    {"GET", "/brands/{brand_id}/categories", Access::open, categories},
    {"GET", "/products", Access::open, on_default<list_products>},
    {"POST", "/products", Access::brand, on_default_with_key<add_product>}, // any key here; the default brand's checked in it
    {"POST", "/products/search", Access::open, on_default<search_products>},
    {"POST", "/recommendations", Access::open, on_default<recommendations>},
    {"GET", "/categories", Access::open, on_default<categories>},
};

} // namespace

std::span<Route const> product_routes() { return routes; }

} // namespace brandchat::api
