// Amounts with units, as catalogs and shoppers write them: "16GB", "1TB", "55 inci", "27-inch",
// "1,5 PK", "1/2 PK", "2 Pintu", "20 liter", "800 watt", "144Hz", "200MP", "9 kg", "5000mAh".
// A shopper's "16GB RAM" or "AC 1 PK" is met by a product that lists that amount in its name,
// features or specifications; "at least 16GB" / "minimal 8 kg" by one that lists as much or more.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace brandchat {

struct Concept; // query.hpp

enum class Unit : std::uint8_t { gigabyte, inch, pk, liter, watt, hertz, megapixel, door, kilogram, milliamp_hour, tub, rpm, person, centimeter };

struct Quantity {
    double value = 0;           // in the unit's base: 1TB is 1000 gigabytes, 250 ml 0.25 liter
    Unit unit = Unit::gigabyte;
    bool operator==(Quantity const&) const = default;
};

// A quantity a shopper asks for, and how a product's amount must compare with it.
struct AskedQuantity {
    enum class Compare : std::uint8_t { equal, at_least, at_most };
    Quantity quantity;
    Compare compare = Compare::equal;
    std::size_t begin = 0, end = 0; // its bytes in the text it was read from (number and unit)
    std::string said;               // those bytes as the customer wrote them ("16GB"), for an answer to
                                    // quote: the text it was read from may be a corrected copy
    Concept const* about = nullptr; // the quality said beside it ("RAM 8GB", "8GB RAM": memory), which
                                    // the product must say beside its amount ("8GB RAM", not "RTX 4060 8GB")
};

// An amount a product lists, with the feature or specification (or the name) it is in, lowercased.
struct ListedQuantity {
    Quantity quantity;
    std::string where;
};

// The quantities in a product's text, in order (duplicates kept).
std::vector<Quantity> quantities_in(std::string_view text);

// The quantities a message asks for, with the words around them that make them limits ("at least
// 16GB", "minimal 8 kg", "max 1 PK", "16GB or more"). `lower` is the message lowercased.
std::vector<AskedQuantity> asked_quantities(std::string_view lower);

// Whether an amount a product lists meets one asked for (equal within 2%, or the limit).
bool meets(Quantity const& listed, AskedQuantity const& asked);

// "16GB", "1,5 PK", "55 inch": for logs and answers.
std::string_view unit_name(Unit unit);

} // namespace brandchat
