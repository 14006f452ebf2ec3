#include "brandchat/language/customer_texts.hpp"

namespace brandchat {

Language customer_language(std::string_view message, std::optional<Language> conversation, Language brand) {
    if (auto said = detect_language(message)) return *said;
    return conversation.value_or(brand);
}

namespace {

// "try again in 1 second" / "coba lagi dalam 1 detik": whole seconds, rounded up.
std::string retry_in(Language language, std::chrono::milliseconds wait) {
    auto seconds = (wait.count() + 999) / 1000;
    if (language == Language::indonesian) return "coba lagi dalam " + std::to_string(seconds) + " detik";
    return "try again in " + std::to_string(seconds) + (seconds == 1 ? " second" : " seconds");
}

} // namespace

std::string rate_limit_text(Language language, RateScope scope, std::size_t count, std::chrono::seconds window,
                            std::chrono::milliseconds wait) {
    auto n = std::to_string(count), s = std::to_string(window.count());
    if (language == Language::indonesian)
        return "Terlalu banyak pesan: paling banyak " + n + " pesan chat per " + s + " detik " +
               (scope == RateScope::connection ? "dalam satu koneksi" : "dari satu alamat") + "; " + retry_in(language, wait);
    return "Rate limit exceeded: at most " + n + " chat messages per " + s + " seconds " +
           (scope == RateScope::connection ? "on one connection" : "from one address") + "; " + retry_in(language, wait);
}

std::string too_long_text(Language language, std::size_t max_chars) {
    if (language == Language::indonesian)
        return "Pesan chat tidak valid: \"message\" lebih dari " + std::to_string(max_chars) + " karakter; tolong persingkat pesannya";
    return "Invalid chat message: \"message\" is longer than " + std::to_string(max_chars) + " characters";
}

std::string queue_full_text(Language language, std::size_t limit) {
    if (language == Language::indonesian)
        return "Terlalu banyak pesan menunggu: sudah ada " + std::to_string(limit) +
               " pesan dalam antrean di belakang balasan yang sedang berjalan; tunggu sampai selesai";
    return "Too many messages waiting: " + std::to_string(limit) +
           " are already queued behind the reply in progress; wait for it to complete";
}

std::string internal_error_text(Language language) {
    if (language == Language::indonesian) return "Balasan gagal karena kesalahan internal; silakan coba lagi";
    return "The reply failed because of an internal error; please try again";
}

} // namespace brandchat
