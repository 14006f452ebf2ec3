// Faults queued through POST /mock/faults: each spec applies to the next `count` chat requests,
// first queued first used.
#pragma once

#include <boost/json/array.hpp>

#include <deque>
#include <string>

namespace mock_llm {

class FaultQueue {
public:
    void push(std::string spec, unsigned count);
    // The spec for the chat request being started (consuming one use), or empty.
    std::string take();
    void clear();
    // [{"spec":..., "remaining":...}, ...]
    boost::json::array to_json() const;

private:
    struct Entry {
        std::string spec;
        unsigned remaining;
    };
    std::deque<Entry> entries_;
};

} // namespace mock_llm
