#include "brandchat/catalog/query.hpp"

#include "brandchat/language/text.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <unordered_map>

namespace brandchat {

// Concepts a shopper names in English or Indonesian. A category concept asked for must be one of
// a product's kinds (Product::kinds); quality concepts raise a product that mentions them anywhere.
std::vector<Concept> const& concepts() {
    static std::vector<Concept> const all = {
        {"laptop", {"laptop", "laptops", "notebook", "notebooks", "ultrabook", "chromebook"}, true},
        {"smartphone", {"smartphone", "smartphones", "phone", "phones", "handphone", "hape", "hp", "ponsel", "cellphone", "mobile", "telepon genggam"}, true},
        {"monitor", {"monitor", "monitors", "display", "layar"}, true},
        {"tablet", {"tablet", "tablets", "tab"}, true},
        {"headphone", {"headphone", "headphones", "headset", "earphone", "earphones", "earbuds", "earbud", "tws"}, true},
        {"mouse", {"mouse", "mice", "tetikus"}, true},
        {"keyboard", {"keyboard", "keyboards"}, true},
        {"charger", {"charger", "chargers", "adaptor", "adapter", "pengisi"}, true},
        {"webcam", {"webcam", "webcams"}, true},
        {"dock", {"dock", "docking", "hub"}, true},
        {"storage", {"ssd", "harddisk", "hdd"}, true},
        {"accessory", {"accessory", "accessories", "aksesoris"}, true},
        {"kulkas", {"kulkas", "fridge", "fridges", "refrigerator", "freezer", "lemari es"}, true},
        {"mesin cuci", {"cuci", "washing", "washer", "laundry"}, true},
        {"ac", {"air conditioner", "air conditioners", "ac", "aircon", "aircond", "pendingin", "conditioner", "conditioners"}, true},
        {"rice cooker", {"magic com", "rice cooker", "rice", "cooker", "penanak", "magicom", "magic"}, true},
        {"blender", {"blender", "juicer", "jus"}, true},
        {"kipas", {"kipas", "fan", "fans"}, true},
        {"televisi", {"televisi", "tv", "tvs", "television", "teve", "tele"}, true},
        {"setrika", {"setrika", "iron", "gosokan"}, true},
        {"dispenser", {"dispenser", "galon"}, true},
        {"microwave", {"microwave", "microwaves"}, true},
        {"oven", {"oven", "ovens", "pemanggang"}, true},
        {"air fryer", {"air fryer", "air fryers", "airfryer", "penggoreng udara"}, true},
        {"stove", {"kompor", "stove", "stoves", "cooktop", "hob", "tungku"}, true},
        {"pan", {"wajan", "penggorengan", "frying pan", "pan", "pans", "skillet", "teflon", "wok"}, true},
        {"pot", {"panci", "pot", "pots", "cookware", "presto"}, true},
        {"mixer", {"mixer", "mixers", "pengaduk"}, true},
        {"scale", {"timbangan", "scale", "scales"}, true},
        {"coffee maker", {"coffee machine", "coffee maker", "espresso", "mesin kopi"}, true},
        {"bicycle", {"bicycle", "bicycles", "bike", "bikes", "sepeda"}, true},
        {"shoes", {"shoes", "shoe", "sneakers", "sepatu", "trainers"}, true},
        {"tent", {"tent", "tents", "tenda"}, true},
        {"bag", {"backpack", "backpacks", "bag", "bags", "tas", "ransel", "carrier", "daypack"}, true},
        {"watch", {"smartwatch", "smartwatches", "watch", "watches", "jam tangan", "arloji"}, true},
        {"treadmill", {"treadmill", "treadmills"}, true},
        {"weights", {"dumbbell", "dumbbells", "dumbel", "barbel", "kettlebell", "kettlebells", "weights", "beban"}, true},
        {"mat", {"yoga mat", "mat", "mats", "matras", "tikar"}, true},
        {"penyedot debu", {"vacuum", "vakum", "penyedot", "debu"}, true},
        {"turntable", {"turntable", "turntables", "vinyl", "piringan"}, true},
        {"cassette deck", {"cassette", "cassettes", "kaset", "tape"}, true},
        {"business", {"business", "bisnis", "office", "kantor", "kerja", "work", "professional", "profesional"}},
        {"gaming", {"gaming", "game", "games", "gamer", "gim"}},
        {"student", {"student", "students", "mahasiswa", "pelajar", "sekolah", "kuliah", "school", "college"}},
        {"camera", {"camera", "kamera", "photo", "photos", "foto", "photography", "fotografi"}, false, false, true},
        {"battery", {"battery", "baterai", "batre"}, false, false, true},
        {"portable", {"light", "lightweight", "ringan", "portable", "thin", "tipis", "travel", "traveling", "perjalanan"}},
        {"programming", {"programming", "coding", "developer", "programmer", "software"}},
        {"creative", {"video", "editing", "edit", "editor", "creator", "design", "desain", "designer", "kreator"}},
        {"wireless", {"wireless", "nirkabel", "bluetooth"}, false, true},
        {"inverter", {"inverter", "hemat listrik", "hemat energi", "energy saving", "hemat", "irit", "efficient", "saving"}, false, true},
        {"large", {"big", "large", "besar", "family", "keluarga"}},
        {"small", {"small", "kecil", "compact", "mini", "kos"}},
        {"4k", {"4k", "uhd"}, false, true},
        {"noise", {"noise cancelling", "noise canceling", "anc", "noise", "cancelling", "canceling"}, false, true},
        {"memory", {"ram", "memory", "memori"}, false, false, true},
        {"bedroom", {"kamar tidur", "bedroom", "bedrooms", "kamar", "kos"}},
        {"cordless", {"cordless", "tanpa kabel"}, false, true},
        {"waterproof", {"waterproof", "tahan air", "water resistant", "water-resistant", "anti air"}, false, true},
        {"nonstick", {"anti lengket", "nonstick", "non stick"}, false, true},
        {"induction", {"induction", "induksi"}},
        {"running", {"running", "lari", "jogging", "marathon"}},
        {"folding", {"folding", "foldable", "lipat"}},
        {"mountain", {"mountain", "mtb", "gunung", "hiking", "trekking", "naik gunung", "pendakian"}},
    };
    return all;
}

namespace {

// Words that carry no product meaning in either language.
constexpr std::string_view stopwords[] = {
    "i", "me", "my", "you", "your", "we", "our", "us", "the", "a", "an", "and", "or", "for", "with", "to",
    "of", "in", "on", "at", "is", "are", "was", "be", "do", "does", "did", "what", "whats", "which", "how",
    "much", "many", "need", "needs", "want", "wants", "looking", "look", "find", "buy", "get", "show",
    "sell", "sells", "selling", "carry", "jual", "jualan", "menjual", "dijual",
    "some", "any", "something", "good", "best", "great", "nice", "new", "please", "can", "could", "would",
    "will", "should", "have", "has", "there", "this", "that", "these", "those", "it", "its", "one", "ones",
    "help", "recommend", "recommendation", "suggest", "also", "too", "very", "really", "just", "about",
    "tell", "know", "like", "but", "not", "no", "yes", "than", "more", "less", "so", "if", "from", "by",
    "saya", "aku", "kamu", "anda", "kami", "kita", "kalian", "ini", "itu", "yang", "dan", "atau", "untuk", "dengan",
    "di", "ke", "dari", "ada", "apa", "apakah", "mau", "ingin", "butuh", "perlu", "cari", "mencari",
    "carikan", "beli", "membeli", "bagus", "terbaik", "tidak", "bukan", "juga", "bisa", "boleh", "tolong",
    "yg", "dong", "ya", "kak", "gan", "nya", "buat", "punya", "rekomendasi", "sarankan", "tampilkan",
    "lihat", "mana", "gimana", "bagaimana", "tapi", "sama", "lagi", "sih", "deh", "kalau", "kalo", "dengan",
    "seperti", "use", "using", "are", "were", "am", "get", "got", "give", "let", "see", "want", "where", "when", "who", "why", "say", "for", "im", "i'm", "am", "hello", "hi", "hey", "halo", "hai",
    "thanks", "thank", "terima", "kasih", "price", "prices", "harga", "harganya", "cost", "costs",
    "available", "availability", "stock", "tersedia", "stok", "ready", "specs", "spec", "specifications",
    "spesifikasi", "compare", "comparison", "bandingkan", "banding", "versus", "vs", "cheap", "cheaper",
    "cheapest", "murah", "termurah", "budget", "product", "products", "produk", "item", "items", "barang", "machine",
    "machines", "stuff", "things", "thing", "unit", "units", "options", "option", "choices", "pilihan"};

bool is_stopword(std::string_view w) {
    return std::find(std::begin(stopwords), std::end(stopwords), w) != std::end(stopwords);
}

bool any_of(std::vector<std::string> const& tokens, std::initializer_list<std::string_view> words) {
    for (auto const& t : tokens)
        for (auto w : words)
            if (t == w) return true;
    return false;
}

bool contains_phrase(std::string const& lower, std::initializer_list<std::string_view> phrases) {
    for (auto p : phrases)
        if (lower.find(p) != std::string::npos) return true;
    return false;
}

bool is_number(std::string_view t) {
    return !t.empty() && std::all_of(t.begin(), t.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.' || c == ','; }) &&
           t.front() >= '0' && t.front() <= '9';
}

// Splits "15jt" / "500rb" / "8m" into number and unit.
std::pair<std::string_view, std::string_view> split_number_unit(std::string_view token) {
    std::size_t i = 0;
    while (i < token.size() && ((token[i] >= '0' && token[i] <= '9') || token[i] == '.' || token[i] == ',')) ++i;
    return {token.substr(0, i), token.substr(i)};
}

enum class LimitKind { none, max, min };

LimitKind limit_word(std::vector<std::string> const& tokens, std::size_t i) {
    // Looks at up to three words before the amount at tokens[i].
    auto word = [&](std::size_t back) -> std::string_view {
        return i >= back ? std::string_view(tokens[i - back]) : std::string_view();
    };
    for (std::size_t back = 1; back <= 3; ++back) {
        auto w = word(back);
        if (w == "under" || w == "below" || w == "max" || w == "maximum" || w == "budget" || w == "within" ||
            w == "bawah" || w == "dibawah" || w == "maksimal" || w == "maks" || w == "anggaran" || w == "sampai" ||
            w == "hingga" || w == "budgetnya" || w == "cheaper" || w == "upto")
            return LimitKind::max;
        if ((w == "than" || w == "dari") && i >= back + 1) {
            auto before = tokens[i - back - 1];
            if (before == "less" || before == "cheaper" || before == "kurang" || before == "lower" || before == "murah")
                return LimitKind::max;
            if (before == "more" || before == "over" || before == "lebih" || before == "higher" || before == "mahal")
                return LimitKind::min;
        }
        if (w == "to" && i >= back + 1 && tokens[i - back - 1] == "up") return LimitKind::max;
        if (w == "over" || w == "above" || w == "least" || w == "minimum" || w == "minimal" || w == "atas" || w == "diatas")
            return LimitKind::min;
    }
    return LimitKind::none;
}

// The words and phrases that ask about each topic of the shop, in either language.
struct TopicWords {
    ShopTopic topic;
    std::vector<std::string_view> words;   // single words
    std::vector<std::string_view> phrases; // found in the lowercased message
};

std::vector<TopicWords> const& topic_words() {
    static std::vector<TopicWords> const all = {
        {ShopTopic::address, {"address", "alamat", "alamatnya", "located", "location", "lokasi", "lokasinya", "branch", "cabang", "showroom"},
         {"where is your", "where are you", "di mana toko", "dimana toko", "toko di mana", "toko dimana", "tokonya di mana", "tokonya dimana",
          "where is the shop", "where is the store", "lokasi toko"}},
        {ShopTopic::hours, {"hours", "opening", "buka", "tutup", "closing", "operasional"}, {"jam buka", "jam berapa", "open on", "are you open", "when do you open", "when do you close", "what time"}},
        {ShopTopic::shipping, {"shipping", "ship", "ships", "delivery", "deliver", "pengiriman", "kirim", "dikirim", "ongkir", "ekspedisi", "kurir", "courier"},
         {"ongkos kirim", "biaya kirim", "free shipping", "gratis ongkir"}},
        {ShopTopic::returns, {"return", "returns", "refund", "pengembalian", "retur", "tukar", "penukaran", "exchange"}, {}},
        {ShopTopic::warranty, {"warranty", "warranties", "garansi", "garansinya", "guarantee"}, {}},
        {ShopTopic::payment, {"payment", "payments", "pay", "pembayaran", "bayar", "cicilan", "cicil", "nyicil", "installment", "installments", "credit", "kredit", "cod", "paylater", "qris", "transfer", "debit", "ovo", "gopay"},
         {"bayar di tempat", "cash on delivery", "kartu kredit"}},
        {ShopTopic::contact, {"contact", "kontak", "telepon", "email", "hubungi", "whatsapp", "call"}, {"phone number", "nomor telepon", "nomor hp", "nomor wa", "no wa", "no hp", "customer service"}},
    };
    return all;
}

std::vector<ShopTopic> shop_topics_of(std::vector<std::string> const& tokens, std::string const& lower) {
    std::vector<ShopTopic> out;
    for (auto const& t : topic_words()) {
        bool named = std::any_of(tokens.begin(), tokens.end(), [&](std::string const& token) {
            // "pengirimannya", "garansinya": the word with "-nya" (its)
            std::string_view base = token;
            if (base.size() > 5 && base.ends_with("nya")) base.remove_suffix(3);
            return std::find(t.words.begin(), t.words.end(), token) != t.words.end() ||
                   std::find(t.words.begin(), t.words.end(), base) != t.words.end();
        });
        named = named || std::any_of(t.phrases.begin(), t.phrases.end(), [&](std::string_view p) { return lower.find(p) != std::string::npos; });
        if (named) out.push_back(t.topic);
    }
    return out;
}

bool is_shop_word(std::string_view word) {
    for (auto const& t : topic_words())
        if (std::find(t.words.begin(), t.words.end(), word) != t.words.end()) return true;
    return false;
}

// "the first two", "the second one", "yang pertama", "dua yang pertama", "the last one".
void read_pick(std::vector<std::string> const& tokens, Reference& r) {
    auto number = [](std::string_view w) -> std::size_t {
        static constexpr std::pair<std::string_view, std::size_t> names[] = {
            {"two", 2}, {"three", 3}, {"dua", 2}, {"tiga", 3}, {"2", 2}, {"3", 3}};
        for (auto const& [n, v] : names)
            if (n == w) return v;
        return 0;
    };
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        auto const& t = tokens[i];
        std::size_t ordinal = t == "first" || t == "pertama" || t == "1st" ? 1 : t == "second" || t == "kedua" || t == "2nd" ? 2
                              : t == "third" || t == "ketiga" || t == "3rd" ? 3 : t == "last" || t == "terakhir" ? Reference::last : 0;
        if (ordinal == 0) continue;
        r.refers = true;
        std::size_t count = 1;
        if (i + 1 < tokens.size() && number(tokens[i + 1])) count = number(tokens[i + 1]);          // "the first two"
        else if (i >= 1 && number(tokens[i - 1]) && ordinal == 1) count = number(tokens[i - 1]);   // "dua pertama"
        else if (i >= 2 && tokens[i - 1] == "yang" && number(tokens[i - 2]) && ordinal == 1) count = number(tokens[i - 2]);
        if (ordinal == Reference::last) {
            r.first = Reference::last; // resolved against how many were shown
            r.count = 1;
        } else if (t == "kedua" && i + 1 < tokens.size() && tokens[i + 1] == "nya") {
            r.count = 0; // "keduanya": both
        } else {
            r.first = ordinal - 1;
            r.count = count;
        }
        return;
    }
}

Reference reference_of(std::vector<std::string> const& tokens, std::string const& lower) {
    Reference r;
    r.refers = any_of(tokens, {"it", "its", "them", "they", "this", "that", "these", "those", "both", "either", "keduanya",
                               "ketiganya", "tersebut", "itu"}) ||
               contains_phrase(lower, {"which one", "which of", "which is", "which has", "which would", "one of", "of them", "of these",
                                       "yang mana", "mana yang", "yg mana", "mana yg", "yang ini", "yang tadi"});
    for (auto const& t : tokens) // "harganya", "speknya", "stoknya": its price, its specs, its stock
        if (t.size() > 5 && t.ends_with("nya") && !find_concept(t)) {
            auto base = std::string_view(t).substr(0, t.size() - 3);
            if (base == "harga" || base == "spek" || base == "stok" || base == "ukuran" || base == "warna" || base == "kapasitas" ||
                base == "daya" || base == "garansi" || base == "bedanya" || base == "beda" || base == "baterai" || base == "berat")
                r.refers = true;
        }
    read_pick(tokens, r);
    r.cheaper = any_of(tokens, {"cheaper"}) || contains_phrase(lower, {"lebih murah", "less expensive", "more affordable", "lebih hemat"});
    r.pricier = any_of(tokens, {"pricier"}) || contains_phrase(lower, {"more expensive", "lebih mahal", "higher end", "lebih bagus", "better one"});
    r.refine = any_of(tokens, {"version", "versi", "else", "another", "other", "lainnya", "lain", "anything"}) ||
               contains_phrase(lower, {"what about", "how about", "gimana kalau", "bagaimana kalau", "bagaimana dengan", "kalau yang",
                                       "ada yang lebih", "yang lebih", "any cheaper", "something cheaper", "something more"});
    return r;
}

} // namespace

std::string_view shop_topic_field(ShopTopic topic) {
    switch (topic) {
    case ShopTopic::about: return "about";
    case ShopTopic::address: return "address";
    case ShopTopic::hours: return "hours";
    case ShopTopic::shipping: return "shipping";
    case ShopTopic::returns: return "returns";
    case ShopTopic::warranty: return "warranty";
    case ShopTopic::payment: return "payment";
    case ShopTopic::contact: return "phone";
    }
    return "about";
}

Concept const* find_concept(std::string_view word) {
    static auto const by_word = [] {
        std::unordered_map<std::string_view, Concept const*> m;
        for (auto const& c : concepts())
            for (auto w : c.words) m.try_emplace(w, &c); // the first concept naming a word has it
        return m;
    }();
    auto it = by_word.find(word);
    return it == by_word.end() ? nullptr : it->second;
}

std::optional<double> parse_rupiah_amount(std::string_view number, std::string_view unit) {
    if (number.empty() || !is_number(number)) return std::nullopt;
    double multiplier = 1;
    if (unit == "million" || unit == "millions" || unit == "juta" || unit == "jt" || unit == "m" || unit == "mio")
        multiplier = 1e6;
    else if (unit == "thousand" || unit == "ribu" || unit == "rb" || unit == "k" || unit == "rebu")
        multiplier = 1e3;
    else if (unit == "billion" || unit == "miliar" || unit == "milyar" || unit == "b")
        multiplier = 1e9;
    else if (!unit.empty())
        return std::nullopt;

    std::string digits(number);
    if (multiplier == 1) {
        // A plain amount: "8.000.000" and "8,000,000" use separators between thousands.
        digits.erase(std::remove_if(digits.begin(), digits.end(), [](char c) { return c == '.' || c == ','; }), digits.end());
    } else {
        // With a unit, a single separator is a decimal point: "1.5 juta", "2,5 jt".
        auto seps = std::count_if(digits.begin(), digits.end(), [](char c) { return c == '.' || c == ','; });
        if (seps > 1) return std::nullopt;
        std::replace(digits.begin(), digits.end(), ',', '.');
    }
    char* end = nullptr;
    double value = std::strtod(digits.c_str(), &end);
    if (end == digits.c_str()) return std::nullopt;
    // Past Rp 10^18 (a quintillion rupiah) a number is not a price anyone means, and past 10^308
    // it is infinite: neither is a limit to filter by or to repeat in the answer.
    constexpr double largest_amount = 1e18;
    if (!(value * multiplier <= largest_amount)) return std::nullopt;
    return value * multiplier;
}

Query parse_query(std::string_view message) {
    Query q;
    std::string lower(message);
    normalize_search_text(lower);
    auto tokens = word_tokens(lower);

    // Price limits: an amount, optionally followed by a unit word, after a limit word.
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        std::string_view t = tokens[i];
        if (t == "rp" || t == "idr" || find_concept(t)) continue; // "4k" is a resolution, not Rp 4.000
        auto [num, unit] = split_number_unit(t);
        if (num.empty()) continue;
        std::string_view unit_word = unit;
        bool unit_is_next = false;
        if (unit.empty() && i + 1 < tokens.size() && parse_rupiah_amount("1", tokens[i + 1]) && tokens[i + 1] != "b" &&
            tokens[i + 1] != "m" && tokens[i + 1] != "k") {
            unit_word = tokens[i + 1];
            unit_is_next = true;
        }
        auto amount = parse_rupiah_amount(num, unit_word);
        if (!amount) continue;
        bool written_as_money = (i > 0 && (tokens[i - 1] == "rp" || tokens[i - 1] == "idr")) || !unit_word.empty() || *amount >= 10000;
        bool opens_range = i > 0 && (tokens[i - 1] == "between" || tokens[i - 1] == "antara");
        if (!written_as_money && !opens_range) continue; // "13 inch", "16GB" are not prices
        std::size_t at = (i > 0 && (tokens[i - 1] == "rp" || tokens[i - 1] == "idr")) ? i - 1 : i;
        switch (limit_word(tokens, at)) {
        case LimitKind::max: q.max_price = amount; break;
        case LimitKind::min: q.min_price = amount; break;
        case LimitKind::none:
            // "between 5 and 10 juta" / "antara 5 - 10 juta": the second number closes a range.
            if (q.min_price && !q.max_price) q.max_price = amount;
            else if (at >= 1 && (tokens[at - 1] == "between" || tokens[at - 1] == "antara")) q.min_price = amount;
            else if (at >= 1 && (tokens[at - 1] == "around" || tokens[at - 1] == "sekitar" || tokens[at - 1] == "about" ||
                                 tokens[at - 1] == "kisaran" || tokens[at - 1] == "approximately")) {
                q.max_price = *amount * 1.15; // "around 4 million": 3,4 to 4,6 million
                q.min_price = *amount * 0.85;
            }
            break;
        }
        if (unit_is_next) ++i;
    }
    // "between 5 and 10 juta": the first number had no unit of its own; it shares the second's.
    if (q.min_price && q.max_price && *q.min_price < 1000 && *q.max_price >= 1000) {
        double scale = *q.max_price >= 1e6 ? 1e6 : 1e3;
        q.min_price = *q.min_price * scale;
    }

