#include "brandchat/reply/catalog_answer.hpp"

#include "brandchat/catalog/ranking.hpp"
#include "brandchat/language/sentence_limiter.hpp"
#include "brandchat/language/text.hpp"

#include <algorithm>

namespace brandchat {

namespace {

bool indonesian(ReplyRequest const& r) { return r.language == Language::indonesian; }

// A category in the plural, for English answers; a shop that writes its catalog in Indonesian
// has Indonesian category names, which English plural rules would garble ("mesin cucis",
// "kipas angins"): those stay as the shop wrote them. (Indonesian marks no plural on nouns.)
std::string plural(std::string const& category, Language language, Language catalog) {
    std::string lower = category;
    if (language == Language::english && catalog == Language::english && lower.size() > 2 && std::all_of(lower.begin(), lower.end(), [](char c) { return c == ' ' || std::isalpha(static_cast<unsigned char>(c)); })) {
        lower = to_lower_ascii(lower);
        if (lower.ends_with("y")) return lower.substr(0, lower.size() - 1) + "ies";
        if (!lower.ends_with("s")) return lower + "s";
    }
    return lower;
}

std::string join_list(std::vector<std::string> const& items, Language language) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0) out += i + 1 == items.size() ? (language == Language::indonesian ? " dan " : " and ") : ", ";
        out += items[i];
    }
    return out;
}

std::vector<Product const*> products_of(ReplyRequest const& r) {
    std::vector<Product const*> out;
    for (auto const& s : r.ranking.suggestions) out.push_back(s.product);
    return out;
}

std::string key_features(Product const& p, std::size_t n) {
    std::vector<std::string> f(p.features.begin(), p.features.begin() + static_cast<long>(std::min(n, p.features.size())));
    std::string out;
    for (std::size_t i = 0; i < f.size(); ++i) out += (i ? ", " : "") + f[i];
    return out;
}

std::string stock(Product const& p, bool id) {
    if (id) return p.availability ? "tersedia" : "stok sedang habis";
    return p.availability ? "in stock" : "currently out of stock";
}

std::string price_phrase(Query const& q, bool id) {
    if (q.max_price && q.min_price)
        return id ? " antara " + format_rupiah(*q.min_price) + " dan " + format_rupiah(*q.max_price)
                  : " between " + format_rupiah(*q.min_price) + " and " + format_rupiah(*q.max_price);
    if (q.max_price) return id ? " di bawah " + format_rupiah(*q.max_price) : " under " + format_rupiah(*q.max_price);
    if (q.min_price) return id ? " di atas " + format_rupiah(*q.min_price) : " above " + format_rupiah(*q.min_price);
    return {};
}

std::string greeting(ReplyRequest const& r) {
    auto cats = list_categories(*r.brand, r.language);
    if (indonesian(r)) {
        if (r.voice) return "Halo, saya asisten belanja " + r.brand->name + ", silakan sebutkan produk yang Anda cari.";
        return "Halo! Selamat datang di " + r.brand->name + ". Saya bisa membantu Anda memilih " + cats +
               ". Apa yang sedang Anda cari hari ini?";
    }
    if (r.voice) return "Hello, I'm the " + r.brand->name + " shopping assistant, so just tell me what you are looking for.";
    return "Hello! Welcome to " + r.brand->name + ". I can help you choose from our " + cats +
           ". What are you looking for today?";
}

std::string thanks(ReplyRequest const& r) {
    if (indonesian(r)) return "Sama-sama! Kalau ada lagi yang ingin Anda tanyakan, saya siap membantu.";
    return "You're welcome! If there is anything else you'd like to know, I'm happy to help.";
}

// The shop's answer to each topic the message asks about, from its company information.
std::string company(ReplyRequest const& r) {
    auto const& info = r.brand->company;
    std::vector<std::string> parts;
    for (auto topic : r.query.shop_topics) {
        auto value = info.get(std::string(shop_topic_field(topic)));
        if (topic == ShopTopic::contact && !info.get("email").empty()) value += (value.empty() ? "" : " / ") + info.get("email");
        if (!value.empty() && std::find(parts.begin(), parts.end(), value) == parts.end()) parts.push_back(value);
    }
    if (parts.empty()) {
        auto about = info.get("about");
        parts.push_back(about.empty() ? r.brand->description : about);
        if (!r.voice) {
            auto cats = list_categories(*r.brand, r.language);
            parts.push_back(indonesian(r) ? "Kami menyediakan " + cats + "." : "We offer " + cats + ".");
        }
    }
    std::string out;
    // The shop wrote its facts in its own language: a customer writing in the other one is told
    // so, in theirs, before them.
    if (r.language != r.brand->language && !parts.empty() && !parts.front().empty())
        out = indonesian(r) ? "Berikut informasi dari " + r.brand->name + " (dalam bahasa Inggris): "
                            : "Here is what " + r.brand->name + " says about itself (in Indonesian): ";
    for (auto const& p : parts) out += (out.empty() || out.ends_with(": ") ? "" : "\n") + p;
    return out;
}

