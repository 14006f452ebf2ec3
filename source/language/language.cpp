#include "brandchat/language/language.hpp"

#include "brandchat/language/text.hpp"

#include <algorithm>
#include <array>

namespace brandchat {

namespace {
// Frequent function words and shopping words that mark each language. Words shared by both
// (brand names, "laptop", "gaming", numbers) are not listed, so they do not vote.
constexpr std::string_view indonesian_words[] = {
    "saya", "aku", "kamu", "anda", "kami", "kita", "ini", "itu", "yang", "dan", "atau", "untuk", "dengan",
    "di", "ke", "dari", "ada", "apa", "apakah", "berapa", "harga", "harganya", "mau", "ingin", "butuh",
    "perlu", "cari", "mencari", "carikan", "beli", "membeli", "murah", "termurah", "mahal", "termahal",
    "bagus", "terbaik", "tidak", "tak", "bukan", "juga", "sudah", "belum", "bisa", "boleh", "tolong",
    "terima", "kasih", "halo", "hai", "selamat", "pagi", "siang", "sore", "malam", "bawah", "atas",
    "juta", "ribu", "jt", "rb", "tersedia", "stok", "bandingkan", "banding", "mana", "lebih", "kurang",
    "sama", "buat", "kerja", "kantor", "rumah", "anak", "sekolah", "kuliah", "mahasiswa", "spesifikasi",
    "rekomendasi", "sarankan", "punya", "jual", "toko", "perusahaan", "tentang", "kalau", "gimana",
    "bagaimana", "dong", "nya", "ya", "kak", "gan", "tapi"};
constexpr std::string_view english_words[] = {
    "i", "me", "my", "you", "your", "we", "our", "the", "a", "an", "and", "or", "for", "with", "to", "of",
    "in", "on", "is", "are", "was", "be", "do", "does", "what", "which", "how", "much", "price", "need",
    "want", "looking", "find", "buy", "cheap", "cheapest", "expensive", "best", "good", "not", "no",
    "please", "thanks", "thank", "hello", "hi", "hey", "morning", "evening", "under", "below", "over",
    "above", "million", "thousand", "available", "stock", "compare", "than", "more", "less", "work",
    "office", "home", "school", "student", "specs", "recommend", "have", "sell", "shop", "company",
    "about", "tell", "it", "there", "can", "would", "this"};

template <std::size_t N>
bool contains(std::string_view const (&words)[N], std::string_view w) {
    return std::find(std::begin(words), std::end(words), w) != std::end(words);
}
} // namespace

std::optional<Language> detect_language(std::string_view text) {
    int id = 0, en = 0;
    for (auto const& token : word_tokens(text)) {
        if (contains(indonesian_words, token)) ++id;
        if (contains(english_words, token)) ++en;
        // Indonesian possessive/definite suffix: "harganya", "laptopnya".
        if (token.size() > 5 && token.ends_with("nya") && !contains(indonesian_words, token)) ++id;
    }
    if (id == en) return std::nullopt;
    // A single marker word is too weak to switch ("hi", "di"): it must win by two, or be alone.
    if (std::max(id, en) == 1 && std::min(id, en) == 0 && word_tokens(text).size() > 3) return std::nullopt;
    return id > en ? Language::indonesian : Language::english;
}

std::string_view language_code(Language language) { return language == Language::indonesian ? "id" : "en"; }

std::optional<Language> parse_language_code(std::string_view code) {
    if (code == "id") return Language::indonesian;
    if (code == "en") return Language::english;
    return std::nullopt;
}

} // namespace brandchat
