#include "request_journal.hpp"

#include <chrono>

namespace mock_llm {
namespace json = boost::json;

std::int64_t steady_now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

std::string RequestRecord::outcome_text() const {
    switch (outcome) {
    case Outcome::running: return "running";
    case Outcome::completed: return "completed";
    case Outcome::client_closed: return "client_closed";
    case Outcome::dropped: return "dropped";
    case Outcome::stalled_then_client_closed: return "stalled_then_client_closed";
    case Outcome::status: return "status_" + std::to_string(status);
    case Outcome::error_event: return "error_event";
    }
    return "unknown";
}

RequestJournal::RequestJournal(std::size_t max_records) : max_records_(max_records) {}

std::shared_ptr<RequestRecord> RequestJournal::open(std::string path, RecordedHeaders headers) {
    auto record = std::make_shared<RequestRecord>();
    record->seq = next_seq_++;
    record->path = std::move(path);
    record->headers = std::move(headers);
    record->started_ms = steady_now_ms();
    ++counters_.requests;
    ++requests_active_;
    if (max_records_ > 0) {
        records_.push_back(record);
        if (records_.size() > max_records_) records_.pop_front();
    }
    return record;
}

void RequestJournal::mark_streaming(RequestRecord& record) {
    if (record.streaming) return;
    record.streaming = true;
    ++streams_active_;
}

void RequestJournal::finish(RequestRecord& record, Outcome outcome, unsigned status) {
    if (record.outcome != Outcome::running) return;
    record.outcome = outcome;
    record.status = status;
    record.ended_ms = steady_now_ms();
    --requests_active_;
    if (record.streaming) --streams_active_;
    switch (outcome) {
    case Outcome::completed: ++counters_.completed; break;
    case Outcome::client_closed: ++counters_.client_closed; break;
    case Outcome::dropped: ++counters_.dropped; break;
    case Outcome::stalled_then_client_closed: ++counters_.stalled_then_client_closed; break;
    case Outcome::status: ++counters_.status_responses; break;
    case Outcome::error_event: ++counters_.error_events; break;
    case Outcome::running: break;
    }
}

void RequestJournal::reset() {
    records_.clear();
    counters_ = Counters{};
    next_seq_ = 1;
}

namespace {

json::value optional_text(const std::optional<std::string>& text) {
    return text ? json::value(*text) : json::value(nullptr);
}

json::object record_json(const RequestRecord& r) {
    json::object headers{{"authorization", optional_text(r.headers.authorization)},
                         {"openai-organization", optional_text(r.headers.openai_organization)},
                         {"openai-project", optional_text(r.headers.openai_project)},
                         {"content-type", optional_text(r.headers.content_type)}};
    return json::object{{"seq", r.seq},
                        {"connection", r.connection},
                        {"path", r.path},
                        {"headers", std::move(headers)},
                        {"body", r.body},
                        {"fault", r.fault},
                        {"started_ms", r.started_ms},
                        {"ended_ms", r.ended_ms ? json::value(*r.ended_ms) : json::value(nullptr)},
                        {"tokens_sent", r.tokens_sent},
                        {"outcome", r.outcome_text()}};
}

} // namespace

json::array RequestJournal::records_json() const {
    json::array out;
    out.reserve(records_.size());
    for (auto const& r : records_) out.push_back(record_json(*r));
    return out;
}

json::object RequestJournal::stats_json() const {
    return json::object{{"requests", counters_.requests},
                        {"requests_active", requests_active_},
                        {"streams_active", streams_active_},
                        {"completed", counters_.completed},
                        {"client_closed", counters_.client_closed},
                        {"dropped", counters_.dropped},
                        {"stalled_then_client_closed", counters_.stalled_then_client_closed},
                        {"status_responses", counters_.status_responses},
                        {"error_events", counters_.error_events},
                        {"connections_active", connections_active_},
                        {"connections", counters_.connections}};
}

} // namespace mock_llm