std::string follow_up(ReplyRequest const& r) {
    bool id = indonesian(r);
    auto products = products_of(r);
    auto const& q = r.query;
    std::string out;
    if (q.asks_compare && products.size() >= 2) {
        auto const& a = *products[0];
        auto const& b = *products[1];
        auto const& cheaper = a.price <= b.price ? a : b;
        double diff = std::abs(a.price - b.price);
        if (r.voice)
            return id ? a.name + " seharga " + format_rupiah(a.price) + " sedangkan " + b.name + " seharga " + format_rupiah(b.price) + "."
                      : "The " + a.name + " costs " + format_rupiah(a.price) + " while the " + b.name + " costs " + format_rupiah(b.price) + ".";
        for (auto const* p : {&a, &b})
            out += (id ? "- " + p->name + ": " + format_rupiah(p->price) + ", " + key_features(*p, 4) + " (" + stock(*p, id) + ").\n"
                       : "- " + p->name + ": " + format_rupiah(p->price) + ", " + key_features(*p, 4) + " (" + stock(*p, id) + ").\n");
        out += id ? cheaper.name + " lebih murah " + format_rupiah(diff) + "."
                  : "The " + cheaper.name + " is " + format_rupiah(diff) + " cheaper.";
        return out;
    }
    if (!q.quantities.empty()) {
        // "Does it have 16GB RAM?": which of them have the amounts asked for.
        std::vector<std::string> amounts, yes, no;
        for (auto const& a : q.quantities) amounts.push_back(a.said);
        for (auto const* p : products) {
            bool all = std::all_of(q.quantities.begin(), q.quantities.end(), [&](AskedQuantity const& a) { return has_quantity(*p, a); });
            (all ? yes : no).push_back(p->name);
        }
        auto what = join_list(amounts, r.language);
        if (yes.empty()) return id ? "Tidak, " + join_list(no, r.language) + " tidak memiliki " + what + "."
                                   : "No, the " + join_list(no, r.language) + (no.size() == 1 ? " does" : " do") + " not have " + what + ".";
        out = id ? "Ya, " + join_list(yes, r.language) + " memiliki " + what + "."
                 : "Yes, the " + join_list(yes, r.language) + (yes.size() == 1 ? " has " : " have ") + what + ".";
        if (!no.empty() && !r.voice) out += id ? " " + join_list(no, r.language) + " tidak." : " The " + join_list(no, r.language) + (no.size() == 1 ? " does not." : " do not.");
        return out;
    }
    if ((q.cheapest || q.priciest) && products.size() >= 2) {
        auto const& p = *products.front();
        std::string which = q.cheapest ? (id ? "Yang paling murah adalah " : "The cheapest of them is the ")
                                       : (id ? "Yang paling mahal adalah " : "The most expensive of them is the ");
        out = which + p.name + (id ? " seharga " : " at ") + format_rupiah(p.price) + ".";
        if (r.voice) return out;
        for (std::size_t i = 1; i < products.size(); ++i)
            out += (i == 1 ? (id ? " Lalu " : " Then ") : ", ") + products[i]->name + " (" + format_rupiah(products[i]->price) + ")";
        return out + (products.size() > 1 ? "." : "");
    }
    if (q.asks_specs) {
        auto const& p = *products.front();
        if (r.voice) return id ? p.name + " memiliki " + key_features(p, 3) + "." : "The " + p.name + " has " + key_features(p, 3) + ".";
        out = id ? "Spesifikasi " + p.name + ":\n" : "Specifications of the " + p.name + ":\n";
        for (auto const& [k, v] : p.specifications) out += "- " + k + ": " + v + "\n";
        out += id ? "Harga: " + format_rupiah(p.price) + "." : "Price: " + format_rupiah(p.price) + ".";
        return out;
    }
    if (q.asks_availability && !q.asks_price) {
        std::vector<std::string> items;
        for (auto const* p : products) items.push_back(p->name + " " + stock(*p, id));
        if (r.voice) return (id ? "Saat ini " : "Right now the ") + items.front() + ".";
        return (id ? "Ketersediaan saat ini: " : "Current availability: ") + join_list(items, r.language) + ".";
    }
    std::vector<std::string> items;
    for (auto const* p : products) items.push_back(p->name + (id ? " seharga " : " is ") + format_rupiah(p->price));
    if (r.voice) return (id ? "" : "The ") + items.front() + ".";
    return (id ? "Berikut harganya: " : "Here are the prices: the ") + join_list(items, r.language) + ".";
}

