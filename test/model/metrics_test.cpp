// GET /metrics against a server whose model is the bundled mock: the page is valid for
// Prometheus (promtool, from Debian's prometheus package), and its counters and histograms say
// what happened, with the model's own time taken out of what the server adds.
#include <doctest/doctest.h>

#include "mock_model.hpp"
#include "test_server.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

using namespace brandchat;
using namespace brandchat::test;

namespace {

// Each sample line of the page, "name{labels}" as written, to its value.
std::map<std::string, double> samples(std::string const& page) {
    std::map<std::string, double> out;
    std::istringstream lines(page);
    for (std::string line; std::getline(lines, line);) {
        if (line.empty() || line[0] == '#') continue;
        auto space = line.rfind(' ');
        REQUIRE(space != std::string::npos);
        out[line.substr(0, space)] = std::stod(line.substr(space + 1));
    }
    return out;
}

double at(std::map<std::string, double> const& m, std::string const& key) {
    auto it = m.find(key);
    INFO("sample: ", key);
    REQUIRE(it != m.end());
    return it->second;
}

// promtool's verdict on the page: its exit status, and what it printed.
std::pair<int, std::string> promtool_check(std::string const& page) {
    auto dir = std::filesystem::temp_directory_path();
    auto in = dir / ("brandchat-metrics-" + std::to_string(getpid()) + ".txt");
    auto out = dir / ("brandchat-promtool-" + std::to_string(getpid()) + ".txt");
    std::ofstream(in) << page;
    std::string command = "promtool check metrics < '" + in.string() + "' > '" + out.string() + "' 2>&1";
    int status = std::system(command.c_str());
    std::ifstream printed(out);
    std::string said((std::istreambuf_iterator<char>(printed)), std::istreambuf_iterator<char>());
    std::filesystem::remove(in);
    std::filesystem::remove(out);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, said};
}

} // namespace

TEST_CASE("GET /metrics: valid for promtool; chats, errors, the model's requests and the server's own latency") {
    REQUIRE_MESSAGE(std::system("command -v promtool > /dev/null") == 0,
                    "promtool is missing: tools/setup-packages --with-browser installs Debian's prometheus package");
    // The model waits 150 ms before its first token: time the server must not count as its own.
    MockModel mock("--token-delay-ms 1 --first-token-ms 150");
    http_get(mock.port(), "/mock/faults", "POST", "", nullptr, R"({"spec":"status=503","count":1})");
    auto options = model_options("http://127.0.0.1:" + std::to_string(mock.port()) + "/v1");
    TestServer server(options);

    auto idle_answer = http_call(server.port(), "GET", "/metrics");
    CHECK(idle_answer.status == 200);
    CHECK(idle_answer.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
    auto const& idle = idle_answer.body;
    auto [idle_verdict, idle_said] = promtool_check(idle);
    INFO("promtool: ", idle_said);
    CHECK(idle_verdict == 0);

    WsClient c(server.port(), "/ws/chat/techpro");
    c.read(); // welcome
    c.chat("I need a laptop for business work");
    auto first = c.read_reply(); // the 503 is retried
    REQUIRE(first.complete.type == "complete");
    c.chat("and a cheaper one?", first.conversation_id);
    auto second = c.read_reply();
    REQUIRE(second.complete.type == "complete");
    c.send_text(R"({"type":"dance","data":{}})");
    CHECK(c.read().type == "error");
    c.send_text("not json");
    CHECK(c.read().type == "error");
    c.send_text(R"({"type":"ping","data":{}})");
    CHECK(c.read().type == "pong");

    auto answer = http_call(server.port(), "GET", "/metrics");
    CHECK(answer.status == 200);
    auto const& page = answer.body;
    auto [verdict, said] = promtool_check(page);
    INFO("promtool: ", said);
    CHECK(verdict == 0);
    auto m = samples(page);

    CHECK(at(m, "brandchat_connections_open") == 1);
    CHECK(at(m, "brandchat_connections_total") == 1);
    CHECK(at(m, R"(brandchat_messages_received_total{type="chat"})") == 2);
    CHECK(at(m, R"(brandchat_messages_received_total{type="ping"})") == 1);
    CHECK(at(m, R"(brandchat_messages_received_total{type="unknown"})") == 1);
    CHECK(at(m, R"(brandchat_messages_received_total{type="invalid"})") == 1);
    CHECK(at(m, R"(brandchat_errors_sent_total{cause="unknown_type"})") == 1);
    CHECK(at(m, R"(brandchat_errors_sent_total{cause="invalid_message"})") == 1);
    CHECK(at(m, R"(brandchat_errors_sent_total{cause="reply_failed"})") == 0);
    CHECK(at(m, R"(brandchat_replies_total{brand="techpro",outcome="complete"})") == 2);
    CHECK(at(m, R"(brandchat_replies_total{brand="techpro",outcome="error"})") == 0);
    CHECK(at(m, "brandchat_chunks_sent_total") == static_cast<double>(first.chunks + second.chunks));
    CHECK(at(m, "brandchat_sent_bytes_total") > 0);
    CHECK(at(m, "brandchat_socket_writes_total") >= 1);
    CHECK(at(m, R"(brandchat_tokens_total{brand="techpro",kind="completion"})") > 0);
    CHECK(at(m, R"(brandchat_upstream_requests_total{status="503"})") == 1);
    CHECK(at(m, R"(brandchat_upstream_requests_total{status="200"})") == 2);
    CHECK(at(m, "brandchat_upstream_retries_total") == 1);
    CHECK(at(m, "brandchat_upstream_connect_seconds_count") >= 1); // the first reply found no kept connection
    CHECK(at(m, "brandchat_outbox_bytes") == 0);
    CHECK(at(m, "brandchat_queued_messages") == 0);
    CHECK(at(m, "process_resident_memory_bytes") > 1e6);

    // Both replies were timed; the first one's retry waited about half a second before its
    // request was written, which is counted (it is not the model's time to first text).
    CHECK(at(m, "brandchat_upstream_request_delay_seconds_count") == 2);
    CHECK(at(m, R"(brandchat_upstream_request_delay_seconds_bucket{le="+Inf"})") == 2);
    CHECK(at(m, "brandchat_upstream_request_delay_seconds_sum") > 0.2);
    CHECK(at(m, R"(brandchat_upstream_request_delay_seconds_bucket{le="0.1"})") == 1); // the second, without a retry
    CHECK(at(m, "brandchat_first_chunk_added_seconds_count") == 2);
    CHECK(at(m, "brandchat_reply_duration_seconds_count") == 2);
    CHECK(at(m, "brandchat_chunk_write_delay_seconds_count") >= 2);
    // The second reply's first chunk came 150 ms after its request, all of it the model's:
    // what the server added is far less. (The first reply's includes its retry's wait.)
    double added = at(m, "brandchat_first_chunk_added_seconds_sum");
    double request_delay = at(m, "brandchat_upstream_request_delay_seconds_sum");
    CHECK(added >= request_delay);
    CHECK(added - request_delay < 0.1);
    CHECK(at(m, R"(brandchat_chunk_write_delay_seconds_bucket{le="0.1"})") == at(m, "brandchat_chunk_write_delay_seconds_count"));
    CHECK(at(m, "brandchat_reply_duration_seconds_sum") > 0.3); // two replies, each waiting 150 ms for the model

    // Not a WebSocket or API path: HEAD and GET only, like /health.
    CHECK(http_call(server.port(), "POST", "/metrics").status == 405);
}
