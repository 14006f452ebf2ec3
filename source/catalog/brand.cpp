#include "brandchat/catalog/brand.hpp"

#include "brandchat/catalog/ranking.hpp"
#include "brandchat/language/text.hpp"
#include "brandchat/protocol/json_text.hpp"

#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

namespace brandchat {

namespace json = boost::json;

namespace {

// The 1-based line of a byte offset.
std::size_t line_at(std::string_view text, std::size_t offset) {
    return 1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(std::min(offset, text.size())), '\n'));
}

std::string required_string(json::object const& o, std::string_view key, std::string_view where) {
    auto const* v = o.if_contains(key);
    if (!v || !v->is_string())
        throw std::runtime_error(std::string(where) + ": \"" + std::string(key) + "\" must be a string");
    return std::string(v->get_string());
}

std::string optional_string(json::object const& o, std::string_view key) {
    auto const* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

Product parse_product(json::value const& v, std::string const& brand_id) {
    if (!v.is_object()) throw std::runtime_error("brand " + brand_id + ": a product is not an object");
    auto const& o = v.get_object();
    Product p;
    p.id = required_string(o, "id", "brand " + brand_id + " product");
    std::string where = "brand " + brand_id + " product " + p.id;
    p.name = required_string(o, "name", where);
    p.description = optional_string(o, "description");
    p.category = required_string(o, "category", where);
    auto const* price = o.if_contains("price");
    if (!price || !price->is_number()) throw std::runtime_error(where + ": \"price\" must be a number");
    p.price = price->to_number<double>();
    if (auto const* f = o.if_contains("features"); f && f->is_array())
        for (auto const& item : f->get_array())
            if (item.is_string()) p.features.emplace_back(item.get_string());
    if (auto const* s = o.if_contains("specifications"); s && s->is_object())
        for (auto const& [key, value] : s->get_object())
            p.specifications.emplace_back(std::string(key),
                                          value.is_string() ? std::string(value.get_string()) : json::serialize(value));
    if (auto const* a = o.if_contains("availability"); a && a->is_bool()) p.availability = a->get_bool();
    for (auto [key, field] : {std::pair{"image_url", &p.image_url}, std::pair{"url", &p.url}}) {
        auto const* v = o.if_contains(key);
        if (!v || v->is_null()) continue;
        if (!v->is_string()) throw std::runtime_error(where + ": \"" + key + "\" must be a string");
        if (auto problem = web_address_problem(v->get_string())) throw std::runtime_error(where + ": \"" + key + "\" " + *problem);
        *field = v->get_string();
    }

    derive_product_fields(p);
    return p;
}

} // namespace

std::optional<std::string> web_address_problem(std::string_view text) {
    if (text.size() > 2048) return "is longer than 2048 bytes";
    auto parsed = boost::urls::parse_uri(text); // a URI with a scheme; a #fragment is allowed
    if (!parsed) return "is not an absolute address (" + parsed.error().message() + ")";
    auto scheme = parsed->scheme_id();
    if (scheme != boost::urls::scheme::http && scheme != boost::urls::scheme::https) return "must be an http or https address";
    if (!parsed->has_authority() || parsed->host().empty()) return "must name a host";
    return std::nullopt;
}

std::string product_json(Product const& p) {
    json::object out;
    out["id"] = p.id;
    out["name"] = p.name;
    out["description"] = p.description;
    out["category"] = p.category;
    out["price"] = p.price;
    json::array features;
    for (auto const& f : p.features) features.emplace_back(f);
    out["features"] = std::move(features);
    json::object specs;
    for (auto const& [k, val] : p.specifications) specs[k] = val;
    out["specifications"] = std::move(specs);
    out["availability"] = p.availability;
    if (!p.image_url.empty()) out["image_url"] = p.image_url;
    if (!p.url.empty()) out["url"] = p.url;
    return protocol::json_text(out); // "price":19999000.0, as the document shows it
}