std::string recommendation(ReplyRequest const& r) {
    bool id = indonesian(r);
    auto products = products_of(r);
    auto const& q = r.query;
    auto const& top = *products.front();
    std::string limit = price_phrase(q, id);
    // The product asked for by name, or about its stock, out of stock: said first, plainly.
    std::string stock_note;
    if (!top.availability && (q.asks_availability || !q.other_terms.empty()))
        stock_note = id ? "Mohon maaf, " + top.name + " saat ini stoknya sedang habis." : "Sorry, the " + top.name + " is currently out of stock.";
    else if (q.asks_availability && top.availability)
        stock_note = id ? "Ya, " + top.name + " tersedia." : "Yes, the " + top.name + " is in stock.";
    if (r.voice) {
        if (!stock_note.empty()) return stock_note;
        if (q.cheapest) return id ? "Pilihan termurah kami adalah " + top.name + " seharga " + format_rupiah(top.price) + "."
                                  : "Our most affordable choice is the " + top.name + " at " + format_rupiah(top.price) + ".";
        return id ? "Saya rekomendasikan " + top.name + " seharga " + format_rupiah(top.price) + " dengan " + key_features(top, 2) + "."
                  : "I recommend the " + top.name + " at " + format_rupiah(top.price) + ", with " + key_features(top, 2) + ".";
    }
    std::string out = stock_note.empty() ? std::string() : stock_note + "\n";
    if (q.cheapest) out += id ? "Berikut pilihan termurah kami" + limit + ":\n" : "Here are our most affordable options" + limit + ":\n";
    else if (q.priciest) out += id ? "Berikut pilihan premium kami:\n" : "Here are our premium options:\n";
    else out += id ? "Berikut rekomendasi saya" + limit + ":\n" : "Here is what I recommend" + limit + ":\n";
    for (auto const* p : products)
        out += "- " + p->name + " (" + format_rupiah(p->price) + "): " + key_features(*p, 3) + "; " + stock(*p, id) + ".\n";
    out += id ? "Mau saya tampilkan spesifikasi lengkap atau bandingkan pilihannya?"
              : "Would you like the full specifications or a comparison?";
    return out;
}

std::string nothing_fits(ReplyRequest const& r) {
    bool id = indonesian(r);
    auto cats = list_categories(*r.brand, r.language);
    if (r.ranking.below_shown) // "anything cheaper?" after the cheapest there is
        return id ? "Maaf, itu sudah pilihan termurah kami untuk kebutuhan tersebut." : "Sorry, those are already our most affordable options for that.";
    if (!r.query.has_product_terms() && !r.query.has_price_limit()) {
        if (r.voice) return id ? "Tentu, produk apa yang Anda cari?" : "Sure, what kind of product are you looking for?";
        return id ? "Dengan senang hati! Kami menyediakan " + cats + ". Produk apa yang Anda cari, dan berapa anggaran Anda?"
                  : "I'd be glad to help! We carry " + cats + ". What are you looking for, and what is your budget?";
    }
    std::string limit = price_phrase(r.query, id);
    if (r.voice) return id ? "Maaf, kami belum punya produk yang cocok" + limit + "." : "Sorry, we don't have a product that fits that" + limit + ".";
    return id ? "Maaf, saya tidak menemukan produk yang cocok" + limit + ". Kami menyediakan " + cats + "; bisa ceritakan lebih detail kebutuhan Anda?"
              : "Sorry, I couldn't find a product that matches" + limit + ". We carry " + cats + "; could you tell me a bit more about what you need?";
}

std::string general(ReplyRequest const& r) {
    auto cats = list_categories(*r.brand, r.language);
    if (indonesian(r)) {
        if (r.voice) return "Saya asisten belanja " + r.brand->name + " dan bisa membantu Anda memilih " + cats + ".";
        return "Saya asisten belanja " + r.brand->name + ". Saya bisa membantu Anda memilih " + cats +
               ", menjawab pertanyaan tentang harga, stok dan spesifikasi, serta informasi toko. Ada yang bisa saya bantu?";
    }
    if (r.voice) return "I'm the " + r.brand->name + " shopping assistant and can help you choose from our " + cats + ".";
    return "I'm the " + r.brand->name + " shopping assistant. I can help you choose from our " + cats +
           ", and answer questions about prices, stock, specifications and the shop itself. How can I help?";
}

} // namespace

std::string list_categories(Brand const& brand, Language language) {
    std::vector<std::string> cats;
    for (auto const& category : brand.categories) {
        auto name = plural(category, language, brand.language);
        if (std::find(cats.begin(), cats.end(), name) == cats.end()) cats.push_back(name);
    }
    // A brand with no products yet (made through the management API) still reads well: "we carry products".
    if (cats.empty()) return language == Language::indonesian ? "produk" : "products";
    return join_list(cats, language);
}

std::string compose_catalog_answer(ReplyRequest const& r) {
    std::string text;
    if (r.ranking.about_products) {
        if (r.ranking.suggestions.empty()) text = nothing_fits(r);
        else if (r.ranking.follow_up) text = follow_up(r);
        else text = recommendation(r);
    } else if (r.query.asks_company) {
        text = company(r);
    } else if (r.query.thanks) {
        text = thanks(r);
    } else if (r.query.greeting) {
        text = greeting(r);
    } else {
        text = general(r);
    }
    return r.voice ? first_sentence(text) : text;
}

} // namespace brandchat
