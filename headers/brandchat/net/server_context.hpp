// What every connection of one server shares: settings, the store, brands, conversations, the per-address
// rate limiter, the responder and the message handlers, plus counters for logs and /health.
#pragma once

#include "brandchat/api/keys.hpp"
#include "brandchat/catalog/brand.hpp"
#include "brandchat/chat/conversation.hpp"
#include "brandchat/chat/rate_limiter.hpp"
#include "brandchat/config/options.hpp"
#include "brandchat/handlers/registry.hpp"
#include "brandchat/metrics/metrics.hpp"
#include "brandchat/net/static_site.hpp"
#include "brandchat/reply/responder.hpp"
#include "brandchat/store/store.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <unordered_map>
#include <unordered_set>

namespace brandchat {

class Session;

// A product file uploaded through the management API (GET /uploads), kept in memory.
struct UploadRecord {
    std::string upload_id, brand_id, filename, upload_time, status; // status: "success" or "failed"
    std::size_t file_size = 0, products_added = 0;
};

// How replies ended, per brand (brandchat_replies_total).
enum class ReplyOutcome : std::uint8_t { complete, error, cancelled, client_left };
inline constexpr std::size_t reply_outcome_count = 4;

// The counters /health and /metrics show (net/http_api.cpp, net/metrics_page.cpp).
struct ServerStats {
    std::uint64_t connections_total = 0;
    std::uint64_t connections_refused = 0;         // over --max-connections-per-address
    std::uint64_t replies_total = 0;
    std::uint64_t replies_failed = 0;
    std::uint64_t chunks_total = 0;
    std::uint64_t errors_sent = 0;
    std::uint64_t prompt_tokens = 0, completion_tokens = 0;
    std::map<std::string, TokenUsage, std::less<>> usage_by_brand; // at most max_label_values brands, then "other"
    // Messages by type: the registered types, and "unknown", "invalid" and "binary" for the rest.
    std::map<std::string, std::uint64_t, std::less<>> messages_by_type;
    std::array<std::uint64_t, error_cause_count> errors_by_cause{};
    std::uint64_t rate_limited_connection = 0, rate_limited_address = 0;
    // At most max_label_values brands; the rest under "other".
    std::map<std::string, std::array<std::uint64_t, reply_outcome_count>, std::less<>> replies_by_brand;
    StreamMeters stream;
    std::uint64_t http_requests = 0;                                  // HTTP requests read (their log id)
    std::map<std::string, std::uint64_t, std::less<>> http_by_status; // answered, by status
    // What the server adds to a reply (chat/reply_pipeline.cpp says where each is taken).
    Histogram upstream_request_delay; // a chat message read -> the model's request written
    Histogram first_chunk_added;      // time to first chunk minus the model's time to first text
    Histogram reply_duration;         // a chat message read -> its `complete` or `error` queued
};

// Socket writes by every session in this process (CoalescingStream); with chunks_total, how
// many frames leave per write.
std::uint64_t socket_writes_total();

struct ServerContext {
    Options options;
    std::unique_ptr<Store> store;                  // brands and conversations kept (store/store.hpp)
    BrandCatalog brands;                           // loaded from the store at start
    std::unordered_map<std::string, std::uint64_t> brand_changes; // per brand, how many changes were applied (net/brand_changes.cpp)
    ConversationStore conversations;               // the conversations in use, in memory; the store keeps them all
    KeyedRateLimiter address_limiter{options.address_rate};
    std::unique_ptr<Responder> responder;
    std::unique_ptr<Responder> fallback_responder; // built-in, when the model fails early
    KeyRing keys;                                  // the management API's keys (api/keys.hpp)
    std::vector<UploadRecord> uploads;            // the last ones, oldest first (GET /uploads)
    std::vector<std::string> import_problems;      // what the brand import at start skipped (file, line, why)
    std::string new_admin_key;                     // made at this start, as no key existed: printed once, then cleared
    HandlerRegistry handlers;
    StaticSite ui;                                 // the chat page, read once at start
    StaticSite api_docs;                           // the API documents and their page (resources/api/), the same way
    std::unordered_set<Session*> sessions;         // live WebSocket sessions, for shutdown
    std::unordered_map<std::string, std::uint32_t> connections_by_address; // open TCP connections per client address
    ServerStats stats;
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    bool stopping = false;
};

} // namespace brandchat
