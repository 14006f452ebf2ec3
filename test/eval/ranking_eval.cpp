// The ranking's yardstick: a labelled set of conversations (ranking_eval.json, README.md) played
// through read_query and rank_products as the reply pipeline plays them (chat/reply_pipeline.cpp,
// prepare() and finish()), once with the catalogs in memory and once kept in a SQLite store and
// ranked over the store's candidates; prints precision@3, first-right, shop and none rates and
// confidence bounds violated, overall and per group.
//
//   ranking_eval CASES.json BRANDS_DIR [--min-precision X] [--min-first X] [--min-shop X]
//                [--min-none X] [--verbose] [--case ID]...
//
// Exit 0: every given threshold met in both modes; 1: one was not; 2: a bad file, case or argument.
#include "brandchat/catalog/brand.hpp"
#include "brandchat/catalog/query.hpp"
#include "brandchat/catalog/ranking.hpp"
#include "brandchat/chat/candidates.hpp"
#include "brandchat/chat/conversation.hpp"
#include "brandchat/language/language.hpp"
#include "brandchat/log.hpp"
#include "brandchat/reply/catalog_answer.hpp"
#include "brandchat/reply/responder.hpp"
#include "brandchat/store/sqlite_store.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

using namespace brandchat;
namespace json = boost::json;