    q.cheapest = any_of(tokens, {"cheapest", "termurah", "lowest", "cheap", "cheaper", "affordable", "murah", "terjangkau", "ekonomis"}) || contains_phrase(lower, {"paling murah", "most affordable", "least expensive"});
    q.priciest = any_of(tokens, {"termahal", "priciest"}) || contains_phrase(lower, {"most expensive", "paling mahal", "top of the line", "high end", "high-end"});
    // "Laptop in stock" asks only for what is in stock; "is the Legion in stock?", "ready stok?"
    // ask whether it is.
    bool question = lower.find('?') != std::string::npos ||
                    (!tokens.empty() && (tokens[0] == "is" || tokens[0] == "are" || tokens[0] == "do" || tokens[0] == "does" ||
                                         tokens[0] == "apakah" || tokens[0] == "ada" || tokens[0] == "masih"));
    q.in_stock_only = !question && contains_phrase(lower, {"in stock", "available now", "ready stock", "ready stok"});
    q.asks_price = any_of(tokens, {"price", "prices", "harga", "harganya", "cost", "costs", "berapa", "biaya"}) || contains_phrase(lower, {"how much"});
    q.asks_availability = any_of(tokens, {"available", "availability", "stock", "tersedia", "stok", "stoknya", "ready", "ada"}) && !q.has_price_limit();
    q.asks_specs = any_of(tokens, {"specs", "spec", "specifications", "specification", "spesifikasi", "spek", "speknya", "detail", "details"});
    q.asks_compare = any_of(tokens, {"compare", "comparison", "bandingkan", "banding", "versus", "vs", "difference", "bedanya", "beda", "perbedaan"});
    q.greeting = any_of(tokens, {"hello", "hi", "hey", "halo", "hai", "hallo", "helo"}) || contains_phrase(lower, {"good morning", "good afternoon", "good evening", "selamat pagi", "selamat siang", "selamat sore", "selamat malam"});
    q.thanks = any_of(tokens, {"thanks", "thx", "makasih", "trims"}) || contains_phrase(lower, {"thank you", "terima kasih"});
    q.shop_topics = shop_topics_of(tokens, lower);
    q.asks_company = !q.shop_topics.empty() || any_of(tokens, {"company", "perusahaan", "toko", "store", "shop"}) ||
                     contains_phrase(lower, {"about you", "who are you", "tentang kalian", "tentang toko", "siapa kalian"});
    if (q.asks_company && q.shop_topics.empty()) q.shop_topics.push_back(ShopTopic::about);
    q.reference = reference_of(tokens, lower);
    if (any_of(tokens, {"lightest", "teringan", "lighter"}) || contains_phrase(lower, {"paling ringan", "most lightweight", "lebih ringan"}))
        q.superlative = Query::Superlative{Unit::kilogram, false};
    else if (any_of(tokens, {"heaviest", "terberat"}) || contains_phrase(lower, {"paling berat"}))
        q.superlative = Query::Superlative{Unit::kilogram, true};
    else if (contains_phrase(lower, {"biggest screen", "largest screen", "layar terbesar", "layar paling besar", "biggest tv", "tv terbesar"}))
        q.superlative = Query::Superlative{Unit::inch, true};
    else if (contains_phrase(lower, {"biggest battery", "largest battery", "baterai terbesar", "baterai paling besar", "longest battery"}))
        q.superlative = Query::Superlative{Unit::milliamp_hour, true};
    else if (any_of(tokens, {"smallest", "terkecil", "smaller"}) || contains_phrase(lower, {"paling kecil", "lebih kecil"}))
        q.superlative = Query::Superlative{Unit::liter, false, true};
    else if (any_of(tokens, {"biggest", "largest", "terbesar", "bigger", "larger"}) || contains_phrase(lower, {"paling besar", "lebih besar"}))
        q.superlative = Query::Superlative{Unit::liter, true, true};
    q.shopping_words = any_of(tokens, {"need", "want", "looking", "find", "buy", "recommend", "recommendation", "suggest", "show", "sell", "sells", "selling", "carry", "cari", "butuh", "perlu", "mau", "ingin", "beli", "rekomendasi", "sarankan", "carikan", "tampilkan", "jual", "jualan", "menjual", "dijual"});

