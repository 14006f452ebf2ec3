#include "brandchat/api/keys.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <stdexcept>

namespace brandchat {

namespace {

std::string random_base64url(std::size_t bytes) {
    std::vector<unsigned char> raw(bytes);
    if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) throw std::runtime_error("no randomness for an API key");
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (auto b : raw) {
        acc = (acc << 8) | b;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out += alphabet[(acc >> bits) & 63];
        }
    }
    if (bits > 0) out += alphabet[(acc << (6 - bits)) & 63];
    return out;
}

} // namespace

std::array<unsigned char, 32> key_hash(std::string_view key) {
    std::array<unsigned char, 32> out{};
    unsigned int size = 0;
    if (EVP_Digest(key.data(), key.size(), out.data(), &size, EVP_sha256(), nullptr) != 1 || size != out.size())
        throw std::runtime_error("SHA-256 failed");
    return out;
}

std::pair<std::string, ApiKeyRecord> make_api_key(std::optional<std::string> brand_id, std::string label) {
    std::string key = "bck_" + random_base64url(32);
    ApiKeyRecord record;
    record.id = "key_" + random_base64url(9);
    record.hash = key_hash(key);
    record.brand_id = std::move(brand_id);
    record.label = std::move(label);
    record.created_at_ms = wall_clock_ms();
    return {std::move(key), std::move(record)};
}

bool KeyRing::remove(std::string_view id) {
    auto it = std::find_if(records_.begin(), records_.end(), [&](auto const& r) { return r.id == id; });
    if (it == records_.end()) return false;
    records_.erase(it);
    return true;
}

void KeyRing::remove_brand(std::string_view brand_id) {
    std::erase_if(records_, [&](auto const& r) { return r.brand_id && *r.brand_id == brand_id; });
}

void KeyRing::set_environment_key(std::string_view key) {
    if (key.empty()) environment_key_.reset();
    else environment_key_ = key_hash(key);
}

std::optional<Principal> KeyRing::authenticate(std::string_view key) const {
    if (key.empty()) return std::nullopt;
    auto hash = key_hash(key);
    // Every hash is compared, found or not: the time depends on how many keys there are only.
    std::optional<Principal> found;
    if (environment_key_ && CRYPTO_memcmp(hash.data(), environment_key_->data(), hash.size()) == 0)
        found = Principal{"environment", std::nullopt};
    for (auto const& r : records_)
        if (CRYPTO_memcmp(hash.data(), r.hash.data(), hash.size()) == 0 && !found) found = Principal{r.id, r.brand_id};
    return found;
}

std::string_view presented_key(std::string_view authorization, std::string_view x_api_key) {
    auto trim = [](std::string_view s) {
        while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
        while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
        return s;
    };
    authorization = trim(authorization);
    if (authorization.size() > 7) {
        auto scheme = authorization.substr(0, 7);
        bool bearer = scheme.size() == 7 && (scheme[0] | 0x20) == 'b' && (scheme[1] | 0x20) == 'e' && (scheme[2] | 0x20) == 'a' &&
                      (scheme[3] | 0x20) == 'r' && (scheme[4] | 0x20) == 'e' && (scheme[5] | 0x20) == 'r' && scheme[6] == ' ';
        if (bearer) return trim(authorization.substr(7));
    }
    return trim(x_api_key);
}

} // namespace brandchat
