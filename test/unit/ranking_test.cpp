#include "brandchat/catalog/query.hpp"
#include "brandchat/catalog/ranking.hpp"
#include "brandchat/language/text.hpp"
#include "test_brands.hpp"

#include <doctest/doctest.h>

#include <algorithm>

using namespace brandchat;

TEST_CASE("rupiah amounts as customers write them") {
    CHECK(parse_rupiah_amount("15", "million") == 15e6);
    CHECK(parse_rupiah_amount("15", "juta") == 15e6);
    CHECK(parse_rupiah_amount("1.5", "juta") == 1.5e6);
    CHECK(parse_rupiah_amount("2,5", "jt") == 2.5e6);
    CHECK(parse_rupiah_amount("8.000.000", "") == 8e6);
    CHECK(parse_rupiah_amount("8,000,000", "") == 8e6);
    CHECK(parse_rupiah_amount("500", "rb") == 5e5);
    CHECK(parse_rupiah_amount("500", "k") == 5e5);
    CHECK_FALSE(parse_rupiah_amount("16", "gb"));
    // Past Rp 10^18, or past a double's range, a number is not an amount (found by
    // test/fuzz/query.cpp: such a limit was repeated in the answer as "Rp -9.223.372...").
    CHECK(parse_rupiah_amount("1000000000", "b") == 1e18);
    CHECK_FALSE(parse_rupiah_amount("1000000001", "b"));
    CHECK_FALSE(parse_rupiah_amount(std::string(400, '9'), ""));
    CHECK_FALSE(parse_query("max inHalo akg around 8,19.999.0009.999.999.0000 Ra").max_price);
}

TEST_CASE("price limits in English and Indonesian") {
    CHECK(parse_query("a laptop under 15 million").max_price == 15e6);
    CHECK(parse_query("laptop di bawah 10 juta").max_price == 10e6);
    CHECK(parse_query("budget Rp 8.000.000 for a phone").max_price == 8e6);
    CHECK(parse_query("hp maksimal 3jt").max_price == 3e6);
    CHECK(parse_query("monitor less than 5 juta").max_price == 5e6);
    CHECK(parse_query("laptop above 20 million").min_price == 20e6);
    auto range = parse_query("phone between 3 and 6 juta");
    CHECK(range.min_price == 3e6);
    CHECK(range.max_price == 6e6);
    CHECK_FALSE(parse_query("a 27 inch monitor with 16GB").max_price);
    CHECK(parse_query("What is your cheapest laptop?").cheapest);
    CHECK(parse_query("kulkas termurah").cheapest);
}

TEST_CASE("synonyms fold English and Indonesian words into one concept") {
    CHECK(find_concept("notebook") == find_concept("laptop"));
    CHECK(find_concept("ponsel") == find_concept("smartphone"));
    CHECK(find_concept("kantor") == find_concept("business"));
    CHECK(find_concept("fridge") == find_concept("kulkas"));
}

TEST_CASE("ranking honours categories, price limits and availability") {
    auto const& techpro = test::bundled("techpro");
    auto r = rank_products(techpro, parse_query("I need a notebook for business under 15 million"), {});
    CHECK(r.about_products);
    REQUIRE_FALSE(r.suggestions.empty());
    CHECK(r.suggestions.size() <= 3);
    for (auto const& s : r.suggestions) {
        CHECK(s.product->category == "Laptop");
        CHECK(s.product->price <= 15e6);
    }
    REQUIRE(r.confidence);
    CHECK(*r.confidence > 0);
    CHECK(*r.confidence <= 1);

    auto cheapest = rank_products(techpro, parse_query("What is your cheapest laptop?"), {});
    REQUIRE_FALSE(cheapest.suggestions.empty());
    double min_price = 1e18;
    for (auto const& p : techpro.products)
        if (p.category == "Laptop" && p.availability) min_price = std::min(min_price, p.price);
    CHECK(cheapest.suggestions.front().product->price == min_price);

    auto in_stock = rank_products(techpro, parse_query("laptop in stock"), {}, {10, 0.5});
    for (auto const& s : in_stock.suggestions) CHECK(s.product->availability);
}

