// Unit tests of the mock's pure parts: fault specs, reply tokens, wire text, plans, request
// parsing, the journal, the control endpoints and the command line. No sockets.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include "chat_request.hpp"
#include "completion_plan.hpp"
#include "completion_wire.hpp"
#include "control_api.hpp"
#include "fault_queue.hpp"
#include "fault_spec.hpp"
#include "options.hpp"
#include "reply_text.hpp"
#include "request_journal.hpp"

#include <boost/json/parse.hpp>
#include <doctest/doctest.h>

#include <string>

using namespace mock_llm;
namespace json = boost::json;

TEST_CASE("fault spec: keys, flags, last key wins") {
    auto parsed = parse_fault_spec(" status=429 , retry_after=2,retry_after_ms=1500,crlf=1,status=503");
    REQUIRE(parsed.error.empty());
    CHECK(parsed.plan.status == 503u);
    CHECK(parsed.plan.retry_after_s == 2u);
    CHECK(parsed.plan.retry_after_ms == 1500u);
    CHECK(parsed.plan.crlf);
    CHECK_FALSE(parsed.plan.multiline);
    CHECK_FALSE(parsed.plan.drop_after);

    auto all = parse_fault_spec("drop_after=1,stall_after=2,first_byte_ms=3,first_token_ms=4,token_delay_ms=5,"
                                "tokens=6,error_event_after=7,error_object_after=8,comments=1,multiline=1");
    REQUIRE(all.error.empty());
    CHECK(all.plan.drop_after == 1u);
    CHECK(all.plan.stall_after == 2u);
    CHECK(all.plan.first_byte_ms == 3u);
    CHECK(all.plan.first_token_ms == 4u);
    CHECK(all.plan.token_delay_ms == 5u);
    CHECK(all.plan.tokens == 6u);
    CHECK(all.plan.error_event_after == 7u);
    CHECK(all.plan.error_object_after == 8u);
    CHECK(all.plan.comments);
    CHECK(all.plan.multiline);
    CHECK(parse_fault_spec("").error.empty());
}

TEST_CASE("fault spec: errors name the problem") {
    CHECK(parse_fault_spec("bogus=1").error.find("unknown fault key 'bogus'") != std::string::npos);
    CHECK(parse_fault_spec("status").error.find("not key=value") != std::string::npos);
    CHECK(parse_fault_spec("tokens=-1").error.find("non-negative integer") != std::string::npos);
    CHECK(parse_fault_spec("tokens=5x").error.find("non-negative integer") != std::string::npos);
    CHECK(parse_fault_spec("status=200").error.find("between 400 and 599") != std::string::npos);
    CHECK(parse_fault_spec("crlf=maybe").error.find("1 or 0") != std::string::npos);
}

TEST_CASE("fault marker and joining") {
    CHECK(find_fault_marker("hi [[mock:status=429,retry_after=1]] there") == "status=429,retry_after=1");
    CHECK(find_fault_marker("hi [[mock:status=429") == "");
    CHECK(find_fault_marker("no marker") == "");
    CHECK(join_fault_specs({"", "status=429", " ", "status=500"}) == "status=429,status=500");
    CHECK(parse_fault_spec(join_fault_specs({"status=429,retry_after=1", "status=500"})).plan.status == 500u);
}

TEST_CASE("reply tokens: words with leading whitespace, repeating") {
    ReplyTokens reply("  Halo kak!\nHarga Rp 19.999.000 ya.  ");
    CHECK(reply.token(0) == "Halo");
    CHECK(reply.token(1) == " kak!");
    CHECK(reply.token(2) == "\nHarga");
    CHECK(reply.escaped_token(2) == "\\nHarga");
    CHECK(reply.token(5) == " ya.");
    CHECK(reply.token(6) == " Halo");
    CHECK(reply.text(7) == "Halo kak!\nHarga Rp 19.999.000 ya. Halo");
    CHECK_THROWS(ReplyTokens(" \n "));
}

TEST_CASE("default passage: the cases sentence splitters trip on, within 40 tokens") {
    ReplyTokens reply(default_passage);
    auto text = reply.text(40);
    CHECK(text.find("Rp 19.999.000") != std::string::npos);
    CHECK(text.find("e.g.") != std::string::npos);
    CHECK(text.find("2.5") != std::string::npos);
    CHECK(text.back() == '.');
}