void derive_product_fields(Product& p, bool with_json) {
    if (with_json) p.json = product_json(p);
    auto& f = p.field_text;
    for (auto& text : f) text.clear();
    f[name_field] = p.name;
    f[category_field] = p.category;
    for (auto const& feature : p.features) (f[features_field].empty() ? f[features_field] : f[features_field].append(" | ")).append(feature);
    for (auto const& [k, val] : p.specifications)
        (f[specifications_field].empty() ? f[specifications_field] : f[specifications_field].append(" | ")).append(k).append(" ").append(val);
    f[description_field] = p.description;
    p.quantities.clear();
    auto list = [&](std::string const& text, std::string const& where) {
        for (auto q : quantities_in(text)) p.quantities.push_back({q, to_lower_ascii(where)});
    };
    list(p.name, p.name);
    for (auto const& feature : p.features) list(feature, feature);
    for (auto const& [k, val] : p.specifications) list(val, k + " " + val);
    for (std::size_t i = 0; i < field_count; ++i) {
        normalize_search_text(f[i]);
        std::size_t words = 0;
        for_each_word(f[i], [&](std::string_view) { ++words; });
        p.field_words[i] = static_cast<std::uint16_t>(std::min<std::size_t>(words, 65535));
    }
}

std::string CompanyInfo::get(std::string const& key) const {
    for (auto const& [k, v] : fields)
        if (k == key) return v;
    return {};
}

Brand BrandCatalog::parse_brand(std::string_view text, bool index, std::vector<std::string>* problems) {
    boost::system::error_code ec;
    json::stream_parser parser;
    auto used = parser.write_some(text.data(), text.size(), ec);
    if (!ec) parser.finish(ec);
    if (ec) throw std::runtime_error("line " + std::to_string(line_at(text, used)) + ": not valid JSON: " + ec.message());
    json::value doc = parser.release();
    if (!doc.is_object()) throw std::runtime_error("a brand file must hold one JSON object");
    auto const& o = doc.get_object();
    Brand b;
    b.id = required_string(o, "id", "brand");
    b.name = required_string(o, "name", "brand " + b.id);
    b.description = optional_string(o, "description");
    if (auto const* a = o.if_contains("is_active"); a && a->is_bool()) b.is_active = a->get_bool();
    if (auto lang = parse_language_code(optional_string(o, "language"))) b.language = *lang;
    b.welcome_message = optional_string(o, "welcome_message");
    if (b.welcome_message.empty()) b.welcome_message = "Welcome to " + b.name + "! How can I help you today?";
    b.persona_prompt = optional_string(o, "persona_prompt");
    b.system_prompt = optional_string(o, "system_prompt");
    b.model = optional_string(o, "model");
    if (auto const* c = o.if_contains("company_info"); c && c->is_object())
        for (auto const& [k, v] : c->get_object())
            if (v.is_string()) b.company.fields.emplace_back(std::string(k), std::string(v.get_string()));
    if (auto const* origins = o.if_contains("allowed_origins"); origins && !origins->is_null()) {
        if (!origins->is_array()) throw std::runtime_error("\"allowed_origins\" must be an array of origins");
        for (auto const& origin : origins->get_array()) {
            if (!origin.is_string()) throw std::runtime_error("\"allowed_origins\" must hold strings such as \"https://shop.example\"");
            b.allowed_origins.emplace_back(origin.get_string());
        }
    }
    if (auto const* a = o.if_contains("appearance"); a && a->is_object()) b.appearance_json = json::serialize(*a);
    else b.appearance_json = "{}";
    b.created_at = optional_string(o, "created_at");
    b.updated_at = optional_string(o, "updated_at");
    if (auto const* ps = o.if_contains("products"); ps && ps->is_array()) {
        std::unordered_set<std::string> ids;
        std::unordered_map<std::string, std::size_t> id_places; // how often each id was met so far
        std::size_t n = 0;
        for (auto const& item : ps->get_array()) {
            ++n;
            auto const* id = item.is_object() ? item.get_object().if_contains("id") : nullptr;
            std::string literal = id && id->is_string() ? json::serialize(*id) : std::string();
            auto place = literal.empty() ? 0 : ++id_places[literal];
            try {
                auto p = parse_product(item, b.id);
                if (!ids.insert(p.id).second) throw std::runtime_error("brand " + b.id + " product " + p.id + ": the id is used twice");
                b.products.push_back(std::move(p));
            } catch (std::runtime_error const& e) {
                if (!problems) throw;
                // Skipped, with where it is: the line of its id (its place-th occurrence) when it has one.
                std::string where = "product " + std::to_string(n);
                auto at = literal.empty() ? std::string_view::npos : text.find(literal);
                for (std::size_t k = 1; k < place && at != std::string_view::npos; ++k) at = text.find(literal, at + 1);
                if (at != std::string_view::npos) where = "line " + std::to_string(line_at(text, at)) + ", " + where;
                problems->push_back(where + ": " + e.what() + " (skipped)");
            }
        }
    }
    if (index) build_word_index(b);
    return b;
}

