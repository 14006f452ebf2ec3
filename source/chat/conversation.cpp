#include "brandchat/chat/conversation.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cstring>
#include <random>
#include <stdexcept>

namespace brandchat {

std::vector<std::string> Conversation::recent_user_messages(std::size_t n) const {
    std::vector<std::string> out;
    for (auto it = turns.rbegin(); it != turns.rend() && out.size() < n; ++it)
        if (it->role == Turn::Role::user) out.insert(out.begin(), it->text);
    return out;
}

std::string new_conversation_id() {
    // An id is the key to a conversation's history, so it comes from OpenSSL's CSPRNG. Drawn 4 KiB
    // at a time: one RAND_bytes call costs microseconds (locks, the DRBG, provider dispatch),
    // which was 4 % of the server's CPU per chat message when drawn for each id.
    thread_local unsigned char pool[4096];
    thread_local std::size_t used = sizeof pool;
    if (used + 16 > sizeof pool) {
        if (RAND_bytes(pool, sizeof pool) != 1) throw std::runtime_error("no randomness for a conversation id");
        used = 0;
    }
    unsigned char bytes[16];
    std::memcpy(bytes, pool + used, sizeof bytes);
    OPENSSL_cleanse(pool + used, sizeof bytes); // each id's bytes once only, and not left behind
    used += sizeof bytes;
    static constexpr char hex[] = "0123456789abcdef";
    std::string id = "conv-";
    for (auto b : bytes) {
        id.push_back(hex[b >> 4]);
        id.push_back(hex[b & 0xF]);
    }
    return id;
}

std::shared_ptr<Conversation> ConversationStore::find(std::string const& id, std::string const& brand_id) {
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return nullptr;
    auto now = std::chrono::steady_clock::now();
    auto& c = it->second.conversation;
    if (c->brand_id != brand_id) return nullptr;
    if (now - c->touched > limits_.idle_expiry) {
        recency_.erase(it->second.position);
        by_id_.erase(it);
        return nullptr;
    }
    touch(id);
    return c;
}

std::shared_ptr<Conversation> ConversationStore::create(std::string const& brand_id, std::optional<std::string> user_id) {
    auto now = std::chrono::steady_clock::now();
    evict(now);
    auto c = std::make_shared<Conversation>();
    c->id = new_conversation_id();
    c->brand_id = brand_id;
    c->user_id = std::move(user_id);
    c->touched = now;
    recency_.push_front(c->id);
    by_id_.emplace(c->id, Entry{c, recency_.begin()});
    return c;
}

std::shared_ptr<Conversation> ConversationStore::adopt(Conversation conversation) {
    if (auto it = by_id_.find(conversation.id); it != by_id_.end()) return it->second.conversation;
    auto now = std::chrono::steady_clock::now();
    evict(now);
    auto c = std::make_shared<Conversation>(std::move(conversation));
    if (c->turns.size() > limits_.max_turns)
        c->turns.erase(c->turns.begin(), c->turns.begin() + static_cast<long>(c->turns.size() - limits_.max_turns));
    c->touched = now;
    recency_.push_front(c->id);
    by_id_.emplace(c->id, Entry{c, recency_.begin()});
    return c;
}

void ConversationStore::add_turn(Conversation& c, Turn turn) {
    c.turns.push_back(std::move(turn));
    if (c.turns.size() > limits_.max_turns)
        c.turns.erase(c.turns.begin(), c.turns.begin() + static_cast<long>(c.turns.size() - limits_.max_turns));
    c.touched = std::chrono::steady_clock::now();
    touch(c.id);
}

void ConversationStore::touch(std::string const& id) {
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return;
    recency_.splice(recency_.begin(), recency_, it->second.position);
}

void ConversationStore::evict(std::chrono::steady_clock::time_point now) {
    while (!recency_.empty()) {
        auto& oldest = by_id_.at(recency_.back());
        bool expired = now - oldest.conversation->touched > limits_.idle_expiry;
        if (!expired && by_id_.size() < limits_.max_conversations) break;
        by_id_.erase(recency_.back());
        recency_.pop_back();
    }
}

std::size_t ConversationStore::count_of_brand(std::string const& brand_id) const {
    std::size_t n = 0;
    for (auto const& [id, entry] : by_id_) n += entry.conversation->brand_id == brand_id;
    return n;
}

bool ConversationStore::remove(std::string const& id, std::string const& brand_id) {
    auto it = by_id_.find(id);
    if (it == by_id_.end() || it->second.conversation->brand_id != brand_id) return false;
    recency_.erase(it->second.position);
    by_id_.erase(it);
    return true;
}

} // namespace brandchat
