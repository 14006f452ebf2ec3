// API keys of the management API. A key is "bck_" and 43 characters of base64url (256 random
// bits); only its SHA-256 is kept (store.hpp, ApiKeyRecord) and held here. An admin key acts on
// every brand and manages keys; a brand key acts on its one brand. A presented key is compared
// with every known hash in constant time (CRYPTO_memcmp), so the time taken says nothing about
// how close a guess came, and keys never reach a log: the key ring logs only ids.
#pragma once

#include "brandchat/store/store.hpp"

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace brandchat {

struct Principal {
    std::string key_id;                  // "environment" for BRANDCHAT_ADMIN_KEY
    std::optional<std::string> brand_id; // none: admin
    bool admin() const { return !brand_id; }
    bool may_act_on(std::string_view brand) const { return admin() || *brand_id == brand; }
};

class KeyRing {
public:
    void load(std::vector<ApiKeyRecord> records) { records_ = std::move(records); }
    void add(ApiKeyRecord record) { records_.push_back(std::move(record)); }
    bool remove(std::string_view id);
    void remove_brand(std::string_view brand_id); // a deleted brand's keys
    void set_environment_key(std::string_view key); // --admin-key / BRANDCHAT_ADMIN_KEY; empty: none
    std::optional<Principal> authenticate(std::string_view key) const;
    std::vector<ApiKeyRecord> const& records() const { return records_; }
    bool has_any() const { return !records_.empty() || environment_key_; }

private:
    std::vector<ApiKeyRecord> records_;
    std::optional<std::array<unsigned char, 32>> environment_key_;
};

std::array<unsigned char, 32> key_hash(std::string_view key);
// A new random key, and a record for it (its hash, a new id) scoped to `brand_id` (none: admin).
std::pair<std::string, ApiKeyRecord> make_api_key(std::optional<std::string> brand_id, std::string label);

// The key a request presents: "Authorization: Bearer KEY", else "X-API-Key: KEY"; empty if none.
std::string_view presented_key(std::string_view authorization, std::string_view x_api_key);

} // namespace brandchat
