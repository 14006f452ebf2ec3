// Conversations: what was said, in which language, and which products were suggested last, so
// that follow-ups ("What's the price?") resolve. These are the conversations in use, in memory,
// bounded in count and age, with history trimmed to the last `max_turns` turns; the store
// (store/store.hpp) keeps every one, and one evicted here is read back from it when it goes on.
#pragma once

#include "brandchat/language/language.hpp"

#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace brandchat {

struct Turn {
    enum class Role { user, assistant };
    Role role;
    std::string text;
};

struct TokenUsage {
    std::uint64_t prompt = 0, completion = 0, total = 0;
};

struct Conversation {
    std::string id;
    std::string brand_id;
    std::optional<std::string> user_id;
    std::optional<Language> language;           // of the last message that was clear about it
    std::vector<Turn> turns;                    // oldest first
    std::vector<std::string> last_product_ids;
    std::optional<double> last_confidence;
    TokenUsage usage;
    std::chrono::steady_clock::time_point touched{};

    std::vector<std::string> recent_user_messages(std::size_t n) const;
};

struct ConversationLimits {
    std::size_t max_conversations = 100000;
    std::size_t max_turns = 40;
    std::chrono::seconds idle_expiry{std::chrono::hours(24)};
};

class ConversationStore {
public:
    explicit ConversationStore(ConversationLimits limits = {}) : limits_(limits) {}

    // The conversation with this id if it exists and belongs to this brand, else null.
    std::shared_ptr<Conversation> find(std::string const& id, std::string const& brand_id);
    // A new conversation with a fresh unguessable id ("conv-" + 128 random bits in hex).
    std::shared_ptr<Conversation> create(std::string const& brand_id, std::optional<std::string> user_id);
    // Puts a conversation read from the store in memory; one already there with its id wins.
    std::shared_ptr<Conversation> adopt(Conversation conversation);
    // Appends a turn, trimming the oldest beyond the limit, and marks the conversation used.
    void add_turn(Conversation& conversation, Turn turn);
    std::size_t size() const { return by_id_.size(); }
    std::size_t count_of_brand(std::string const& brand_id) const; // in memory now (a scan: for stats)
    // Forgets a conversation (the store's copy is deleted apart); false when it is not here.
    bool remove(std::string const& id, std::string const& brand_id);
    ConversationLimits const& limits() const { return limits_; }

private:
    void touch(std::string const& id);
    void evict(std::chrono::steady_clock::time_point now);

    ConversationLimits limits_;
    std::list<std::string> recency_; // most recently used first
    struct Entry {
        std::shared_ptr<Conversation> conversation;
        std::list<std::string>::iterator position;
    };
    std::unordered_map<std::string, Entry> by_id_;
};

std::string new_conversation_id();

} // namespace brandchat