TEST_CASE("a product is the kind its category or name says; an accessory, the kind its features or description say") {
    auto const& techpro = test::bundled("techpro");
    auto product = [&](std::string_view name) -> Product const& {
        auto it = std::find_if(techpro.products.begin(), techpro.products.end(), [&](Product const& p) { return p.name == name; });
        REQUIRE(it != techpro.products.end());
        return *it;
    };
    auto kinds = [](Product const& p) {
        std::vector<std::string_view> names;
        for (auto const* c : p.kinds) names.push_back(c->name);
        std::sort(names.begin(), names.end());
        return names;
    };
    using Names = std::vector<std::string_view>;
    CHECK(kinds(product("MSI Katana 15 B13VFK")) == Names{"laptop"}); // "Red backlit keyboard" in its features
    CHECK(kinds(product("Anker 563 USB-C Docking Station 10-in-1")) == Names{"accessory", "dock"}); // "...a single laptop port"
    CHECK(kinds(product("Sony WH-1000XM5")) == Names{"accessory", "headphone"});
    CHECK(kinds(product("Apple AirPods Pro (2nd generation) USB-C")) == Names{"accessory", "headphone"}); // "...iPhone, iPad and MacBook"
    CHECK(kinds(product("Logitech MX Keys S")) == Names{"accessory", "keyboard"});

    auto names_for = [&](char const* message) {
        std::vector<std::string> names;
        for (auto const& s : rank_products(techpro, parse_query(message), {}).suggestions) names.push_back(s.product->name);
        return names;
    };
    using Strings = std::vector<std::string>;
    CHECK(names_for("do you sell keyboards?") == Strings{"Logitech MX Keys S", "Rexus Daxa M71 Pro Mechanical Keyboard"});
    CHECK(names_for("cheapest headphones?") == Strings{"Apple AirPods Pro (2nd generation) USB-C", "Sony WH-1000XM5"});
    auto mice = names_for("I need a wireless mouse");
    std::sort(mice.begin(), mice.end());
    CHECK(mice == Strings{"Logitech G Pro X Superlight 2", "Logitech MX Master 3S"});
    auto laptops = names_for("cheapest laptop");
    REQUIRE_FALSE(laptops.empty());
    for (auto const& name : laptops) CHECK(product(name).category == "Laptop");
    // A kind named after "with" or "for" is a quality of the kind asked for, not a second kind.
    for (char const* message : {"laptop with a good keyboard", "laptop dengan keyboard nyaman", "laptop with wireless mouse"}) {
        CAPTURE(message);
        auto names = names_for(message);
        REQUIRE_FALSE(names.empty());
        for (auto const& name : names) CHECK(product(name).category == "Laptop");
    }
    for (char const* message : {"tablet with keyboard", "phone with earbuds"}) {
        CAPTURE(message);
        auto names = names_for(message);
        REQUIRE_FALSE(names.empty());
        for (auto const& name : names) CHECK(product(name).category != "Accessory");
    }
    CHECK(names_for("docking station for my laptop") == Strings{"Anker 563 USB-C Docking Station 10-in-1"});
    CHECK(names_for("laptop and mouse").size() == 3); // "and": either kind
}

TEST_CASE("'cheap' and 'murah' ask for the cheapest of the best fits; '4k' is a resolution, not an amount") {
    auto q = parse_query("tv 4k murah");
    CHECK(q.cheapest);
    CHECK_FALSE(q.has_price_limit());
    REQUIRE(q.qualities.size() == 1);
    CHECK(q.qualities[0] == find_concept("uhd"));
    CHECK(q.other_terms.empty());
    auto r = rank_products(test::bundled("rumahkita"), q, {});
    // The 4K sets, cheapest first, and not the cheaper 32-inch set that is not 4K.
    REQUIRE(r.suggestions.size() == 2);
    CHECK(r.suggestions[0].product->name == "Samsung Smart TV 43 Inci Crystal UHD 4K UA43CU7000");
    CHECK(r.suggestions[1].product->name == "Sharp Google TV 50 Inci 4T-C50FJ1X");
    CHECK(parse_query("cheap phone").cheapest);
    // Nearly as good a fit still counts: the student laptop described only in words (0.8) after
    // the one whose features say "Student" too (1).
    auto students = rank_products(test::bundled("techpro"), parse_query("laptop termurah untuk mahasiswa"), {});
    REQUIRE(students.suggestions.size() >= 2);
    for (std::size_t i = 1; i < students.suggestions.size(); ++i)
        CHECK(students.suggestions[i - 1].product->price <= students.suggestions[i].product->price);
    CHECK(parse_query("laptop under 500k").max_price == 5e5); // an amount with a unit is still an amount
}

