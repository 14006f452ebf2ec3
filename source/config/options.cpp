#include "brandchat/config/options.hpp"
#include "brandchat/config/parse_number.hpp"

#include <boost/json.hpp>

#include <charconv>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace brandchat {

namespace {

using Setter = std::function<void(Options&, std::string const&)>;

struct Spec {
    std::string name;           // flag without dashes; JSON key with '-' replaced by '_'
    std::vector<std::string> env;
    std::string value_name;
    std::string help;
    Setter set;
};

std::size_t to_size(std::string const& name, std::string const& v) {
    auto out = parse_number<std::size_t>(v);
    if (!out) throw std::invalid_argument("--" + name + ": expected a whole number, got '" + v + "'");
    return *out;
}

double to_double(std::string const& name, std::string const& v) {
    try {
        std::size_t used = 0;
        double d = std::stod(v, &used);
        if (used == v.size()) return d;
    } catch (...) {
    }
    throw std::invalid_argument("--" + name + ": expected a number, got '" + v + "'");
}

bool to_bool(std::string const& name, std::string const& v) {
    if (v == "1" || v == "true" || v == "yes" || v == "on") return true;
    if (v == "0" || v == "false" || v == "no" || v == "off") return false;
    throw std::invalid_argument("--" + name + ": expected true or false, got '" + v + "'");
}

template <class Member>
Setter size_member(std::string name, Member m) {
    return [name, m](Options& o, std::string const& v) { o.*m = to_size(name, v); };
}
template <class Member>
Setter ms_member(std::string name, Member m) {
    return [name, m](Options& o, std::string const& v) { o.*m = std::chrono::milliseconds(to_size(name, v)); };
}
// "30d", "12h", "90m", "45s" or a number of seconds.
std::chrono::seconds to_duration(std::string const& name, std::string const& v) {
    std::string digits = v;
    std::uint64_t unit = 1;
    if (!v.empty()) {
        switch (v.back()) {
        case 'd': unit = 86400; break;
        case 'h': unit = 3600; break;
        case 'm': unit = 60; break;
        case 's': unit = 1; break;
        default: unit = 0;
        }
        if (unit) digits.pop_back();
        else unit = 1;
    }
    auto n = parse_number<std::uint64_t>(digits);
    if (!n || *n == 0 || *n > 100ull * 365 * 86400 / unit)
        throw std::invalid_argument("--" + name + ": expected a duration such as 30d, 12h, 90m or 45s, got '" + v + "'");
    return std::chrono::seconds(static_cast<std::int64_t>(*n * unit));
}

template <class Member>
Setter string_member(Member m) {
    return [m](Options& o, std::string const& v) { o.*m = v; };
}
Setter rate_member(std::string name, RateLimit Options::*m) {
    return [name, m](Options& o, std::string const& v) {
        auto r = parse_rate_limit(v);
        if (!r) throw std::invalid_argument("--" + name + ": expected COUNT/SECONDS (e.g. 10/60) or 0 for off, got '" + v + "'");
        o.*m = *r;
    };
}

std::vector<Spec> const& specs() {
    static std::vector<Spec> const all = {
        {"host", {"BRANDCHAT_HOST"}, "ADDR", "address to listen on (default 0.0.0.0)", string_member(&Options::host)},
        {"port", {"BRANDCHAT_PORT", "PORT"}, "N", "port to listen on, 0 for any free port (default 8000)",
         [](Options& o, std::string const& v) {
             auto n = to_size("port", v);
             if (n > 65535) throw std::invalid_argument("--port: must be 0..65535");
             o.port = static_cast<std::uint16_t>(n);
         }},
        {"resources", {"BRANDCHAT_RESOURCES"}, "DIR", "folder with brands/ and ui/ (default: the bundled resources)", string_member(&Options::resources)},
        {"log-level", {"BRANDCHAT_LOG_LEVEL"}, "LEVEL", "debug, info, warn, error or off (default info)", string_member(&Options::log_level)},
        {"log-format", {"BRANDCHAT_LOG_FORMAT"}, "FORMAT", "text, or json: one object per line (default text)", string_member(&Options::log_format)},
        {"cors-origins", {"BRANDCHAT_CORS_ORIGINS"}, "LIST", "origins allowed to call the HTTP API, comma-separated, or * (default *)", string_member(&Options::cors_origins)},
        {"database", {"BRANDCHAT_DATABASE"}, "FILE", "SQLite file for brands, products and conversations, created when missing; :memory: keeps nothing (default brandchat.db)", string_member(&Options::database)},
        {"admin-key", {"BRANDCHAT_ADMIN_KEY"}, "KEY", "an admin key of the management API, besides those kept in the database; without any, the first start creates one and prints it once (prefer the environment variable)", string_member(&Options::admin_key)},
        {"default-brand", {"BRANDCHAT_DEFAULT_BRAND"}, "ID", "the brand the original API's brand-less paths act on: /products, /categories, /recommendations, POST /chat (default techpro)", string_member(&Options::default_brand)},
        {"max-import-bytes", {"BRANDCHAT_MAX_IMPORT_BYTES"}, "N", "largest request body of a product import (bulk or upload); other requests take at most 65536 bytes (default 134217728)", size_member("max-import-bytes", &Options::max_import_bytes)},
        {"import-brands", {"BRANDCHAT_IMPORT_BRANDS"}, "DIR", "import the brand files in DIR at start, replacing brands with the same id (an empty database imports the bundled brands by itself)", string_member(&Options::import_brands)},
        {"conversation-expiry", {"BRANDCHAT_CONVERSATION_EXPIRY"}, "DURATION", "forget a conversation this long after its last message: 30d, 12h, 90m, 45s (default 30d)",
         [](Options& o, std::string const& v) { o.conversation_expiry = to_duration("conversation-expiry", v); }},
        {"in-memory-products", {"BRANDCHAT_IN_MEMORY_PRODUCTS"}, "N", "a brand with at most N products is ranked in memory; a larger one is searched with the database's full-text index, its products read as needed (default 5000)", size_member("in-memory-products", &Options::in_memory_products)},
        {"max-message-chars", {"BRANDCHAT_MAX_MESSAGE_CHARS"}, "N", "longest chat message accepted, in characters (default 1000)", size_member("max-message-chars", &Options::max_message_chars)},
        {"max-frame-bytes", {"BRANDCHAT_MAX_FRAME_BYTES"}, "N", "largest WebSocket message accepted; bigger ones close with 1009 (default 65536)", size_member("max-frame-bytes", &Options::max_frame_bytes)},
        {"rate-limit-connection", {"BRANDCHAT_RATE_LIMIT_CONNECTION"}, "COUNT/SECONDS", "chat messages allowed per connection, 0 = off (default 10/60)", rate_member("rate-limit-connection", &Options::connection_rate)},
        {"rate-limit-address", {"BRANDCHAT_RATE_LIMIT_ADDRESS"}, "COUNT/SECONDS", "chat messages allowed per client address, 0 = off (default 300/60)", rate_member("rate-limit-address", &Options::address_rate)},
        {"queue-limit", {"BRANDCHAT_QUEUE_LIMIT"}, "N", "chat messages that may wait behind the reply being streamed (default 4)", size_member("queue-limit", &Options::queue_limit)},
        {"max-suggestions", {"BRANDCHAT_MAX_SUGGESTIONS"}, "N", "products suggested per reply at most (default 3)", size_member("max-suggestions", &Options::max_suggestions)},
        {"outbox-limit-bytes", {"BRANDCHAT_OUTBOX_LIMIT_BYTES"}, "N", "bytes queued for a slow client before its reply pauses (default 262144)", size_member("outbox-limit-bytes", &Options::outbox_limit_bytes)},
        {"idle-timeout", {"BRANDCHAT_IDLE_TIMEOUT"}, "SECONDS", "close a WebSocket silent this long (pings keep it open; default 300)",
         [](Options& o, std::string const& v) { o.idle_timeout = std::chrono::seconds(to_size("idle-timeout", v)); }},
        {"message-timeout-ms", {"BRANDCHAT_MESSAGE_TIMEOUT_MS"}, "MS", "longest a WebSocket message may take from its first frame to its last; then the connection closes with 1008 (default 10000)", ms_member("message-timeout-ms", &Options::message_timeout)},
        {"max-connections-per-address", {"BRANDCHAT_MAX_CONNECTIONS_PER_ADDRESS"}, "N", "open connections allowed from one client address, 0 = no limit; more get 429 (default 256)", size_member("max-connections-per-address", &Options::max_connections_per_address)},
        {"allowed-origins", {"BRANDCHAT_ALLOWED_ORIGINS"}, "LIST", "web origins (https://shop.example) whose pages may open the chat WebSocket, comma-separated, or *; besides each brand's allowed_origins, the server's own page and localhost (default: none)", string_member(&Options::allowed_origins)},
        {"word-delay-ms", {"BRANDCHAT_WORD_DELAY_MS"}, "MS", "built-in responder: pause between words (default 25, 0 for benchmarks)", ms_member("word-delay-ms", &Options::word_delay)},
        {"openai-api-key", {"OPENAI_API_KEY"}, "KEY", "API key of the language model (prefer the environment variable)", string_member(&Options::openai_api_key)},
        {"openai-base-url", {"OPENAI_BASE_URL"}, "URL", "OpenAI-compatible API base (default https://api.openai.com/v1 when a key is set)", string_member(&Options::openai_base_url)},
        {"model", {"BRANDCHAT_MODEL", "OPENAI_MODEL"}, "NAME", "model name (default gpt-4o-mini); brands may override it", string_member(&Options::model)},
        {"temperature", {"BRANDCHAT_TEMPERATURE"}, "T", "sampling temperature (default 0.7)", [](Options& o, std::string const& v) {
             o.temperature = to_double("temperature", v);
             if (!(o.temperature >= 0 && o.temperature <= 2)) throw std::invalid_argument("--temperature: must be 0..2, got '" + v + "'");
         }},
        {"max-tokens", {"BRANDCHAT_MAX_TOKENS"}, "N", "reply length limit in tokens (default 600)", size_member("max-tokens", &Options::max_tokens)},
        {"voice-max-tokens", {"BRANDCHAT_VOICE_MAX_TOKENS"}, "N", "reply length limit in voice mode (default 80)", size_member("voice-max-tokens", &Options::voice_max_tokens)},
        {"openai-organization", {"OPENAI_ORG_ID", "OPENAI_ORGANIZATION"}, "ID", "OpenAI-Organization header", string_member(&Options::openai_organization)},
        {"openai-project", {"OPENAI_PROJECT_ID", "OPENAI_PROJECT"}, "ID", "OpenAI-Project header", string_member(&Options::openai_project)},
        {"connect-timeout-ms", {"BRANDCHAT_CONNECT_TIMEOUT_MS"}, "MS", "model: resolve, connect and TLS handshake (default 5000)", ms_member("connect-timeout-ms", &Options::connect_timeout)},
        {"first-byte-timeout-ms", {"BRANDCHAT_FIRST_BYTE_TIMEOUT_MS"}, "MS", "model: request sent to first streamed token (default 30000)", ms_member("first-byte-timeout-ms", &Options::first_byte_timeout)},
        {"idle-chunk-timeout-ms", {"BRANDCHAT_IDLE_CHUNK_TIMEOUT_MS"}, "MS", "model: longest gap between streamed chunks (default 20000)", ms_member("idle-chunk-timeout-ms", &Options::idle_chunk_timeout)},
        {"reply-timeout-ms", {"BRANDCHAT_REPLY_TIMEOUT_MS"}, "MS", "model: whole reply (default 120000)", ms_member("reply-timeout-ms", &Options::reply_timeout)},
        {"retries", {"BRANDCHAT_RETRIES"}, "N", "model: retries before the first token on 408/409/429/5xx and connection errors (default 2)", size_member("retries", &Options::retries)},
        {"spare-connections", {"BRANDCHAT_SPARE_CONNECTIONS"}, "N", "model: connections opened ahead of demand, so a first message does not wait for a handshake (default 2, at most 64; 0: none)", size_member("spare-connections", &Options::spare_connections)},
        {"max-connects-in-flight", {"BRANDCHAT_MAX_CONNECTS_IN_FLIGHT"}, "N", "model: new connections opened at once; more replies wait for a free slot or a kept connection (default 100)", size_member("max-connects-in-flight", &Options::max_connects_in_flight)},
        {"idle-connection-ms", {"BRANDCHAT_IDLE_CONNECTION_MS"}, "MS", "model: longest a kept-alive connection waits for reuse before it is closed (default 30000)", ms_member("idle-connection-ms", &Options::idle_connection)},
        {"fallback-to-catalog", {"BRANDCHAT_FALLBACK_TO_CATALOG"}, "BOOL", "answer with the built-in responder when the model fails before its first token (default false)",
         [](Options& o, std::string const& v) { o.fallback_to_catalog = to_bool("fallback-to-catalog", v); }},
        {"max-sse-line-bytes", {"BRANDCHAT_MAX_SSE_LINE_BYTES"}, "N", "model: longest line of its event stream; longer ends the reply with an error (default 1048576)", size_member("max-sse-line-bytes", &Options::max_sse_line_bytes)},
        {"max-sse-event-bytes", {"BRANDCHAT_MAX_SSE_EVENT_BYTES"}, "N", "model: largest event of its stream (default 1048576)", size_member("max-sse-event-bytes", &Options::max_sse_event_bytes)},
        {"history-budget-chars", {"BRANDCHAT_HISTORY_BUDGET_CHARS"}, "N", "model: most characters of earlier turns sent with a message (default 6000)", size_member("history-budget-chars", &Options::history_budget_chars)},
    };
    return all;
}

Spec const* find_spec(std::string const& name) {
    for (auto const& s : specs())
        if (s.name == name) return &s;
    return nullptr;
}

std::string json_key(std::string name) {
    for (auto& c : name)
        if (c == '-') c = '_';
    return name;
}

std::string scalar_to_string(boost::json::value const& v, std::string const& key) {
    if (v.is_string()) return std::string(v.get_string());
    if (v.is_bool()) return v.get_bool() ? "true" : "false";
    if (v.is_int64()) return std::to_string(v.get_int64());
    if (v.is_uint64()) return std::to_string(v.get_uint64());
    if (v.is_double()) {
        std::ostringstream s;
        s << v.get_double();
        return s.str();
    }
    throw std::invalid_argument("config file: \"" + key + "\" must be a string, number or boolean");
}

} // namespace

