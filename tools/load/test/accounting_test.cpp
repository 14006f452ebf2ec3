#include "load_accounting.hpp"

#include <doctest/doctest.h>

using namespace brandchat_load;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view chunk = R"({"type":"chunk","data":{"content":"a","is_final":false,"conversation_id":"conv-1"}})";
constexpr std::string_view complete = R"({"type":"complete","data":{"content":"","is_final":true,"conversation_id":"conv-1"}})";
constexpr std::string_view rate_error = R"({"type":"error","data":{"message":"Rate limit exceeded: at most 10 per 60 seconds"}})";
constexpr std::string_view pong = R"({"type":"pong","data":{"timestamp":"t"}})";

Progress feed(Accounting& a, ReplyState& r, std::string_view frame, Clock::time_point at) {
    return a.chat_frame_received(r, classify_frame(frame), frame, at);
}

} // namespace

TEST_CASE("a streamed reply: first chunk, gaps and complete are timed from the send") {
    Accounting a;
    ReplyState r;
    auto t0 = Clock::time_point{} + 1h;
    a.chat_sent(r, t0);
    CHECK(feed(a, r, chunk, t0 + 40ms) == Progress::waiting);
    CHECK(feed(a, r, chunk, t0 + 50ms) == Progress::waiting);
    CHECK(feed(a, r, chunk, t0 + 70ms) == Progress::waiting);
    CHECK(feed(a, r, complete, t0 + 71ms) == Progress::done);

    auto const& s = a.stats();
    CHECK(s.requests == 1);
    CHECK(s.replies == 1);
    CHECK(s.chunks == 3);
    CHECK(s.first_chunk_us.count() == 1);
    CHECK(s.first_chunk_us.max() == 40000);
    CHECK(s.chunk_gap_us.count() == 2);
    CHECK(s.chunk_gap_us.min() == 10000);
    CHECK(s.chunk_gap_us.max() == 20000);
    CHECK(s.complete_us.max() == 71000);
    CHECK(s.chunk_gap_server_added_us.count() == 0);  // no --expect-delay-ms
}

TEST_CASE("with an expected upstream delay, the server-added gap is the rest, never negative") {
    Accounting a(12.0);
    ReplyState r;
    auto t0 = Clock::time_point{} + 1h;
    a.chat_sent(r, t0);
    feed(a, r, chunk, t0 + 5ms);
    feed(a, r, chunk, t0 + 20ms);  // gap 15 ms → 3 ms added
    feed(a, r, chunk, t0 + 21ms);  // gap 1 ms (batched) → 0
    feed(a, r, complete, t0 + 22ms);
    auto const& s = a.stats();
    CHECK(s.chunk_gap_server_added_us.count() == 2);
    CHECK(s.chunk_gap_server_added_us.max() == 3000);
    CHECK(s.chunk_gap_server_added_us.min() == 0);
}

TEST_CASE("an error frame ends the request and is counted under its prefix") {
    Accounting a;
    ReplyState r;
    auto t0 = Clock::time_point{} + 1h;
    a.chat_sent(r, t0);
    CHECK(feed(a, r, rate_error, t0 + 1ms) == Progress::failed);
    a.chat_sent(r, t0 + 2ms);
    CHECK(feed(a, r, R"({"type":"error","data":{"message":"Rate limit exceeded: at most 300 per 60 seconds"}})", t0 + 3ms) ==
          Progress::failed);
    auto const& s = a.stats();
    CHECK(s.requests == 2);
    CHECK(s.replies == 0);
    CHECK(s.reply_errors == 2);
    CHECK(s.server_errors.at("Rate limit exceeded") == 2);
    CHECK(s.complete_us.count() == 0);
}

TEST_CASE("frames that nobody waits for are counted, not timed") {
    Accounting a;
    ReplyState r;
    auto t0 = Clock::time_point{} + 1h;
    CHECK(feed(a, r, chunk, t0) == Progress::waiting);  // no request in flight
    a.chat_sent(r, t0);
    CHECK(feed(a, r, pong, t0 + 1ms) == Progress::waiting);
    CHECK(feed(a, r, "garbage", t0 + 1ms) == Progress::waiting);
    CHECK(feed(a, r, complete, t0 + 2ms) == Progress::done);
    auto const& s = a.stats();
    CHECK(s.chunks == 0);
    CHECK(s.unexpected_frames.at("chunk") == 1);
    CHECK(s.unexpected_frames.at("pong") == 1);
    CHECK(s.unexpected_frames.at("malformed") == 1);
    CHECK(s.replies == 1);
    CHECK(s.replies_without_chunks == 1);
}

