// Every setting of the server, with its sources: environment variables (BRANDCHAT_*, and the
// OpenAI SDKs' own OPENAI_* names), an optional JSON file (--config), and command-line flags.
// Flags win over the file, the file over the environment. One table drives all three and --help.
#pragma once

#include "brandchat/chat/rate_limiter.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace brandchat {

struct Options {
    // Where to listen and what to serve.
    std::string host = "0.0.0.0";
    std::uint16_t port = 8000;
    std::string resources;                 // empty: found next to the binary or in the source tree
    std::string log_level = "info";
    std::string log_format = "text";             // text or json (log.hpp)
    std::string cors_origins = "*";        // comma-separated list, or *

    // Kept data (store/store.hpp).
    std::string database = "brandchat.db"; // an SQLite file, or ":memory:" to keep nothing
    std::string import_brands;             // a folder of brand files to import at start (replacing same ids)
    std::chrono::seconds conversation_expiry{std::chrono::hours(24 * 30)};
    std::size_t in_memory_products = 5000; // larger catalogs are searched in the store's full-text index
    std::string checkpoint_program;        // not a flag: main sets this executable, which checkpoints the file (StoreOptions)

    // The management API (api/).
    std::string admin_key;                 // besides the keys kept in the store (BRANDCHAT_ADMIN_KEY)
    std::string default_brand = "techpro"; // for the original's brand-less paths (/products, POST /chat)
    std::size_t max_import_bytes = 128 * 1024 * 1024; // body of a bulk import or upload; others 64 KiB

    // Protocol limits.
    std::size_t max_message_chars = 1000;
    std::size_t max_frame_bytes = 64 * 1024;
    RateLimit connection_rate{10, std::chrono::seconds(60)};
    RateLimit address_rate{300, std::chrono::seconds(60)};
    std::size_t queue_limit = 4;           // chats waiting behind the one being answered
    std::size_t max_suggestions = 3;
    std::size_t outbox_limit_bytes = 256 * 1024;
    std::chrono::seconds idle_timeout{300};
    std::chrono::milliseconds message_timeout{10000}; // a message's first frame to its last
    std::size_t max_connections_per_address = 256;    // 0 = no limit
    std::string allowed_origins;           // storefronts that may open the WebSocket, besides each brand's own list

    // The built-in responder.
    std::chrono::milliseconds word_delay{25};

    // A language model (OpenAI-compatible).
    std::string openai_api_key;
    std::string openai_base_url;
    std::string model = "gpt-4o-mini";
    double temperature = 0.7;
    std::size_t max_tokens = 600;
    std::size_t voice_max_tokens = 80;
    std::string openai_organization;
    std::string openai_project;
    std::chrono::milliseconds connect_timeout{5000};
    std::chrono::milliseconds first_byte_timeout{30000};
    std::chrono::milliseconds idle_chunk_timeout{20000};
    std::chrono::milliseconds reply_timeout{120000};
    std::size_t retries = 2;
    std::size_t spare_connections = 2;
    std::size_t max_connects_in_flight = 100;     // new model connections being opened at once
    std::chrono::milliseconds idle_connection{30000};
    bool fallback_to_catalog = false;
    std::size_t history_budget_chars = 6000;
    std::size_t max_sse_line_bytes = 1024 * 1024;  // one line of the model's event stream
    std::size_t max_sse_event_bytes = 1024 * 1024; // one event's data

    bool llm_enabled() const { return !openai_api_key.empty() || !openai_base_url.empty(); }
};

struct ParsedCommandLine {
    Options options;
    bool show_help = false;
    bool show_version = false;
    std::string config_file;
};

// Reads environment, config file and flags. Throws std::invalid_argument with a message that
// names the bad setting. `environment` maps variable names to values (tests pass their own).
ParsedCommandLine parse_options(std::vector<std::string> const& args, std::map<std::string, std::string> const& environment);
std::map<std::string, std::string> process_environment();
std::string help_text();

} // namespace brandchat
