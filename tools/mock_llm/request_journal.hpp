// The record of chat requests and their outcomes, for tests to inspect through /mock/requests and
// /mock/stats. Times are std::chrono::steady_clock milliseconds (CLOCK_MONOTONIC on Linux), the
// clock /mock/now reports. Keeps the newest `max_records` records; counters count everything.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

namespace mock_llm {

std::int64_t steady_now_ms();

enum class Outcome { running, completed, client_closed, dropped, stalled_then_client_closed, status, error_event };

struct RecordedHeaders {
    std::optional<std::string> authorization;
    std::optional<std::string> openai_organization;
    std::optional<std::string> openai_project;
    std::optional<std::string> content_type;
};

struct RequestRecord {
    std::uint64_t seq = 0;
    std::uint64_t connection = 0; // which connection it came on: the mock numbers them from 1
    std::string path;
    RecordedHeaders headers;
    boost::json::value body;   // null until the body parsed
    std::string fault;         // the effective fault spec, empty for none
    std::int64_t started_ms = 0;
    std::optional<std::int64_t> ended_ms;
    std::uint64_t tokens_sent = 0;
    Outcome outcome = Outcome::running;
    unsigned status = 200;     // the HTTP status answered (for Outcome::status, the fault's)
    bool streaming = false;

    std::string outcome_text() const;  // "completed", "status_429", ...
};

class RequestJournal {
public:
    explicit RequestJournal(std::size_t max_records);

    // Starts a record with the next seq. The caller updates tokens_sent and body as it goes.
    std::shared_ptr<RequestRecord> open(std::string path, RecordedHeaders headers);
    void mark_streaming(RequestRecord& record);
    void finish(RequestRecord& record, Outcome outcome, unsigned status = 200);
    // Forgets the records and zeroes the counters; requests still running keep counting as active.
    void reset();

    // Returns the connection's number, from 1.
    std::uint64_t connection_opened() { ++connections_active_; return ++counters_.connections; }
    void connection_closed() { --connections_active_; }

    boost::json::array records_json() const;
    boost::json::object stats_json() const;

private:
    struct Counters {
        std::uint64_t requests = 0, completed = 0, client_closed = 0, dropped = 0,
                      stalled_then_client_closed = 0, status_responses = 0, error_events = 0, connections = 0;
    };
    std::size_t max_records_;
    std::uint64_t next_seq_ = 1;
    std::deque<std::shared_ptr<RequestRecord>> records_;
    Counters counters_;
    std::uint64_t requests_active_ = 0, streams_active_ = 0, connections_active_ = 0;
};

} // namespace mock_llm