TEST_CASE("a quality said with two of its words in the description counts as fully as in the name or features") {
    auto r = rank_products(test::bundled("techpro"), parse_query("I need a laptop for business work"), {});
    REQUIRE_FALSE(r.suggestions.empty());
    // "Durable 14-inch business laptop ... built for office work", over the student laptop whose
    // features list "Office Home & Student" software.
    CHECK(r.suggestions[0].product->name == "HP EliteBook 840 G10");
}

TEST_CASE("Indonesian catalog and Indonesian words") {
    auto const& rumah = test::bundled("rumahkita");
    auto r = rank_products(rumah, parse_query("cari kulkas di bawah 5 juta"), {});
    REQUIRE_FALSE(r.suggestions.empty());
    for (auto const& s : r.suggestions) {
        CHECK(s.product->category == "Kulkas");
        CHECK(s.product->price <= 5e6);
    }
    auto fan = rank_products(rumah, parse_query("I want a cheap fan"), {});
    REQUIRE_FALSE(fan.suggestions.empty());
    CHECK(fan.suggestions.front().product->category == "Kipas Angin");
}

TEST_CASE("messages that are not about products suggest nothing") {
    auto const& techpro = test::bundled("techpro");
    for (auto text : {"Hello!", "Tell me about your company", "Terima kasih", "What are your opening hours?"}) {
        auto r = rank_products(techpro, parse_query(text), {});
        CHECK_MESSAGE(!r.about_products, text);
        CHECK(r.suggestions.empty());
        CHECK_FALSE(r.confidence);
    }
}

TEST_CASE("follow-ups are about the products just suggested") {
    auto const& techpro = test::bundled("techpro");
    RankingContext context{{"laptop-002"}, 0.8, {"I need a laptop for business work"}};
    auto r = rank_products(techpro, parse_query("What's the price?"), context);
    CHECK(r.follow_up);
    REQUIRE(r.suggestions.size() == 1);
    CHECK(r.suggestions[0].product->id == "laptop-002");
    CHECK(r.confidence == 0.8);

    // "Which is cheapest?" keeps the topic of the conversation.
    auto topic = rank_products(techpro, parse_query("which one is the cheapest?"), context);
    REQUIRE_FALSE(topic.suggestions.empty());
    CHECK(topic.suggestions.front().product->category == "Laptop");
}

TEST_CASE("nothing fits: an empty list and a null confidence") {
    auto r = rank_products(test::bundled("techpro"), parse_query("I need a laptop under 1 million"), {});
    CHECK(r.about_products);
    CHECK(r.suggestions.empty());
    CHECK_FALSE(r.confidence);
}

TEST_CASE("a product's distinct words answer whole-word searches exactly as its text does") {
    CHECK(distinct_words("gaming laptop, 16gb ram | laptop rp 19.999.000") ==
          std::vector<std::string>{"000", "16gb", "19", "999", "gaming", "laptop", "ram", "rp"});
    for (char const* id : {"techpro", "rumahkita"}) {
        for (auto const& p : test::bundled(id).products) {
            for (auto const& text : p.field_text) {
                auto words = distinct_words(text);
                for (auto const& w : words) CHECK(contains_word(text, w));
                // Part of a word is not a word: "lapto" is not in "laptop".
                for (auto const& w : words) {
                    if (w.size() < 3) continue;
                    auto part = w.substr(0, w.size() - 1);
                    CHECK(std::binary_search(words.begin(), words.end(), part) == contains_word(text, part));
                }
            }
            CHECK_FALSE(distinct_words(p.field_text[name_field]).empty());
        }
    }
}