TEST_CASE("a reply cut by the end of the run is counted once as unfinished") {
    Accounting a;
    ReplyState r;
    auto t0 = Clock::time_point{} + 1h;
    a.chat_sent(r, t0);
    feed(a, r, chunk, t0 + 1ms);
    a.chat_interrupted(r);
    a.chat_interrupted(r);
    CHECK(a.stats().in_flight_at_stop == 1);
    CHECK(a.stats().replies == 0);
    ReplyState finished;
    a.chat_sent(finished, t0);
    feed(a, finished, complete, t0 + 1ms);
    a.chat_interrupted(finished);
    CHECK(a.stats().in_flight_at_stop == 1);
}

TEST_CASE("a reply cut by a dropped connection is counted as lost") {
    Accounting a;
    ReplyState r;
    auto t0 = Clock::time_point{} + 1h;
    a.chat_sent(r, t0);
    a.chat_lost(r);
    a.chat_interrupted(r);
    CHECK(a.stats().lost_with_connection == 1);
    CHECK(a.stats().in_flight_at_stop == 0);
}

TEST_CASE("stamped tokens: the upstream's lateness and each token's transit, one count per token") {
    Accounting a(20.0);
    ReplyState r;
    auto t0 = Clock::time_point{} + 1h;  // 3,600,000,000 us on the monotonic clock
    a.chat_sent(r, t0);
    // written 300 us after falling due, read 150 us after being written
    a.chat_frame_received(r, FrameKind::chunk, R"({"type":"chunk","data":{"content":" @3599999850:3599999550"}})", t0);
    // two merged tokens, read 1 ms and 0.2 ms after being written; the second written on time
    a.chat_frame_received(r, FrameKind::chunk, R"({"type":"chunk","data":{"content":" @3600019000:3600019000 @3600019800:3600019900"}})",
                          t0 + 20ms);
    // a plain word: counted as a chunk, not timed
    a.chat_frame_received(r, FrameKind::chunk, R"({"type":"chunk","data":{"content":" word"}})", t0 + 40ms);
    auto const& s = a.stats();
    CHECK(s.chunks == 3);
    CHECK(s.transit_us.count() == 3);
    CHECK(s.transit_us.min() == 150);
    CHECK(s.transit_us.max() == 1000);
    CHECK(s.upstream_late_us.count() == 3);
    CHECK(s.upstream_late_us.max() == 300);
    CHECK(s.upstream_late_us.min() == 0);
    CHECK(s.to_upstream_us.count() == 0);  // no --expect-first-token-ms
}

TEST_CASE("stamped tokens: the way to the upstream, once per reply, from the first token's due time") {
    Accounting a(20.0, 50.0);
    ReplyState r;
    auto t0 = Clock::time_point{} + 1h;
    a.chat_sent(r, t0);
    // due 50.4 ms after the send: the upstream began its 50 ms pause 400 us after it
    a.chat_frame_received(r, FrameKind::chunk, R"({"type":"chunk","data":{"content":" @3600050500:3600050400"}})", t0 + 51ms);
    a.chat_frame_received(r, FrameKind::chunk, R"({"type":"chunk","data":{"content":" @3600070500:3600070400"}})", t0 + 71ms);
    a.chat_frame_received(r, FrameKind::complete, "{}", t0 + 72ms);
    a.chat_sent(r, t0 + 100ms);
    // due before send + pause (clocks a hair apart): 0, not negative
    a.chat_frame_received(r, FrameKind::chunk, R"({"type":"chunk","data":{"content":" @3600149000:3600149000"}})", t0 + 150ms);
    auto const& s = a.stats();
    CHECK(s.to_upstream_us.count() == 2);
    CHECK(s.to_upstream_us.max() == 400);
    CHECK(s.to_upstream_us.min() == 0);
    CHECK(s.transit_us.count() == 3);
}

TEST_CASE("a wake-up is timed from when its timer fell due, never below 0") {
    Accounting a;
    auto due = Clock::time_point{} + 1h;
    a.wakeup_measured(due, due + 40us);
    a.wakeup_measured(due, due + 2500us);
    a.wakeup_measured(due, due - 1us);  // a clock read before the due time: on time
    auto const& h = a.stats().wakeup_late_us;
    CHECK(h.count() == 3);
    CHECK(h.min() == 0);
    CHECK(h.max() == 2500);
    CHECK(a.stats().frames_received == 0);
}

