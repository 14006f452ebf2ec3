// brandchat-mock-llm: an OpenAI-compatible Chat Completions server with scriptable faults, for
// tests, demos and benchmarks. See README.md beside this file, or run it with --help.
#include "event_log.hpp"
#include "options.hpp"
#include "server.hpp"

#include <iostream>
#include <string_view>
#include <vector>

int main(int argc, char** argv) {
    std::vector<std::string_view> args(argv + 1, argv + argc);
    auto command_line = mock_llm::parse_command_line(args);
    if (command_line.help) {
        std::cout << mock_llm::help_text();
        return 0;
    }
    if (!command_line.error.empty()) {
        std::cerr << "brandchat-mock-llm: " << command_line.error << "\n";
        return 2;
    }
    mock_llm::set_log_quiet(command_line.settings.quiet);
    return mock_llm::run_server(std::move(command_line.settings));
}