    // Amounts with units ("16GB", "1,5 PK", "55 inci"): attributes, not words to look for.
    q.quantities = asked_quantities(lower);
    auto const& written = lower.size() == message.size() ? message : std::string_view(lower); // the case as typed
    for (auto& a : q.quantities) a.said = written.substr(a.begin, a.end - a.begin);
    std::string words = lower;
    for (auto& a : q.quantities) {
        std::fill(words.begin() + static_cast<long>(a.begin), words.begin() + static_cast<long>(a.end), ' ');
        // The quality said right before or after it: "RAM 8GB", "8GB RAM", "baterai 5000mAh".
        auto word_before = [&] {
            auto end = a.begin;
            while (end > 0 && !is_word_byte(lower[end - 1])) --end;
            auto start = end;
            while (start > 0 && is_word_byte(lower[start - 1])) --start;
            return std::string_view(lower).substr(start, end - start);
        };
        auto word_after = [&] {
            auto start = a.end;
            while (start < lower.size() && !is_word_byte(lower[start])) ++start;
            auto end = start;
            while (end < lower.size() && is_word_byte(lower[end])) ++end;
            return std::string_view(lower).substr(start, end - start);
        };
        for (auto w : {word_after(), word_before()})
            if (auto const* c = find_concept(w); c && c->measured && !a.about) a.about = c;
    }
    tokens = word_tokens(words);
    // Concepts said in two words ("hemat listrik", "tanpa kabel", "lemari es"), before single words.
    std::vector<bool> used(tokens.size(), false);
    for (auto const& c : concepts())
        for (auto w : c.words) {
            if (single_word_text(w)) continue;
            auto parts = word_tokens(w);
            for (std::size_t i = 0; i + parts.size() <= tokens.size(); ++i) {
                bool match = true;
                for (std::size_t k = 0; k < parts.size() && match; ++k) match = !used[i + k] && tokens[i + k] == parts[k];
                if (!match) continue;
                for (std::size_t k = 0; k < parts.size(); ++k) used[i + k] = true;
                auto& list = c.is_category ? q.categories : q.qualities;
                if (std::find(list.begin(), list.end(), &c) == list.end()) list.push_back(&c);
                q.concept_words.emplace_back(std::string(w), &c);
            }
        }

