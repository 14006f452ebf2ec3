#include "event_log.hpp"

#include <string>
#include <unistd.h>

namespace mock_llm {
namespace {
bool quiet = false;
} // namespace

void set_log_quiet(bool q) { quiet = q; }

void log_line(std::string_view line) {
    if (quiet) return;
    std::string out = "mock-llm: ";
    out.append(line).append("\n");
    [[maybe_unused]] auto n = ::write(2, out.data(), out.size());
}

} // namespace mock_llm
