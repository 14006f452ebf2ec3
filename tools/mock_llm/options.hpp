// The command line of brandchat-mock-llm: settings, --help text, and validation.
// Pure: argv in, settings or an error message out.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace mock_llm {

struct Settings {
    std::string host = "127.0.0.1";
    unsigned short port = 8001;          // 0 = an ephemeral port, printed on start
    unsigned tokens = 40;
    unsigned token_delay_ms = 20;
    unsigned first_token_ms = 0;
    std::string reply_text;              // empty = the default passage
    std::string tls_cert;                // both set = serve HTTPS
    std::string tls_key;
    std::string fault;                   // a fault spec applied to every chat request
    bool quiet = false;
    bool stamp_tokens = false;           // every token's text is " @WRITTEN_US:DUE_US" (stamped_token)
    std::size_t max_records = 10000;     // records kept for /mock/requests; 0 = none
};

struct CommandLine {
    Settings settings;
    bool help = false;
    std::string error;  // empty when the command line is valid
};

CommandLine parse_command_line(const std::vector<std::string_view>& args);

std::string help_text();

} // namespace mock_llm