TEST_CASE("the inverted index counts each word in each field as the product's texts hold it") {
    for (char const* id : {"techpro", "rumahkita"}) {
        Brand const& brand = test::bundled(id);
        std::size_t postings = 0;
        for (auto const& [word, entries] : brand.word_index)
            for (auto const& e : entries) {
                REQUIRE(e.product < brand.products.size());
                auto const& p = brand.products[e.product];
                for (std::size_t f = 0; f < field_count; ++f) CHECK(e.count[f] == count_word(p.field_text[f], word));
                ++postings;
            }
        std::size_t expected = 0;
        for (auto const& p : brand.products) {
            std::vector<std::string> words;
            for (auto const& text : p.field_text)
                for (auto& w : distinct_words(text)) words.push_back(w);
            std::sort(words.begin(), words.end());
            expected += static_cast<std::size_t>(std::unique(words.begin(), words.end()) - words.begin());
        }
        CHECK(postings == expected);
    }
}

TEST_CASE("the brand's inverted index ranks exactly as scanning every product's text does") {
    for (char const* id : {"techpro", "rumahkita"}) {
        Brand const& indexed = test::bundled(id);
        Brand scanned = indexed;
        scanned.word_index.clear(); // every word looked for in the texts, as for a message's candidates from the store
        for (char const* message : {"I need a laptop for business work", "gaming laptop under 20 juta", "cheapest phone",
                                    "wireless headphones with noise cancelling", "kursi kantor yang nyaman", "smart tv 55 inch",
                                    "sofa untuk ruang tamu di bawah 5 juta", "camera for vlogging", "meja makan kayu",
                                    "kulkas besar hemat listrik", "laptop ringan untuk mahasiswa", "monitor 4k for design",
                                    "rice cooker kecil", "televisi termurah", "portable bluetooth speaker", "I want an iPhone",
                                    "MacBook Pro 16", "AC 1 PK inverter", "vacuum tanpa kabel"}) {
            auto q = read_query(indexed, message);
            auto a = rank_products(indexed, q, {});
            CAPTURE(message);
            auto b = rank_products(scanned, q, {});
            REQUIRE(a.suggestions.size() == b.suggestions.size());
            for (std::size_t i = 0; i < a.suggestions.size(); ++i) {
                CHECK(a.suggestions[i].product->id == b.suggestions[i].product->id);
                CHECK(a.suggestions[i].fit == doctest::Approx(b.suggestions[i].fit).epsilon(1e-6));
            }
            CHECK(a.confidence == b.confidence);
        }
    }
}

namespace {
std::vector<std::string> ids_for(char const* brand_id, std::vector<char const*> turns, Ranking* last = nullptr) {
    auto const& brand = test::bundled(brand_id);
    RankingContext context;
    Ranking r;
    for (auto const* message : turns) {
        r = rank_products(brand, read_query(brand, message), context);
        if (r.about_products) {
            context.last_product_ids.clear();
            for (auto const& s : r.suggestions) context.last_product_ids.push_back(s.product->id);
            context.last_confidence = r.confidence;
        }
        context.recent_user_messages.push_back(message);
    }
    std::vector<std::string> ids;
    for (auto const& s : r.suggestions) ids.push_back(s.product->id);
    if (last) *last = r;
    return ids;
}
using Ids = std::vector<std::string>;
} // namespace

TEST_CASE("a product line named is met by the products of that line, and a model number picks the model") {
    auto iphone = ids_for("techpro", {"I want an iPhone"});
    std::sort(iphone.begin(), iphone.end());
    CHECK(iphone == Ids{"phone-003", "phone-004"});
    CHECK(ids_for("techpro", {"What's the cheapest MacBook you have?"}).front() == "laptop-008");
    Ranking r;
    // Out of stock, but the one asked for: first, its fit scaled as any out-of-stock product's is.
    CHECK(ids_for("techpro", {"Is the MacBook Pro 16 available?"}, &r).front() == "laptop-010");
    CHECK(r.suggestions.front().fit == doctest::Approx(0.6));
    CHECK(*r.confidence <= 0.7);
    auto ipad = ids_for("techpro", {"iPad"});
    for (auto const& id : ipad) CHECK(id.starts_with("tablet-00"));
    CHECK(std::find(ipad.begin(), ipad.end(), "tablet-003") == ipad.end()); // not the Samsung
}

