#include "brandchat/catalog/quantity.hpp"

#include "brandchat/language/text.hpp"

#include <cmath>
#include <cstdlib>
#include <string>

namespace brandchat {

namespace {

struct UnitWord {
    std::string_view word;
    Unit unit;
    double scale;
};

// Every spelling of a unit, lowercase, in either language.
constexpr UnitWord unit_words[] = {
    {"gb", Unit::gigabyte, 1},      {"tb", Unit::gigabyte, 1000},   {"inch", Unit::inch, 1},
    {"inches", Unit::inch, 1},      {"inci", Unit::inch, 1},        {"pk", Unit::pk, 1},
    {"liter", Unit::liter, 1},      {"litre", Unit::liter, 1},      {"liters", Unit::liter, 1},
    {"litres", Unit::liter, 1},     {"ltr", Unit::liter, 1},        {"l", Unit::liter, 1},
    {"ml", Unit::liter, 0.001},     {"watt", Unit::watt, 1},        {"watts", Unit::watt, 1},
    {"w", Unit::watt, 1},           {"hz", Unit::hertz, 1},         {"mp", Unit::megapixel, 1},
    {"megapixel", Unit::megapixel, 1}, {"pintu", Unit::door, 1},    {"door", Unit::door, 1},
    {"doors", Unit::door, 1},       {"kg", Unit::kilogram, 1},      {"kilo", Unit::kilogram, 1},
    {"mah", Unit::milliamp_hour, 1}, {"tabung", Unit::tub, 1},      {"rpm", Unit::rpm, 1},
    {"person", Unit::person, 1},    {"persons", Unit::person, 1},   {"people", Unit::person, 1},
    {"orang", Unit::person, 1},     {"p", Unit::person, 1},         {"cm", Unit::centimeter, 1},
    {"mm", Unit::centimeter, 0.1},
};

bool digit(char c) { return c >= '0' && c <= '9'; }
bool letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

UnitWord const* unit_for(std::string_view word) {
    for (auto const& u : unit_words)
        if (u.word.size() == word.size()) {
            bool same = true;
            for (std::size_t i = 0; i < word.size() && same; ++i)
                same = (word[i] | 0x20) == u.word[i];
            if (same) return &u;
        }
    return nullptr;
}

// A number starting at `at`: "16", "1,5", "23.8", "1/2"; a separator followed by exactly three
// digits groups thousands ("5.000 mAh"). Returns the bytes read, 0 when there is no number.
std::size_t read_number(std::string_view text, std::size_t at, double& value) {
    std::size_t i = at;
    std::string digits;
    while (i < text.size() && digit(text[i])) digits += text[i++];
    if (digits.empty() || digits.size() > 9) return 0;
    while (i + 1 < text.size() && (text[i] == '.' || text[i] == ',') && digit(text[i + 1])) {
        std::size_t j = i + 1;
        while (j < text.size() && digit(text[j])) ++j;
        if (j - (i + 1) == 3 && digits.find('.') == std::string::npos) {
            digits.append(text.substr(i + 1, 3)); // thousands
        } else {
            if (digits.find('.') != std::string::npos || j - (i + 1) > 3) break;
            digits += '.';
            digits.append(text.substr(i + 1, j - (i + 1)));
        }
        i = j;
    }
    value = std::strtod(digits.c_str(), nullptr);
    if (i + 1 < text.size() && text[i] == '/' && digit(text[i + 1])) { // "1/2 PK"
        std::size_t j = i + 1;
        double denominator = 0;
        while (j < text.size() && digit(text[j])) denominator = denominator * 10 + (text[j++] - '0');
        if (denominator > 0 && j - i <= 3) {
            value /= denominator;
            i = j;
        }
    }
    return i - at;
}

// Calls f(quantity, begin, end) for each number followed by a unit (joined, or after a space or
// a hyphen: "16GB", "16 GB", "27-inch"; or a '"' for inches), skipping numbers inside words
// ("RTX4060", "i7-1355U").
template <class F>
void scan(std::string_view text, F f) {
    for (std::size_t i = 0; i < text.size();) {
        // Not inside a word: after a letter, a digit, a separator or a byte of a UTF-8 letter.
        bool starts = digit(text[i]) && (i == 0 || !(is_word_byte(text[i - 1]) || text[i - 1] == '.' || text[i - 1] == ','));
        if (!starts) {
            ++i;
            continue;
        }
        double value = 0;
        auto n = read_number(text, i, value);
        if (n == 0) {
            ++i;
            continue;
        }
        std::size_t u = i + n;
        if (u < text.size() && text[u] == '"') {
            f(Quantity{value, Unit::inch}, i, u + 1);
            i = u + 1;
            continue;
        }
        if (u < text.size() && (text[u] == ' ' || text[u] == '-')) ++u;
        std::size_t e = u;
        while (e < text.size() && letter(text[e])) ++e;
        bool whole_word = e == text.size() || !(digit(text[e]) || static_cast<unsigned char>(text[e]) >= 0x80);
        if (auto const* unit = e > u && whole_word ? unit_for(text.substr(u, e - u)) : nullptr) {
            f(Quantity{value * unit->scale, unit->unit}, i, e);
            i = e;
            continue;
        }
        i += n;
    }
}

bool ends_with_words(std::string_view before, std::initializer_list<std::string_view> words) {
    while (!before.empty() && before.back() == ' ') before.remove_suffix(1);
    for (auto w : words)
        if (before.ends_with(w) && (before.size() == w.size() || !letter(before[before.size() - w.size() - 1]))) return true;
    return false;
}

bool starts_with_words(std::string_view after, std::initializer_list<std::string_view> words) {
    while (!after.empty() && after.front() == ' ') after.remove_prefix(1);
    for (auto w : words)
        if (after.starts_with(w) && (after.size() == w.size() || !letter(after[w.size()]))) return true;
    return false;
}

} // namespace

std::vector<Quantity> quantities_in(std::string_view text) {
    std::vector<Quantity> out;
    scan(text, [&](Quantity q, std::size_t, std::size_t) { out.push_back(q); });
    return out;
}

std::vector<AskedQuantity> asked_quantities(std::string_view lower) {
    std::vector<AskedQuantity> out;
    scan(lower, [&](Quantity q, std::size_t begin, std::size_t end) {
        AskedQuantity a{q, AskedQuantity::Compare::equal, begin, end, {}};
        auto before = lower.substr(0, begin);
        auto after = lower.substr(end);
        if (ends_with_words(before, {"at least", "minimal", "minimum", "min", "more than", "over", "above", "lebih dari",
                                     "di atas", "diatas", "paling sedikit"}) ||
            starts_with_words(after, {"or more", "and above", "and up", "ke atas", "keatas", "atau lebih", "+"}) ||
            (end < lower.size() && lower[end] == '+'))
            a.compare = AskedQuantity::Compare::at_least;
        else if (ends_with_words(before, {"at most", "maximum", "maksimal", "maks", "max", "less than", "under", "below",
                                          "kurang dari", "di bawah", "dibawah", "up to", "hingga", "sampai"}) ||
                 starts_with_words(after, {"or less", "and below", "ke bawah", "kebawah", "atau kurang"}))
            a.compare = AskedQuantity::Compare::at_most;
        // More of these is better to a shopper: "a 144Hz screen" is met by 165Hz, "50MP" by 200MP.
        else if (q.unit == Unit::hertz || q.unit == Unit::megapixel || q.unit == Unit::milliamp_hour)
            a.compare = AskedQuantity::Compare::at_least;
        out.push_back(a);
    });
    return out;
}

bool meets(Quantity const& listed, AskedQuantity const& asked) {
    if (listed.unit != asked.quantity.unit) return false;
    double want = asked.quantity.value;
    bool equal = std::abs(listed.value - want) <= 0.02 * std::max(std::abs(want), 1e-9);
    switch (asked.compare) {
    case AskedQuantity::Compare::equal: return equal;
    case AskedQuantity::Compare::at_least: return equal || listed.value > want;
    case AskedQuantity::Compare::at_most: return equal || listed.value < want;
    }
    return false;
}

std::string_view unit_name(Unit unit) {
    switch (unit) {
    case Unit::gigabyte: return "GB";
    case Unit::inch: return "inch";
    case Unit::pk: return "PK";
    case Unit::liter: return "liter";
    case Unit::watt: return "watt";
    case Unit::hertz: return "Hz";
    case Unit::megapixel: return "MP";
    case Unit::door: return "door";
    case Unit::kilogram: return "kg";
    case Unit::milliamp_hour: return "mAh";
    case Unit::tub: return "tub";
    case Unit::rpm: return "rpm";
    case Unit::person: return "person";
    case Unit::centimeter: return "cm";
    }
    return "";
}

} // namespace brandchat
