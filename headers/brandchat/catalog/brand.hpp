// A brand as the server hosts it: identity, welcome, persona, company information and its
// product catalog, loaded from one JSON file per brand under resources/brands/.
#pragma once

#include "brandchat/catalog/quantity.hpp"
#include "brandchat/language/language.hpp"

#include <array>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace boost::json {
class object;
}

namespace brandchat {

struct Concept;    // catalog/query.hpp
class Vocabulary; // search/vocabulary.hpp

// Where in a product a word occurs, in the order of Product::field_text.
enum Field : std::uint8_t { name_field, category_field, features_field, specifications_field, description_field };
constexpr std::size_t field_count = 5;

// One product using a word, and how many times in each field (255 at most).
struct Posting {
    std::uint32_t product = 0;
    std::array<std::uint8_t, field_count> count{};
};

struct Product {
    std::string id;
    std::string name;
    std::string description;
    std::string category;
    double price = 0;
    std::vector<std::string> features;
    std::vector<std::pair<std::string, std::string>> specifications; // in file order
    bool availability = true;
    // Optional: a picture of it and its page in the shop, absolute http(s) addresses
    // (web_address_problem); empty when the catalog has none, and then left out of its JSON.
    std::string image_url;
    std::string url;

    std::string json;         // the product as the protocol shows it, serialized once at load (empty:
                              // a candidate read from the store, product_json() when suggested)
    // The fields the ranking reads, lowercased (Field order): name; category; features joined by
    // " | "; specifications as "key value | ..."; description. "non-inverter" is kept as one word,
    // "noninverter", so that it does not count as "inverter".
    std::array<std::string, 5> field_text;
    std::array<std::uint16_t, 5> field_words{}; // words in each field, for BM25's length normalization
    std::vector<ListedQuantity> quantities;     // the amounts its name, features and specifications list
    // The kinds of product it is (category concepts, query.hpp), which a request for a kind must
    // match: those its category or name names. Where those name no kind, or only "accessory" (an
    // "Accessory" called "Sony WH-1000XM5"), those its features name, or else the first its
    // description names ("Industry-leading noise-cancelling headphones for travel..."). A laptop
    // whose features mention its keyboard is not a keyboard. Set by build_word_index.
    std::vector<Concept const*> kinds;
};

struct CompanyInfo {
    std::vector<std::pair<std::string, std::string>> fields; // about, address, phone, hours, ...
    std::string get(std::string const& key) const;
};

struct Brand {
    std::string id;
    std::string name;
    std::string description;
    bool is_active = true;
    Language language = Language::english;
    std::string welcome_message;
    std::string persona_prompt;
    std::string system_prompt;
    std::string model; // optional per-brand model override
    CompanyInfo company;
    std::string appearance_json; // passed through to front ends as it is
    // Web origins ("https://shop.example") whose pages may open this brand's chat WebSocket,
    // besides the server's own page, localhost and --allowed-origins ("*": any).
    std::vector<std::string> allowed_origins;
    std::string created_at, updated_at;
    std::vector<Product> products;          // empty when catalog_in_store
    std::size_t product_count = 0;          // products.size(), or the store's count
    std::vector<std::string> categories;    // distinct, in catalog order
    // A catalog too large to rank in memory (--in-memory-products): its products stay in the
    // store, and each message ranks the candidates the store's full-text index finds.
    bool catalog_in_store = false;
    // Every word of every product: the products using it, with how often in each field (an inverted
    // index for BM25F, search/bm25.hpp). Built at load (build_word_index, ranking.hpp); empty for a
    // message's candidates from the store, whose texts the ranking scans instead.
    std::unordered_map<std::string, std::vector<Posting>> word_index;
    std::array<float, 5> average_field_words{}; // over its products
    // The catalog's words, for stems and typing slips in what shoppers write; with word_index.
    std::shared_ptr<Vocabulary const> vocabulary;
};

// Fills a product's derived fields (json, field_text, field_words, quantities) from its data. Brands built
// from anything but parse_brand (the store) call it for each product, then build_word_index
// (ranking.hpp) for the brand.
// Without `with_json` the json field stays empty (product_json makes it when it is needed).
void derive_product_fields(Product& product, bool with_json = true);
// The product as the protocol shows it.
// Why `text` is not a product's image_url or url: an absolute http or https address with a host,
// at most 2,048 bytes; nullopt when it is one.
std::optional<std::string> web_address_problem(std::string_view text);
std::string product_json(Product const& product);

// All brands, by id. A brand is never changed in place: a change puts a new version in (add),
// and a reply keeps the version it started with (its shared_ptr) while it streams.
class BrandCatalog {
public:
    // Loads every *.json under dir. Throws std::runtime_error naming the file on bad data.
    static BrandCatalog load_directory(std::string const& dir);
    // The brands of every *.json under dir, sorted by file name, without the indexes ranking
    // needs (for an import into the store). Without `problems`, throws std::runtime_error naming
    // the file on bad data. With it, a bad file (or a brand id an earlier file has) is skipped, and
    // so is a bad product or a repeated product id, each with a line in `problems`: the file, the
    // line, what is wrong.
    static std::vector<Brand> read_directory(std::string const& dir, std::vector<std::string>* problems = nullptr);
    // Throws std::runtime_error (invalid JSON: with its line). Without `index`, build_word_index
    // (ranking.hpp) is not run. With `problems`, a bad product (or one whose id is taken) is
    // skipped and described there ("line 40, product 3: ... (skipped)") instead of thrown.
    static Brand parse_brand(std::string_view json_text, bool index = true, std::vector<std::string>* problems = nullptr);

    void add(Brand brand);                      // replaces a brand with the same id
    bool remove(std::string const& id);
    std::shared_ptr<Brand const> find(std::string const& id) const;           // any brand
    std::shared_ptr<Brand const> find_active(std::string const& id) const;    // null if inactive
    std::vector<std::shared_ptr<Brand const>> active() const;                 // sorted by id
    std::vector<std::shared_ptr<Brand const>> all() const;                    // sorted by id
    std::size_t size() const { return brands_.size(); }

private:
    std::map<std::string, std::shared_ptr<Brand const>> brands_;
};

// The JSON a front end needs to show a brand (GET /brands/active, GET /brands/{id}).
std::string brand_summary_json(Brand const& brand);
boost::json::object brand_summary(Brand const& brand); // the same, as an object (boost/json/object.hpp)

} // namespace brandchat