ParsedCommandLine parse_options(std::vector<std::string> const& args, std::map<std::string, std::string> const& environment) {
    ParsedCommandLine out;
    std::vector<std::pair<Spec const*, std::string>> flags;
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string arg = args[i];
        if (arg == "--help" || arg == "-h") {
            out.show_help = true;
            continue;
        }
        if (arg == "--version") {
            out.show_version = true;
            continue;
        }
        if (!arg.starts_with("--")) throw std::invalid_argument("unexpected argument '" + arg + "' (see --help)");
        std::string name = arg.substr(2), value;
        bool has_value = false;
        if (auto eq = name.find('='); eq != std::string::npos) {
            value = name.substr(eq + 1);
            name = name.substr(0, eq);
            has_value = true;
        }
        // An unknown name is said to be unknown before anything about its value ("--verbose").
        auto const* spec = find_spec(name);
        if (!spec && name != "config") throw std::invalid_argument("unknown option --" + name + " (see --help)");
        if (!has_value) {
            if (i + 1 >= args.size()) throw std::invalid_argument("--" + name + " needs a value (see --help)");
            value = args[++i];
        }
        if (name == "config") {
            out.config_file = value;
            continue;
        }
        flags.emplace_back(spec, value);
    }

    for (auto const& spec : specs())
        for (auto it = spec.env.rbegin(); it != spec.env.rend(); ++it)
            if (auto found = environment.find(*it); found != environment.end() && !found->second.empty())
                spec.set(out.options, found->second);

    if (out.config_file.empty())
        if (auto found = environment.find("BRANDCHAT_CONFIG"); found != environment.end()) out.config_file = found->second;
    if (!out.config_file.empty()) {
        std::ifstream in(out.config_file);
        if (!in) throw std::invalid_argument("cannot read config file " + out.config_file);
        std::stringstream text;
        text << in.rdbuf();
        boost::system::error_code ec;
        auto doc = boost::json::parse(text.str(), ec);
        if (ec || !doc.is_object()) throw std::invalid_argument("config file " + out.config_file + " must hold one JSON object");
        for (auto const& [key, value] : doc.get_object()) {
            Spec const* spec = nullptr;
            for (auto const& s : specs())
                if (json_key(s.name) == key) spec = &s;
            if (!spec) throw std::invalid_argument("config file: unknown setting \"" + std::string(key) + "\"");
            spec->set(out.options, scalar_to_string(value, std::string(key)));
        }
    }

    for (auto const& [spec, value] : flags) spec->set(out.options, value);
    return out;
}

