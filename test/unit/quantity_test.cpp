#include "brandchat/catalog/quantity.hpp"
#include "brandchat/catalog/query.hpp"
#include "brandchat/language/text.hpp"

#include <doctest/doctest.h>

#include <algorithm>

using namespace brandchat;

namespace {
std::vector<Quantity> in(std::string_view text) { return quantities_in(text); }
} // namespace

TEST_CASE("amounts with units as catalogs write them") {
    using Q = std::vector<Quantity>;
    CHECK(in("16GB LPDDR5 RAM, 512GB SSD") == Q{{16, Unit::gigabyte}, {512, Unit::gigabyte}});
    CHECK(in("1TB PCIe Gen4 SSD") == Q{{1000, Unit::gigabyte}});
    CHECK(in("14-inch WUXGA, 23.8-inch IPS, 27\" panel") == Q{{14, Unit::inch}, {23.8, Unit::inch}, {27, Unit::inch}});
    CHECK(in("Midea AC Split 1,5 PK Inverter") == Q{{1.5, Unit::pk}});
    CHECK(in("Daikin AC Split 1/2 PK") == Q{{0.5, Unit::pk}});
    CHECK(in("Kulkas 2 Pintu, 210 liter, 115 watt") == Q{{2, Unit::door}, {210, Unit::liter}, {115, Unit::watt}});
    CHECK(in("Tangki air 250 ml, 65W GaN") == Q{{0.25, Unit::liter}, {65, Unit::watt}});
    CHECK(in("5.000 BTU/h, 5000mAh, 144Hz, 200MP, 9 kg, 1400 rpm, 2 Tabung") ==
          Q{{5000, Unit::milliamp_hour}, {144, Unit::hertz}, {200, Unit::megapixel}, {9, Unit::kilogram}, {1400, Unit::rpm}, {2, Unit::tub}});
    // Numbers inside model names and processor names are not amounts.
    CHECK(in("RTX4060, i7-1355U, LPDDR5-5200, 16IRX8, 10Gbps, 5G, A17") == Q{});
    CHECK(in("Smart TV 43 Inci") == Q{{43, Unit::inch}});
}

TEST_CASE("amounts a shopper asks for, and the words that make them limits") {
    auto asked = asked_quantities("laptop with at least 16gb ram and 1tb");
    REQUIRE(asked.size() == 2);
    CHECK(asked[0].quantity == Quantity{16, Unit::gigabyte});
    CHECK(asked[0].compare == AskedQuantity::Compare::at_least);
    CHECK(asked[1].compare == AskedQuantity::Compare::equal);
    CHECK(asked_quantities("mesin cuci minimal 8 kg")[0].compare == AskedQuantity::Compare::at_least);
    CHECK(asked_quantities("tv 50 inch or more")[0].compare == AskedQuantity::Compare::at_least);
    CHECK(asked_quantities("ac maksimal 1 pk")[0].compare == AskedQuantity::Compare::at_most);
    CHECK(meets({18, Unit::gigabyte}, asked[0]));
    CHECK_FALSE(meets({8, Unit::gigabyte}, asked[0]));
    CHECK_FALSE(meets({16, Unit::inch}, asked[0])); // another unit is another thing
    auto pk = asked_quantities("ac 1 pk");
    REQUIRE(pk.size() == 1);
    CHECK(meets({1, Unit::pk}, pk[0]));
    CHECK_FALSE(meets({1.5, Unit::pk}, pk[0]));
    // An amount of money is a price limit, not an attribute.
    CHECK(asked_quantities("laptop under 15 juta").empty());
    auto q = parse_query("laptop with 16GB RAM under 15 juta");
    CHECK(q.max_price == 15e6);
    REQUIRE(q.quantities.size() == 1);
    CHECK(std::find(q.other_terms.begin(), q.other_terms.end(), "16gb") == q.other_terms.end());
}

TEST_CASE("a word negated with 'non' is another word") {
    std::string text = "Non-inverter, NON inverter, inverter, none of it";
    normalize_search_text(text);
    CHECK(text == "noninverter, noninverter, inverter, none of it");
}

TEST_CASE("a number right after a letter of another script is part of that word, not an amount") {
    // Found by test/fuzz/query.cpp: "\x97\x91\x9c\x997 inch" read "7 inch" out of the middle of a
    // word, and the word left behind was not a word of the message.
    CHECK(quantities_in("\x97\x91\x9c\x99" "7 inch").empty());
    CHECK(quantities_in("ukuran 7 inch") == std::vector<Quantity>{{7, Unit::inch}});
}