TEST_CASE("an amount or a yes/no attribute not met lowers the fit below the others") {
    CHECK(ids_for("rumahkita", {"AC 1 PK inverter"}).front() == "ac-002");
    auto doors = ids_for("rumahkita", {"kulkas 2 pintu yang hemat listrik"});
    REQUIRE_FALSE(doors.empty());
    CHECK(std::find(doors.begin(), doors.end(), "kulkas-001") == doors.end()); // 1 pintu
    for (auto const& id : ids_for("techpro", {"laptop with 16GB RAM under 15 juta"}))
        CHECK((id == "laptop-007" || id == "laptop-013" || id == "laptop-014"));
    for (auto const& id : ids_for("techpro", {"4K monitor"})) CHECK((id == "monitor-002" || id == "monitor-007"));
    CHECK(ids_for("rumahkita", {"TV OLED 55 inci"}) == Ids{"tv-003"});
    CHECK(ids_for("rumahkita", {"AC non inverter"}).front() == "ac-001");
}

TEST_CASE("'hp' is a phone to an Indonesian shopper, and the maker beside another kind") {
    for (auto const& id : ids_for("techpro", {"hp murah"})) CHECK(id.starts_with("phone-"));
    auto laptops = ids_for("techpro", {"laptop hp"});
    std::sort(laptops.begin(), laptops.end());
    CHECK(laptops == Ids{"laptop-003", "laptop-014"});
}

TEST_CASE("follow-ups resolve against the products last shown") {
    auto cheaper = ids_for("techpro", {"show me gaming laptops", "which one is cheaper?"});
    auto shown = ids_for("techpro", {"show me gaming laptops"});
    REQUIRE(cheaper.size() == shown.size());
    CHECK(cheaper.front() == "laptop-011"); // the Katana, the cheapest of those shown
    CHECK(ids_for("techpro", {"show me gaming laptops", "the first two"}) == Ids{shown[0], shown[1]});
    CHECK(ids_for("techpro", {"show me gaming laptops", "what about the Pro version?"}).front() == "laptop-015");
    CHECK(ids_for("techpro", {"I want an iPhone", "what about the Pro version?"}).front() == "phone-003");
    CHECK(ids_for("rumahkita", {"kulkas", "yang kedua berapa harganya?"}) ==
          Ids{ids_for("rumahkita", {"kulkas"})[1]});
}

TEST_CASE("questions about the shop suggest no products") {
    for (char const* message : {"How long is the warranty?", "shipping cost?", "bisa cicilan?", "bisa COD?", "jam buka toko?",
                                "alamat tokonya di mana?", "can I return it?"}) {
        CAPTURE(message);
        Ranking r;
        CHECK(ids_for("rumahkita", {message}, &r).empty());
        CHECK_FALSE(r.about_products);
        CHECK_FALSE(r.confidence);
    }
    auto q = parse_query("bisa COD dan cicilan? berapa ongkir ke Bandung?");
    CHECK(q.shop_topics == std::vector<ShopTopic>{ShopTopic::shipping, ShopTopic::payment});
}

TEST_CASE("outside a follow-up every product kept fits at least the threshold, out of stock or not") {
    // Found by test/fuzz/query.cpp: products were kept by the fit they sort by, and an
    // out-of-stock one named in part was then reported below the threshold.
    for (char const* id : {"techpro", "rumahkita"})
        for (char const* message : {"max miliar around 8,18.999.0009.99 Ra", "MacBook Pro 16 gaming", "Legion Pro 5 under 40 juta",
                                    "LG OLED 55 inci 4K", "Xiaomi Pad 6 with keyboard", "kulkas side by side inverter"}) {
            CAPTURE(message);
            auto r = rank_products(test::bundled(id), read_query(test::bundled(id), message), {});
            for (auto const& s : r.suggestions) CHECK(s.fit >= 0.5);
        }
}