std::map<std::string, std::string> process_environment() {
    std::map<std::string, std::string> env;
    for (char** e = environ; e && *e; ++e) {
        std::string entry(*e);
        auto eq = entry.find('=');
        if (eq != std::string::npos) env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
    }
    return env;
}

std::string help_text() {
    std::ostringstream out;
    out << "brandchat " BRANDCHAT_VERSION " - streaming multi-brand shopping assistant over WebSocket\n\n"
           "Usage: brandchat [options]\n\n"
           "Settings come from environment variables, then a JSON config file, then flags (flags win).\n"
           "In the config file, use the option name with '_' for '-' as the key: {\"port\": 8000, \"word_delay_ms\": 0}.\n\n"
           "Options:\n"
           "  --help                 show this text\n"
           "  --version              print the version\n"
           "  --config FILE          JSON config file (env BRANDCHAT_CONFIG)\n";
    for (auto const& s : specs()) {
        std::string left = "  --" + s.name + " " + s.value_name;
        if (left.size() < 40) left.resize(40, ' ');
        else left += "\n" + std::string(40, ' ');
        out << left << s.help;
        if (!s.env.empty()) {
            out << " [env ";
            for (std::size_t i = 0; i < s.env.size(); ++i) out << (i ? ", " : "") << s.env[i];
            out << "]";
        }
        out << "\n";
    }
    return out.str();
}

} // namespace brandchat