TEST_CASE("pings are timed to their pong") {
    Accounting a;
    PingState p;
    auto t0 = Clock::time_point{} + 1h;
    a.ping_sent(p, t0);
    CHECK(a.ping_frame_received(p, FrameKind::chunk, chunk, t0 + 1ms) == Progress::waiting);
    CHECK(a.ping_frame_received(p, FrameKind::pong, pong, t0 + 2500us) == Progress::done);
    CHECK(a.stats().pings == 1);
    CHECK(a.stats().pongs == 1);
    CHECK(a.stats().ping_rtt_us.max() == 2500);
    CHECK(a.ping_frame_received(p, FrameKind::pong, pong, t0 + 3ms) == Progress::waiting);  // not awaited
    CHECK(a.stats().pongs == 1);
    CHECK(a.stats().unexpected_frames.at("pong") == 1);
}

TEST_CASE("connections: opened, failed by kind, dropped, aborted") {
    Accounting a;
    a.connection_attempted();
    a.connection_attempted();
    a.connection_attempted();
    a.connection_opened(1ms, 3ms);
    a.connection_failed("connect: Connection refused");
    a.connection_failed("connect: Connection refused");
    a.connection_dropped("read: the server closed the connection");
    a.connection_aborted_at_stop();
    a.frame_received(100);
    a.frame_sent(40);
    auto const& s = a.stats();
    CHECK(s.attempted == 3);
    CHECK(s.opened == 1);
    CHECK(s.failed == 2);
    CHECK(s.failures.at("connect: Connection refused") == 2);
    CHECK(s.dropped == 1);
    CHECK(s.aborted_at_stop == 1);
    CHECK(s.connect_us.max() == 1000);
    CHECK(s.welcome_us.max() == 3000);
    CHECK(s.bytes_received == 100);
    CHECK(s.bytes_sent == 40);
}

TEST_CASE("with an expected first-token delay, the server-added time to first chunk is the rest, never negative") {
    Accounting a(20.0, 50.0);
    ReplyState r;
    auto t0 = Clock::time_point{} + 1h;
    a.chat_sent(r, t0);
    feed(a, r, chunk, t0 + 52ms);  // 2 ms added
    feed(a, r, chunk, t0 + 73ms);  // a gap, not a first chunk
    feed(a, r, complete, t0 + 74ms);
    a.chat_sent(r, t0 + 100ms);
    feed(a, r, chunk, t0 + 149ms);  // earlier than told: 0
    auto const& s = a.stats();
    CHECK(s.first_chunk_us.count() == 2);
    CHECK(s.first_chunk_server_added_us.count() == 2);
    CHECK(s.first_chunk_server_added_us.max() == 2000);
    CHECK(s.first_chunk_server_added_us.min() == 0);
    CHECK(s.chunk_gap_server_added_us.max() == 1000);
    Accounting plain;
    ReplyState p;
    plain.chat_sent(p, t0);
    feed(plain, p, chunk, t0 + 5ms);
    CHECK(plain.stats().first_chunk_server_added_us.count() == 0);
}

TEST_CASE("a cancellation ends the request once and records its times on the monotonic clock") {
    Accounting a;
    ReplyState r;
    auto t0 = Clock::time_point{} + 1h;  // 3,600,000 ms since the clock's epoch
    a.chat_sent(r, t0);
    feed(a, r, chunk, t0 + 30ms);
    a.cancel_closed(r, cancel_tag(7), t0 + 30ms + 250us);
    a.cancel_closed(r, cancel_tag(8), t0 + 31ms);  // no longer awaited: ignored
    a.chat_interrupted(r);                         // nor unfinished at stop
    auto const& s = a.stats();
    CHECK(s.cancellations == 1);
    CHECK(s.in_flight_at_stop == 0);
    CHECK(s.replies == 0);
    CHECK(s.first_chunk_us.max() == 30000);
    REQUIRE(s.cancels.size() == 1);
    CHECK(s.cancels[0].tag == "cancel-7");
    CHECK(s.cancels[0].sent_ms == doctest::Approx(3'600'000.0));
    CHECK(s.cancels[0].first_chunk_ms == doctest::Approx(3'600'030.0));
    CHECK(s.cancels[0].closed_ms == doctest::Approx(3'600'030.25));
}

TEST_CASE("cancel tags ride in the chat message") {
    CHECK(cancel_tag(12) == "cancel-12");
    CHECK(tagged_message("I need a laptop", cancel_tag(3)) == "I need a laptop [ref cancel-3]");
    CHECK(steady_ms(Clock::time_point{} + 1500us) == doctest::Approx(1.5));
}