TEST_CASE("chunk events: OpenAI's shapes") {
    ChunkEvents events("chatcmpl-mock-7", 1700000000, "gpt-\"x\"", {});
    std::string out;
    events.append_token(out, " word");
    CHECK(out == R"(data: {"id":"chatcmpl-mock-7","object":"chat.completion.chunk","created":1700000000,)"
                 R"("model":"gpt-\"x\"","choices":[{"index":0,"delta":{"content":" word"},"finish_reason":null}]})"
                 "\n\n");
    out.clear();
    events.append_usage(out, {3, 4});
    CHECK(out.find(R"("choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}})") !=
          std::string::npos);
    out.clear();
    events.append_done(out);
    CHECK(out == "data: [DONE]\n\n");
    out.clear();
    events.append_error_event(out);
    CHECK(out == "event: error\ndata: {\"error\":{\"message\":\"mock failure\"}}\n\n");
    out.clear();
    events.append_error_object(out);
    CHECK(out == "data: {\"error\":{\"message\":\"mock failure\",\"type\":\"server_error\"}}\n\n");
}

TEST_CASE("stamped tokens: when written and when due, in microseconds") {
    CHECK(stamped_token(1234567890123, 1234567889000) == " @1234567890123:1234567889000");
    CHECK(stamped_token(0, 0) == " @0:0");
}

TEST_CASE("chunk events: crlf, comments, multiline") {
    ChunkEvents events("id", 1, "m", SseStyle{true, true, true});
    std::string out;
    events.append_error_event(out);
    CHECK(out == ": keep-alive\r\n\r\nevent: error\r\ndata: {\"error\":\r\ndata: {\"message\":\"mock failure\"}}\r\n\r\n");
    out.clear();
    events.append_token(out, "a,b");
    CHECK(out.starts_with(": keep-alive\r\n\r\ndata: {\"id\":\"id\",\r\ndata: \"object\""));
    out.clear();
    events.append_done(out);
    CHECK(out == ": keep-alive\r\n\r\ndata: [DONE]\r\n\r\n");
}

TEST_CASE("json split point skips strings") {
    CHECK(json_split_point(R"({"a,b":1,"c":2})") == 9);
    CHECK(json_split_point(R"({"a\",":{"b":1}})") == 8);
    CHECK(json_split_point("[DONE]") == std::string_view::npos);
}

TEST_CASE("completion plan") {
    PacingDefaults defaults{40, 20, 0};
    ChatRequest request;
    auto plain = make_completion_plan(defaults, request, {});
    CHECK(plain.tokens == 40);
    CHECK(plain.finish_reason == "stop");
    CHECK(plain.token_delay_ms == 20);
    CHECK(plain.interruption == Interruption::none);

    request.max_tokens = 5;
    FaultPlan fault = parse_fault_spec("stall_after=3,drop_after=3,error_event_after=1,tokens=10").plan;
    auto plan = make_completion_plan(defaults, request, fault);
    CHECK(plan.tokens == 5);
    CHECK(plan.finish_reason == "length");
    CHECK(plan.interruption == Interruption::error_event);
    CHECK(plan.interrupt_after == 1);

    auto tie = make_completion_plan(defaults, request, parse_fault_spec("stall_after=3,drop_after=3").plan);
    CHECK(tie.interruption == Interruption::drop);
    auto beyond = make_completion_plan(defaults, request, parse_fault_spec("drop_after=6").plan);
    CHECK(beyond.interruption == Interruption::none);
    auto at_end = make_completion_plan(defaults, request, parse_fault_spec("drop_after=5").plan);
    CHECK(at_end.interruption == Interruption::drop);
}

TEST_CASE("chat request") {
    auto body = json::parse(R"({"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},
        "max_tokens":12,"messages":[{"role":"system","content":"Be brief."},
        {"role":"user","content":"first [[mock:status=500]]"},{"role":"assistant","content":"ok"},
        {"role":"user","content":[{"type":"text","text":"second"},{"type":"image_url"}]}]})");
    auto parsed = read_chat_request(body);
    REQUIRE(parsed.error.empty());
    CHECK(parsed.request.model == "gpt-4o");
    CHECK(parsed.request.stream);
    CHECK(parsed.request.include_usage);
    CHECK(parsed.request.max_tokens == 12u);
    CHECK(parsed.request.last_user_text == "second");
    CHECK(parsed.request.prompt_tokens == 6);

    auto minimal = read_chat_request(json::parse(R"({"messages":[]})"));
    CHECK(minimal.error.empty());
    CHECK(minimal.request.model == "mock-llm");
    CHECK_FALSE(minimal.request.stream);
    CHECK_FALSE(read_chat_request(json::parse("[]")).error.empty());
    CHECK_FALSE(read_chat_request(json::parse(R"({"model":"x"})")).error.empty());
    CHECK_FALSE(read_chat_request(json::parse(R"({"messages":[1]})")).error.empty());
}

TEST_CASE("error bodies") {
    auto body = json::parse(error_body("slow down", "requests", "rate_limit_exceeded"));
    CHECK(body.at("error").at("message") == "slow down");
    CHECK(body.at("error").at("code") == "rate_limit_exceeded");
    CHECK(json::parse(error_body("x", "server_error")).at("error").at("code").is_null());
    CHECK(error_kind_for_status(429).code == std::optional<std::string_view>("rate_limit_exceeded"));
    CHECK(error_kind_for_status(502).type == "server_error");
}

