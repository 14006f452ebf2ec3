#include "fault_queue.hpp"

#include <boost/json/object.hpp>

namespace mock_llm {

void FaultQueue::push(std::string spec, unsigned count) {
    if (count > 0) entries_.push_back({std::move(spec), count});
}

std::string FaultQueue::take() {
    if (entries_.empty()) return {};
    auto& front = entries_.front();
    std::string spec = front.spec;
    if (--front.remaining == 0) entries_.pop_front();
    return spec;
}

void FaultQueue::clear() { entries_.clear(); }

boost::json::array FaultQueue::to_json() const {
    boost::json::array out;
    for (auto const& e : entries_) out.push_back(boost::json::object{{"spec", e.spec}, {"remaining", e.remaining}});
    return out;
}

} // namespace mock_llm