std::vector<Brand> BrandCatalog::read_directory(std::string const& dir, std::vector<std::string>* problems) {
    namespace fs = std::filesystem;
    std::vector<fs::path> files;
    for (auto const& entry : fs::directory_iterator(dir))
        if (entry.is_regular_file() && entry.path().extension() == ".json") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    std::vector<Brand> brands;
    for (auto const& path : files) {
        std::ifstream in(path, std::ios::binary);
        std::stringstream buffer;
        buffer << in.rdbuf();
        std::vector<std::string> skipped;
        try {
            auto brand = parse_brand(buffer.str(), false, problems ? &skipped : nullptr);
            bool taken = std::any_of(brands.begin(), brands.end(), [&](Brand const& b) { return b.id == brand.id; });
            if (taken) throw std::runtime_error("brand id '" + brand.id + "' is also the id of an earlier file's brand");
            brands.push_back(std::move(brand));
        } catch (std::exception const& e) {
            if (!problems) throw std::runtime_error(path.string() + ": " + e.what());
            skipped.push_back(std::string(e.what()) + " (the brand is skipped)");
        }
        for (auto const& why : skipped) problems->push_back(path.string() + ": " + why);
    }
    return brands;
}

BrandCatalog BrandCatalog::load_directory(std::string const& dir) {
    BrandCatalog catalog;
    for (auto& b : read_directory(dir)) {
        build_word_index(b);
        catalog.add(std::move(b));
    }
    return catalog;
}

void BrandCatalog::add(Brand brand) {
    auto id = brand.id;
    brands_[id] = std::make_shared<Brand const>(std::move(brand));
}

bool BrandCatalog::remove(std::string const& id) { return brands_.erase(id) > 0; }

std::shared_ptr<Brand const> BrandCatalog::find(std::string const& id) const {
    auto it = brands_.find(id);
    return it == brands_.end() ? nullptr : it->second;
}

std::shared_ptr<Brand const> BrandCatalog::find_active(std::string const& id) const {
    auto b = find(id);
    return b && b->is_active ? b : nullptr;
}

std::vector<std::shared_ptr<Brand const>> BrandCatalog::active() const {
    std::vector<std::shared_ptr<Brand const>> out;
    for (auto const& [id, b] : brands_)
        if (b->is_active) out.push_back(b);
    return out;
}

std::vector<std::shared_ptr<Brand const>> BrandCatalog::all() const {
    std::vector<std::shared_ptr<Brand const>> out;
    for (auto const& [id, b] : brands_) out.push_back(b);
    return out;
}

std::string brand_summary_json(Brand const& b) { return json::serialize(brand_summary(b)); }

boost::json::object brand_summary(Brand const& b) {
    json::object o;
    o["id"] = b.id;
    o["name"] = b.name;
    o["description"] = b.description;
    o["is_active"] = b.is_active;
    o["language"] = language_code(b.language);
    o["welcome_message"] = b.welcome_message;
    o["product_count"] = b.product_count;
    json::array cats;
    for (auto const& c : b.categories) cats.emplace_back(c);
    o["categories"] = std::move(cats);
    o["appearance"] = json::parse(b.appearance_json);
    o["created_at"] = b.created_at;
    o["updated_at"] = b.updated_at;
    return o;
}

} // namespace brandchat