TEST_CASE("fault queue: first queued first used") {
    FaultQueue queue;
    queue.push("status=500", 2);
    queue.push("status=429", 1);
    queue.push("ignored", 0);
    CHECK(queue.take() == "status=500");
    CHECK(queue.take() == "status=500");
    CHECK(queue.take() == "status=429");
    CHECK(queue.take() == "");
}

TEST_CASE("journal: records, outcomes, counters, cap") {
    RequestJournal journal(2);
    auto a = journal.open("/v1/chat/completions", {});
    journal.mark_streaming(*a);
    auto b = journal.open("/chat/completions", {std::string("Bearer k"), {}, {}, {}});
    auto c = journal.open("/chat/completions", {});
    CHECK(journal.stats_json().at("streams_active") == 1);
    journal.finish(*a, Outcome::client_closed);
    journal.finish(*b, Outcome::status, 429);
    journal.finish(*b, Outcome::completed);  // only the first finish counts
    auto records = journal.records_json();
    REQUIRE(records.size() == 2);
    CHECK(records[0].at("seq") == 2);
    CHECK(records[0].at("outcome") == "status_429");
    CHECK(records[0].at("headers").at("authorization") == "Bearer k");
    CHECK(records[1].at("outcome") == "running");
    CHECK(records[1].at("ended_ms").is_null());
    auto stats = journal.stats_json();
    CHECK(stats.at("requests") == 3);
    CHECK(stats.at("streams_active") == 0);
    CHECK(stats.at("requests_active") == 1);
    CHECK(stats.at("client_closed") == 1);
    journal.reset();
    CHECK(journal.records_json().empty());
    CHECK(journal.open("/x", {})->seq == 1);
    (void)c;
}

TEST_CASE("control endpoints") {
    MockState state{Settings{}};
    CHECK_FALSE(handle_control_request("GET", "/v1/models", "", state));
    CHECK(json::parse(handle_control_request("GET", "/mock/now", "", state)->body).at("now_ms").is_int64());
    CHECK(handle_control_request("POST", "/mock/faults", R"({"spec":"status=429","count":2})", state)->status == 200);
    CHECK(handle_control_request("POST", "/mock/faults", R"({"spec":"nope=1"})", state)->status == 400);
    CHECK(handle_control_request("POST", "/mock/faults", "not json", state)->status == 400);
    CHECK(state.faults.take() == "status=429");
    CHECK(handle_control_request("GET", "/mock/reset", "", state)->status == 405);
    CHECK(handle_control_request("POST", "/mock/reset", "", state)->status == 200);
    CHECK(state.faults.take() == "");
    CHECK(json::parse(handle_control_request("GET", "/mock/stats", "", state)->body).at("requests") == 0);
    CHECK(handle_control_request("GET", "/mock/requests", "", state)->body == "[]");
}

TEST_CASE("command line") {
    auto cl = parse_command_line({"--host", "0.0.0.0", "--port=0", "--tokens", "7", "--token-delay-ms", "0",
                                  "--first-token-ms", "5", "--reply-text", "Hi there", "--fault", "status=429",
                                  "--quiet", "--max-records", "3", "--stamp-tokens"});
    REQUIRE(cl.error.empty());
    CHECK(cl.settings.host == "0.0.0.0");
    CHECK(cl.settings.port == 0);
    CHECK(cl.settings.tokens == 7);
    CHECK(cl.settings.token_delay_ms == 0);
    CHECK(cl.settings.first_token_ms == 5);
    CHECK(cl.settings.reply_text == "Hi there");
    CHECK(cl.settings.fault == "status=429");
    CHECK(cl.settings.quiet);
    CHECK(cl.settings.stamp_tokens);
    CHECK(!parse_command_line({}).settings.stamp_tokens);
    CHECK(cl.settings.max_records == 3);

    CHECK(parse_command_line({"--help"}).help);
    CHECK(parse_command_line({"--bogus"}).error.find("unknown option") != std::string::npos);
    CHECK(parse_command_line({"--port"}).error.find("needs a value") != std::string::npos);
    CHECK(parse_command_line({"--port", "70000"}).error.find("non-negative integer") != std::string::npos);
    CHECK(parse_command_line({"--tls-cert", "c.pem"}).error.find("go together") != std::string::npos);
    CHECK(parse_command_line({"--reply-text", " "}).error.find("at least one word") != std::string::npos);
    CHECK(parse_command_line({"--fault", "x=1"}).error.find("--fault") != std::string::npos);
    CHECK(help_text().find("--token-delay-ms") != std::string::npos);
}