    // "A laptop with a good keyboard", "a dock for my laptop": a kind named after "with" or "for",
    // beside a kind named before, is a quality of that one, not a second kind asked for.
    bool after_with = false;
    std::string_view previous_content; // the last word kept as a term, for "iphone 15"
    std::vector<std::size_t> term_at;  // each other term's token
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        auto const& t = tokens[i];
        if (used[i]) {
            previous_content = {};
            continue;
        }
        if (t == "with" || t == "dengan" || t == "for" || t == "untuk" || t == "buat") after_with = true;
        auto const* c = find_concept(t); // before amounts: "4k" is a resolution here, not Rp 4.000
        if (!c && is_number(t)) {
            // A model number after a name ("iPhone 15", "MacBook Pro 16"), unless it is an amount.
            bool amount_follows = i + 1 < tokens.size() && parse_rupiah_amount("1", tokens[i + 1]);
            bool whole = std::all_of(t.begin(), t.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
            if (whole && t.size() <= 4 && !previous_content.empty() && !amount_follows &&
                std::find(q.other_terms.begin(), q.other_terms.end(), t) == q.other_terms.end()) {
                q.other_terms.push_back(t);
                term_at.push_back(i);
            }
            previous_content = {};
            continue;
        }
        if (!c && split_number_unit(t).first.size() == t.size()) continue;
        if (auto [num, unit] = split_number_unit(t); !c && !num.empty() && parse_rupiah_amount(num, unit)) continue;
        if (c) {
            bool kind = c->is_category && !(after_with && !q.categories.empty());
            auto& list = kind ? q.categories : q.qualities;
            if (std::find(list.begin(), list.end(), c) == list.end()) list.push_back(c);
            q.concept_words.emplace_back(t, c);
            previous_content = {};
            continue;
        }
        previous_content = {};
        if (is_stopword(t) || t.size() < 2) continue;
        if (parse_rupiah_amount("1", t) || t == "rp" || t == "idr") continue; // unit words
        static constexpr std::string_view question_words[] = {
            "under", "below", "over", "above", "bawah", "atas", "dibawah", "diatas", "maksimal", "maks", "minimal",
            "anggaran", "sampai", "hingga", "between", "antara", "around", "sekitar", "lebih", "kurang", "most",
            "paling", "company", "perusahaan", "toko", "store", "shop", "berapa", "biaya", "selamat", "pagi",
            "siang", "sore", "malam", "morning", "evening", "afternoon", "termahal", "expensive", "mahal", "murah",
            "cheap", "cheaper", "affordable", "terjangkau", "ekonomis", "version", "versi", "first", "second", "third",
            "last", "pertama", "kedua", "ketiga", "terakhir", "both", "keduanya", "ketiganya", "tersebut", "them",
            "they", "other", "another", "else", "lain", "lainnya", "anything", "pricier", "least", "minimum", "maximum",
            "two", "three", "dua", "tiga", "satu"};
        if (std::find(std::begin(question_words), std::end(question_words), t) != std::end(question_words)) continue;
        if (is_shop_word(t)) continue;
        // "harganya", "speknya": a question word with "-nya" (its), about the products shown.
        if (t.size() > 5 && t.ends_with("nya") && (is_stopword(t.substr(0, t.size() - 3)) || is_shop_word(t.substr(0, t.size() - 3)))) continue;
        if (std::find(q.other_terms.begin(), q.other_terms.end(), t) == q.other_terms.end()) {
            q.other_terms.push_back(t);
            term_at.push_back(i);
        }
        previous_content = t;
    }
    // A word beside another content word ("mesin kopi"), or a capitalized one beside a kind ("Surface
    // laptop", "kulkas Toshiba"), is part of what the product is called; a lowercase word beside a
    // kind is more often what it should be ("laptop kencang").
    std::vector<std::string> capitalized;
    bool first_word = true;
    for_each_word(message, [&](std::string_view w) {
        if (!first_word && w.front() >= 'A' && w.front() <= 'Z') capitalized.push_back(to_lower_ascii(w));
        first_word = false;
    });
    auto is_term = [&](std::size_t at) { return std::find(term_at.begin(), term_at.end(), at) != term_at.end(); };
    auto is_kind = [&](std::size_t at) {
        auto const* c = at < tokens.size() ? find_concept(tokens[at]) : nullptr;
        return c != nullptr; // a kind or a quality: "Brooks running shoes"
    };
    for (auto at : term_at) {
        bool proper = std::find(capitalized.begin(), capitalized.end(), tokens[at]) != capitalized.end();
        bool beside_term = is_term(at + 1) || (at > 0 && is_term(at - 1));
        bool beside_kind = is_kind(at + 1) || (at > 0 && is_kind(at - 1));
        q.beside_a_name.push_back(beside_term || (proper && beside_kind));
    }
    return q;
}

} // namespace brandchat
