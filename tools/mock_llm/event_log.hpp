// Log lines on stderr for people watching the mock run; stdout carries only the "listening" line.
// Each line goes out in one write(2) so lines from concurrent processes do not interleave.
#pragma once

#include <string_view>

namespace mock_llm {

void set_log_quiet(bool quiet);
void log_line(std::string_view line);

} // namespace mock_llm
