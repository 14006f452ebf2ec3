#include "brandchat/net/metrics_page.hpp"

#include "brandchat/metrics/metrics.hpp"
#include "brandchat/net/server_context.hpp"
#include "brandchat/net/session.hpp"

#include <fstream>
#include <sstream>
#include <unistd.h>

namespace brandchat {

namespace {

// The process_* metrics Prometheus' client libraries export, from /proc/self.
void process_metrics(PrometheusText& out) {
    static long const ticks = sysconf(_SC_CLK_TCK);
    static long const page = sysconf(_SC_PAGESIZE);
    std::ifstream stat_file("/proc/self/stat");
    std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
    // Fields after the command name, which is in parentheses and may hold spaces: state is field 3.
    auto close = stat.rfind(')');
    if (close == std::string::npos || ticks <= 0) return;
    std::istringstream fields(stat.substr(close + 2));
    std::vector<std::string> f;
    for (std::string x; fields >> x;) f.push_back(x);
    if (f.size() < 22) return;
    auto field = [&](std::size_t n) { return std::stod(f[n - 3]); }; // n: the field's number in proc(5)
    double cpu = (field(14) + field(15)) / static_cast<double>(ticks);
    double rss = field(24) * static_cast<double>(page);
    std::ifstream uptime_file("/proc/uptime");
    double uptime = 0;
    uptime_file >> uptime;
    double started = static_cast<double>(std::time(nullptr)) - uptime + field(22) / static_cast<double>(ticks);

    out.family("process_cpu_seconds_total", "counter", "User and system CPU time spent, in seconds.");
    out.sample("process_cpu_seconds_total", {}, cpu);
    out.family("process_resident_memory_bytes", "gauge", "Resident memory size, in bytes.");
    out.sample("process_resident_memory_bytes", {}, rss);
    out.family("process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch, in seconds.");
    out.sample("process_start_time_seconds", {}, started);
}

} // namespace

std::string metrics_text(ServerContext const& server) {
    PrometheusText out;
    auto const& s = server.stats;

    out.family("brandchat_build_info", "gauge", "The server's version; always 1.");
    out.sample("brandchat_build_info", {{"version", BRANDCHAT_VERSION}}, std::uint64_t{1});

    std::size_t queued = 0, backlog = 0;
    for (auto const* session : server.sessions) {
        queued += session->queued_chats();
        backlog += session->backlog_bytes();
    }
    out.family("brandchat_connections_open", "gauge", "WebSocket connections open now.");
    out.sample("brandchat_connections_open", server.sessions.size());
    out.family("brandchat_connections_total", "counter", "WebSocket connections accepted since the start.");
    out.sample("brandchat_connections_total", s.connections_total);
    out.family("brandchat_connections_refused_total", "counter", "Connections refused, by reason.");
    out.sample("brandchat_connections_refused_total", {{"reason", "per_address_limit"}}, s.connections_refused);
    out.family("brandchat_queued_messages", "gauge", "Chat messages waiting behind the reply in progress on their connection.");
    out.sample("brandchat_queued_messages", queued);
    out.family("brandchat_outbox_bytes", "gauge", "Bytes waiting to be written to clients, on all connections.");
    out.sample("brandchat_outbox_bytes", backlog);

    out.family("brandchat_http_requests_total", "counter", "HTTP requests answered, by status.");
    for (auto const& [status, n] : s.http_by_status) out.sample("brandchat_http_requests_total", {{"status", status}}, n);
    out.family("brandchat_messages_received_total", "counter",
               "WebSocket messages received, by type (unknown, invalid and binary for those no handler takes).");
    for (auto const& [type, n] : s.messages_by_type) out.sample("brandchat_messages_received_total", {{"type", type}}, n);
    out.family("brandchat_errors_sent_total", "counter", "error frames sent to clients, by cause.");
    for (std::size_t i = 0; i < error_cause_count; ++i)
        out.sample("brandchat_errors_sent_total", {{"cause", error_cause_name(static_cast<ErrorCause>(i))}}, s.errors_by_cause[i]);
    out.family("brandchat_rate_limited_total", "counter", "Chat messages refused by a rate limit, by scope.");
    out.sample("brandchat_rate_limited_total", {{"scope", "connection"}}, s.rate_limited_connection);
    out.sample("brandchat_rate_limited_total", {{"scope", "address"}}, s.rate_limited_address);

    constexpr std::string_view outcomes[reply_outcome_count] = {"complete", "error", "cancelled", "client_left"};
    out.family("brandchat_replies_total", "counter", "Replies ended, by brand and outcome.");
    for (auto const& [brand, counts] : s.replies_by_brand)
        for (std::size_t i = 0; i < reply_outcome_count; ++i)
            out.sample("brandchat_replies_total", {{"brand", brand}, {"outcome", outcomes[i]}}, counts[i]);
    out.family("brandchat_chunks_sent_total", "counter", "chunk frames sent.");
    out.sample("brandchat_chunks_sent_total", s.chunks_total);
    out.family("brandchat_socket_writes_total", "counter", "Writes to client sockets (many frames go in one).");
    out.sample("brandchat_socket_writes_total", s.stream.writes);
    out.family("brandchat_sent_bytes_total", "counter", "Bytes written to client sockets.");
    out.sample("brandchat_sent_bytes_total", s.stream.bytes);

    out.family("brandchat_tokens_total", "counter", "Model tokens used, by brand and kind.");
    for (auto const& [brand, usage] : s.usage_by_brand) {
        out.sample("brandchat_tokens_total", {{"brand", brand}, {"kind", "prompt"}}, usage.prompt);
        out.sample("brandchat_tokens_total", {{"brand", brand}, {"kind", "completion"}}, usage.completion);
    }

    out.family("brandchat_upstream_request_delay_seconds", "histogram",
               "From a chat message read (or its turn, when queued) to the model's request written: the server's part.");
    out.histogram("brandchat_upstream_request_delay_seconds", {}, s.upstream_request_delay);
    out.family("brandchat_chunk_write_delay_seconds", "histogram",
               "From a reply's text arriving (a model's read, a built-in word) to the socket write of its chunk frames, per write.");
    out.histogram("brandchat_chunk_write_delay_seconds", {}, s.stream.chunk_write_delay);
    out.family("brandchat_first_chunk_added_seconds", "histogram",
               "Time to first chunk minus the model's own time to its first text: what the server added.");
    out.histogram("brandchat_first_chunk_added_seconds", {}, s.first_chunk_added);
    out.family("brandchat_reply_duration_seconds", "histogram", "From a chat message read to its reply's end.");
    out.histogram("brandchat_reply_duration_seconds", {}, s.reply_duration);

    if (server.responder) server.responder->write_metrics(out);

    out.family("brandchat_brands_active", "gauge", "Active brands.");
    out.sample("brandchat_brands_active", server.brands.active().size());
    out.family("brandchat_conversations_in_memory", "gauge", "Conversations held in memory (the store keeps them all).");
    out.sample("brandchat_conversations_in_memory", server.conversations.size());
    if (server.store) {
        auto const& c = server.store->counters();
        out.family("brandchat_store_exchanges_written_total", "counter", "Exchanges (a message and its reply) written to the store.");
        out.sample("brandchat_store_exchanges_written_total", c.exchanges_written);
        out.family("brandchat_store_commits_total", "counter", "Store transactions committed.");
        out.sample("brandchat_store_commits_total", c.commits);
        out.family("brandchat_store_write_errors_total", "counter", "Exchanges the store could not write.");
        out.sample("brandchat_store_write_errors_total", c.write_errors);
        out.family("brandchat_store_conversations_loaded_total", "counter", "Conversations read back from the store.");
        out.sample("brandchat_store_conversations_loaded_total", c.conversations_loaded);
        out.family("brandchat_store_conversations_expired_total", "counter", "Conversations the store deleted as expired.");
        out.sample("brandchat_store_conversations_expired_total", c.conversations_expired);
    }
    process_metrics(out);
    return out.take();
}

} // namespace brandchat