namespace {

// A bad file, case or argument: exit 2.
struct BadInput : std::runtime_error {
    using std::runtime_error::runtime_error;
};

enum class Expect { products, none, shop };

struct Case {
    std::string id, brand, group, lang, note;
    std::vector<std::string> turns;
    Expect expect = Expect::products;
    std::vector<std::string> relevant, first;
    std::string answer_contains;
    std::optional<double> max_confidence, min_confidence;
};

std::vector<std::string> const groups = {"names", "attributes", "budgets", "kinds", "typos", "followups", "shop", "stock"};

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string read_file(std::string const& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw BadInput("cannot read " + path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string string_field(json::object const& o, std::string const& key, std::string const& where, bool required) {
    auto const* v = o.if_contains(key);
    if (!v) {
        if (required) throw BadInput(where + ": missing \"" + key + "\"");
        return {};
    }
    if (!v->is_string()) throw BadInput(where + ": \"" + key + "\" is not a string");
    return std::string(v->as_string());
}

std::vector<std::string> strings_field(json::object const& o, std::string const& key, std::string const& where) {
    std::vector<std::string> out;
    auto const* v = o.if_contains(key);
    if (!v) return out;
    if (!v->is_array()) throw BadInput(where + ": \"" + key + "\" is not an array");
    for (auto const& e : v->as_array()) {
        if (!e.is_string()) throw BadInput(where + ": \"" + key + "\" holds something other than a string");
        out.emplace_back(e.as_string());
    }
    return out;
}

std::optional<double> number_field(json::object const& o, std::string const& key, std::string const& where) {
    auto const* v = o.if_contains(key);
    if (!v) return std::nullopt;
    if (!v->is_number()) throw BadInput(where + ": \"" + key + "\" is not a number");
    double d = v->to_number<double>();
    if (d < 0 || d > 1) throw BadInput(where + ": \"" + key + "\" is outside [0, 1]");
    return d;
}

// Reads and checks every case against the catalog: known brand and group, turns, and every
// product id of relevant/first a product of that brand.
std::vector<Case> load_cases(std::string const& path, BrandCatalog const& catalog) {
    json::value doc;
    try {
        doc = json::parse(read_file(path));
    } catch (BadInput const&) {
        throw;
    } catch (std::exception const& e) {
        throw BadInput(path + ": not JSON: " + e.what());
    }
    if (!doc.is_array()) throw BadInput(path + ": not a JSON array of cases");
    std::vector<Case> out;
    std::set<std::string> seen;
    std::size_t index = 0;
    for (auto const& v : doc.as_array()) {
        std::string where = path + ": case " + std::to_string(index++);
        if (!v.is_object()) throw BadInput(where + ": not an object");
        auto const& o = v.as_object();
        static const std::set<std::string> known = {"id", "brand", "group", "lang", "note", "turns", "expect", "relevant",
                                                    "first", "answer_contains", "max_confidence", "min_confidence"};
        for (auto const& kv : o)
            if (!known.contains(std::string(kv.key()))) throw BadInput(where + ": unknown field \"" + std::string(kv.key()) + "\"");
        Case c;
        c.id = string_field(o, "id", where, true);
        if (c.id.empty()) throw BadInput(where + ": empty id");
        where += " (" + c.id + ")";
        if (!seen.insert(c.id).second) throw BadInput(where + ": duplicate id");
        c.brand = string_field(o, "brand", where, true);
        auto brand = catalog.find(c.brand);
        if (!brand) throw BadInput(where + ": unknown brand \"" + c.brand + "\"");
        c.group = string_field(o, "group", where, true);
        if (std::find(groups.begin(), groups.end(), c.group) == groups.end()) throw BadInput(where + ": unknown group \"" + c.group + "\"");
        c.lang = string_field(o, "lang", where, false);
        if (!c.lang.empty() && c.lang != "en" && c.lang != "id") throw BadInput(where + ": lang is neither \"en\" nor \"id\"");
        c.note = string_field(o, "note", where, true);
        c.turns = strings_field(o, "turns", where);
        if (c.turns.empty()) throw BadInput(where + ": no turns");
        for (auto const& t : c.turns)
            if (t.empty()) throw BadInput(where + ": an empty turn");
        auto expect = string_field(o, "expect", where, true);
        if (expect == "products") c.expect = Expect::products;
        else if (expect == "none") c.expect = Expect::none;
        else if (expect == "shop") c.expect = Expect::shop;
        else throw BadInput(where + ": expect is not \"products\", \"none\" or \"shop\"");
        c.relevant = strings_field(o, "relevant", where);
        c.first = strings_field(o, "first", where);
        c.answer_contains = string_field(o, "answer_contains", where, false);
        c.max_confidence = number_field(o, "max_confidence", where);
        c.min_confidence = number_field(o, "min_confidence", where);
        if (c.expect == Expect::products) {
            if (c.relevant.empty()) throw BadInput(where + ": a \"products\" case needs a non-empty \"relevant\"");
            if (o.contains("first") && c.first.empty()) throw BadInput(where + ": \"first\" is empty");
            if (c.first.empty()) c.first = c.relevant;
            for (auto const* list : {&c.relevant, &c.first})
                for (auto const& id : *list)
                    if (std::none_of(brand->products.begin(), brand->products.end(), [&](Product const& p) { return p.id == id; }))
                        throw BadInput(where + ": \"" + id + "\" is not a product of " + c.brand);
            for (auto const& id : c.first)
                if (std::find(c.relevant.begin(), c.relevant.end(), id) == c.relevant.end())
                    throw BadInput(where + ": first pick \"" + id + "\" is not in \"relevant\"");
            std::set<std::string> distinct(c.relevant.begin(), c.relevant.end());
            if (distinct.size() != c.relevant.size()) throw BadInput(where + ": \"relevant\" repeats an id");
        } else {
            if (!c.relevant.empty() || !c.first.empty()) throw BadInput(where + ": \"relevant\"/\"first\" only belong to \"products\" cases");
        }
        if (c.expect == Expect::shop && c.answer_contains.empty()) throw BadInput(where + ": a \"shop\" case needs \"answer_contains\"");
        if (c.expect != Expect::shop && !c.answer_contains.empty()) throw BadInput(where + ": \"answer_contains\" only belongs to \"shop\" cases");
        if (c.max_confidence && c.min_confidence && *c.min_confidence > *c.max_confidence)
            throw BadInput(where + ": min_confidence is above max_confidence");
        out.push_back(std::move(c));
    }
    if (out.empty()) throw BadInput(path + ": no cases");
    return out;
}

// What the last turn of a case got.
struct Outcome {
    std::vector<std::pair<std::string, double>> suggested; // id, fit; best first
    std::optional<double> confidence;
    bool about_products = false, follow_up = false;
    std::string answer; // the built-in responder's, for the last turn
    std::vector<std::string> earlier; // what each earlier turn suggested, ids
};

// A way to rank: the brands in memory, or kept in a store and ranked over its candidates.
struct Mode {
    std::string name;
    std::map<std::string, std::shared_ptr<Brand const>> brands;
    std::unique_ptr<Store> store; // null: in memory
};

// Plays the case's turns as the reply pipeline does: per message, the conversation's language,
// read_query, the context (last products and confidence, the last 3 user messages before this
// one), candidates from the store for a catalog kept there, rank_products(limit 3, threshold
// 0.5), the user's turn recorded, the built-in answer recorded as the assistant's turn, and the
// suggestions remembered when the message was about products (finish()).
Outcome play(Mode const& mode, Case const& c) {
    auto brand = mode.brands.at(c.brand);
    ConversationStore conversations;
    auto conversation = conversations.create(brand->id, std::nullopt);
    Outcome out;
    for (std::size_t i = 0; i < c.turns.size(); ++i) {
        auto const& message = c.turns[i];
        if (auto detected = detect_language(message)) conversation->language = detected;
        ReplyRequest request;
        request.brand = brand;
        request.language = conversation->language.value_or(brand->language);
        request.history = conversation->turns;
        request.query = read_query(*brand, message);
        RankingContext context{conversation->last_product_ids, conversation->last_confidence, conversation->recent_user_messages(3)};
        Brand const* catalog = brand.get();
        if (brand->catalog_in_store && mode.store) {
            request.candidates = find_candidates(*mode.store, *brand, request.query, context, 3);
            catalog = request.candidates.get();
        }
        request.ranking = rank_products(*catalog, request.query, context, {3, 0.5});
        conversations.add_turn(*conversation, {Turn::Role::user, message});
        request.message = message;
        auto answer = compose_catalog_answer(request);
        if (!answer.empty()) conversations.add_turn(*conversation, {Turn::Role::assistant, answer});
        auto const& ranking = request.ranking;
        if (ranking.about_products) {
            conversation->last_product_ids.clear();
            for (auto const& s : ranking.suggestions) conversation->last_product_ids.push_back(s.product->id);
            conversation->last_confidence = ranking.confidence;
        }
        if (i + 1 < c.turns.size()) {
            std::string ids;
            for (auto const& s : ranking.suggestions) ids += (ids.empty() ? "" : ", ") + s.product->id;
            out.earlier.push_back(ids.empty() ? "nothing" : ids);
        } else {
            for (auto const& s : ranking.suggestions) out.suggested.emplace_back(s.product->id, s.fit);
            out.confidence = ranking.confidence;
            out.about_products = ranking.about_products;
            out.follow_up = ranking.follow_up;
            out.answer = std::move(answer);
        }
    }
    return out;
}

struct Judged {
    Case const* c = nullptr;
    Outcome outcome;
    double precision = 0;     // products cases
    bool first_right = false; // products cases
    bool right = false;       // products: precision 1 and first right; shop/none: as defined
    bool bound_violated = false;
};

bool contains(std::vector<std::string> const& v, std::string const& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

Judged judge(Case const& c, Outcome outcome) {
    Judged j;
    j.c = &c;
    auto const& got = outcome.suggested;
    switch (c.expect) {
    case Expect::products: {
        std::size_t hits = 0;
        for (std::size_t i = 0; i < got.size() && i < 3; ++i) hits += contains(c.relevant, got[i].first);
        j.precision = static_cast<double>(hits) / static_cast<double>(std::min<std::size_t>(3, c.relevant.size()));
        j.first_right = !got.empty() && contains(c.first, got[0].first);
        j.right = j.precision >= 1 && j.first_right;
        break;
    }
    case Expect::none: j.right = got.empty(); break;
    case Expect::shop: j.right = got.empty() && lower(outcome.answer).find(lower(c.answer_contains)) != std::string::npos; break;
    }
    if (c.max_confidence && outcome.confidence && *outcome.confidence > *c.max_confidence + 1e-9) j.bound_violated = true;
    if (c.min_confidence && (!outcome.confidence || *outcome.confidence < *c.min_confidence - 1e-9)) j.bound_violated = true;
    j.outcome = std::move(outcome);
    return j;
}

std::string fixed(double v, int digits = 2) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

std::string suggestions_text(Outcome const& o) {
    if (o.suggested.empty()) return "nothing";
    std::string out;
    for (auto const& [id, fit] : o.suggested) out += (out.empty() ? "" : ", ") + id + " (" + fixed(fit) + ")";
    out += o.confidence ? ", confidence " + fixed(*o.confidence) : ", confidence null";
    return out;
}

std::string list_text(std::vector<std::string> const& v) {
    std::string out;
    for (auto const& s : v) out += (out.empty() ? "" : ", ") + s;
    return out;
}

std::string expected_text(Case const& c) {
    std::string out;
    switch (c.expect) {
    case Expect::products:
        out = "relevant [" + list_text(c.relevant) + "]";
        if (c.first != c.relevant) out += ", first [" + list_text(c.first) + "]";
        break;
    case Expect::none: out = "nothing"; break;
    case Expect::shop: out = "nothing, answer containing \"" + c.answer_contains + "\""; break;
    }
    if (c.max_confidence) out += ", confidence <= " + fixed(*c.max_confidence);
    if (c.min_confidence) out += ", confidence >= " + fixed(*c.min_confidence);
    return out;
}

struct Totals {
    std::size_t cases = 0, products = 0, first = 0, shop = 0, shop_right = 0, none = 0, none_right = 0, bounded = 0, violated = 0;
    double precision_sum = 0;

    void add(Judged const& j) {
        ++cases;
        if (j.c->max_confidence || j.c->min_confidence) ++bounded;
        violated += j.bound_violated;
        switch (j.c->expect) {
        case Expect::products: ++products; precision_sum += j.precision; first += j.first_right; break;
        case Expect::shop: ++shop; shop_right += j.right; break;
        case Expect::none: ++none; none_right += j.right; break;
        }
    }
    std::optional<double> precision() const { return products ? std::optional(precision_sum / products) : std::nullopt; }
    std::optional<double> first_rate() const { return products ? std::optional(double(first) / products) : std::nullopt; }
    std::optional<double> shop_rate() const { return shop ? std::optional(double(shop_right) / shop) : std::nullopt; }
    std::optional<double> none_rate() const { return none ? std::optional(double(none_right) / none) : std::nullopt; }
};

std::string cell(std::optional<double> v, std::size_t right, std::size_t n, bool counts) {
    if (!v) return "-";
    return counts ? fixed(*v) + " (" + std::to_string(right) + "/" + std::to_string(n) + ")" : fixed(*v);
}

std::string pad(std::string s, std::size_t width, bool left = true) {
    if (s.size() >= width) return s;
    return left ? s + std::string(width - s.size(), ' ') : std::string(width - s.size(), ' ') + s;
}

void print_table(std::string const& mode, std::vector<Judged> const& judged) {
    std::map<std::string, Totals> by_group;
    Totals all;
    for (auto const& j : judged) {
        by_group[j.c->group].add(j);
        all.add(j);
    }
    std::cout << "\nmode " << mode << "\n";
    std::cout << pad("group", 12) << pad("cases", 6, false) << pad("prod", 6, false) << pad("P@3", 7, false)
              << pad("first", 15, false) << pad("shop", 15, false) << pad("none", 15, false) << pad("conf viol", 11, false) << "\n";
    auto row = [](std::string const& name, Totals const& t) {
        std::cout << pad(name, 12) << pad(std::to_string(t.cases), 6, false) << pad(std::to_string(t.products), 6, false)
                  << pad(cell(t.precision(), 0, 0, false), 7, false) << pad(cell(t.first_rate(), t.first, t.products, true), 15, false)
                  << pad(cell(t.shop_rate(), t.shop_right, t.shop, true), 15, false)
                  << pad(cell(t.none_rate(), t.none_right, t.none, true), 15, false)
                  << pad(t.bounded ? std::to_string(t.violated) + "/" + std::to_string(t.bounded) : "-", 11, false) << "\n";
    };
    for (auto const& g : groups)
        if (by_group.contains(g)) row(g, by_group[g]);
    row("overall", all);
}

// The cases judged wrong (with `all`, every case), briefly, or in detail with `verbose`.
void print_cases(std::string const& mode, std::vector<Judged> const& judged, bool verbose, bool all) {
    std::size_t wrong = 0;
    for (auto const& j : judged) wrong += !j.right || j.bound_violated;
    std::cout << "\n" << mode << ": " << wrong << " of " << judged.size() << " cases judged wrong\n";
    for (auto const& j : judged) {
        if (j.right && !j.bound_violated && !all) continue;
        auto const& c = *j.c;
        std::string why = j.right && !j.bound_violated ? "right" : "";
        if (!j.right) {
            if (c.expect == Expect::products) why = "P@3 " + fixed(j.precision) + (j.first_right ? "" : ", first wrong");
            else if (!j.outcome.suggested.empty()) why = "suggested products";
            else why = "answer lacks the text";
        }
        if (j.bound_violated) why += std::string(why.empty() ? "" : ", ") + "confidence out of bounds";
        std::cout << "  " << c.id << " [" << why << "] \"" << c.turns.back() << "\"\n"
                  << "      got " << suggestions_text(j.outcome) << "; want " << expected_text(c) << "\n";
        if (verbose) {
            std::cout << "      note: " << c.note << "\n";
            for (std::size_t i = 0; i + 1 < c.turns.size(); ++i)
                std::cout << "      earlier turn \"" << c.turns[i] << "\" got " << j.outcome.earlier[i] << "\n";
            std::cout << "      about_products " << (j.outcome.about_products ? "yes" : "no") << ", follow_up "
                      << (j.outcome.follow_up ? "yes" : "no") << "\n";
            if (c.expect == Expect::shop) {
                auto answer = j.outcome.answer;
                for (auto& ch : answer)
                    if (ch == '\n') ch = ' ';
                if (answer.size() > 200) answer = answer.substr(0, 200) + "...";
                std::cout << "      answer: " << answer << "\n";
            }
        }
    }
}

double parse_threshold(std::string const& flag, char const* text) {
    if (!text) throw BadInput(flag + " needs a number");
    try {
        std::size_t used = 0;
        double v = std::stod(text, &used);
        if (used != std::string(text).size() || v < 0 || v > 1) throw std::invalid_argument("range");
        return v;
    } catch (std::exception const&) {
        throw BadInput(flag + " needs a number in [0, 1], not \"" + std::string(text) + "\"");
    }
}

int run(int argc, char** argv) {
    std::vector<std::string> positional;
    std::optional<double> min_precision, min_first, min_shop, min_none;
    bool verbose = false;
    std::set<std::string> only; // --case: just these, each shown in detail
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> char const* { return i + 1 < argc ? argv[++i] : nullptr; };
        if (a == "--verbose") verbose = true;
        else if (a == "--min-precision") min_precision = parse_threshold(a, next());
        else if (a == "--min-first") min_first = parse_threshold(a, next());
        else if (a == "--min-shop") min_shop = parse_threshold(a, next());
        else if (a == "--min-none") min_none = parse_threshold(a, next());
        else if (a == "--case") {
            auto id = next();
            if (!id) throw BadInput("--case needs a case id");
            only.insert(id);
        }
        else if (a.starts_with("--")) throw BadInput("unknown option " + a);
        else positional.push_back(a);
    }
    if (positional.size() != 2)
        throw BadInput("usage: ranking_eval CASES.json BRANDS_DIR [--min-precision X] [--min-first X] [--min-shop X] [--min-none X] [--verbose] [--case ID]...");

    log::set_level(log::Level::warn);
    BrandCatalog catalog;
    try {
        catalog = BrandCatalog::load_directory(positional[1]);
    } catch (std::exception const& e) {
        throw BadInput(std::string("brands: ") + e.what());
    }
    if (catalog.size() == 0) throw BadInput("no brands in " + positional[1]);
    auto cases = load_cases(positional[0], catalog);
    if (!only.empty()) {
        for (auto const& id : only)
            if (std::none_of(cases.begin(), cases.end(), [&](Case const& c) { return c.id == id; })) throw BadInput("no case " + id);
        std::erase_if(cases, [&](Case const& c) { return !only.contains(c.id); });
        verbose = true;
    }

    // Counts per group and language.
    std::map<std::string, std::map<std::string, std::size_t>> counts;
    for (auto const& c : cases) ++counts[c.group][c.lang.empty() ? "?" : c.lang];
    std::cout << cases.size() << " cases:";
    for (auto const& g : groups) {
        if (!counts.contains(g)) continue;
        std::size_t n = 0;
        std::string langs;
        for (auto const& [lang, k] : counts[g]) {
            n += k;
            langs += (langs.empty() ? "" : " ") + lang + " " + std::to_string(k);
        }
        std::cout << " " << g << " " << n << " (" << langs << ");";
    }
    std::cout << "\n";

    std::vector<Mode> modes;
    auto& memory = modes.emplace_back();
    memory.name = "memory";
    for (auto const& b : catalog.all()) memory.brands[b->id] = b;

    auto& stored = modes.emplace_back();
    stored.name = "store";
    stored.store = open_sqlite_store({":memory:"});
    {
        std::vector<Brand> brands;
        for (auto const& b : catalog.all()) brands.push_back(*b);
        stored.store->save_brands(brands);
    }
    for (auto& b : stored.store->load_brands(0)) {
        if (!b.catalog_in_store) throw std::runtime_error("store: brand " + b.id + " was loaded with its products, not kept in the store");
        auto id = b.id;
        stored.brands[id] = std::make_shared<Brand const>(std::move(b));
    }
    for (auto const& c : cases)
        if (!stored.brands.contains(c.brand)) throw std::runtime_error("store: brand " + c.brand + " did not come back from the store");

    std::vector<std::string> unmet;
    for (auto const& mode : modes) {
        std::vector<Judged> judged;
        Totals all;
        for (auto const& c : cases) {
            judged.push_back(judge(c, play(mode, c)));
            all.add(judged.back());
        }
        print_cases(mode.name, judged, verbose, !only.empty());
        print_table(mode.name, judged);
        auto check = [&](char const* flag, std::optional<double> min, std::optional<double> got) {
            if (!min) return;
            double v = got.value_or(1); // no case of that kind: nothing to fail
            if (v + 1e-9 < *min) unmet.push_back(mode.name + ": " + flag + " " + fixed(*min) + " not met (" + fixed(v, 3) + ")");
        };
        check("--min-precision", min_precision, all.precision());
        check("--min-first", min_first, all.first_rate());
        check("--min-shop", min_shop, all.shop_rate());
        check("--min-none", min_none, all.none_rate());
    }
    std::cout << "\n";
    for (auto const& u : unmet) std::cout << "threshold " << u << "\n";
    if (!unmet.empty()) return 1;
    std::cout << "all given thresholds met in both modes\n";
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (BadInput const& e) {
        std::cerr << "ranking_eval: " << e.what() << "\n";
        return 2;
    } catch (std::exception const& e) {
        std::cerr << "ranking_eval: " << e.what() << "\n";
        return 2;
    }
}
