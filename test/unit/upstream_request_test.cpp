#include "brandchat/config/options.hpp"
#include "brandchat/reply/openai_responder.hpp"
#include "brandchat/reply/upstream_connection.hpp"

#include <doctest/doctest.h>

#include <stdexcept>

using namespace brandchat;

TEST_CASE("request header lines: one 'Name: value' line each, and no way to smuggle in another") {
    CHECK(request_header_lines({}) == "");
    CHECK(request_header_lines({{"Authorization", "Bearer sk-1"}, {"OpenAI-Project", "proj_2\tx"}}) ==
          "Authorization: Bearer sk-1\r\nOpenAI-Project: proj_2\tx\r\n");
    CHECK_THROWS_AS(request_header_lines({{"Authorization", "Bearer sk-1\r\nX-Evil: 1"}}), std::invalid_argument);
    CHECK_THROWS_AS(request_header_lines({{"Authorization", "Bearer sk-1\n"}}), std::invalid_argument);
    CHECK_THROWS_AS(request_header_lines({{"Bad:Name", "v"}}), std::invalid_argument);
    CHECK_THROWS_AS(request_header_lines({{"", "v"}}), std::invalid_argument);
    CHECK_THROWS_AS(request_header_lines({{"X", std::string("a\0b", 3)}}), std::invalid_argument);
}

TEST_CASE("a key with a line break in it is refused when the responder is made, not sent") {
    Options options;
    options.openai_base_url = "http://127.0.0.1:9/v1";
    options.openai_api_key = "sk-test\r\nX-Injected: yes";
    CHECK_THROWS_AS(OpenAiResponder{options}, std::invalid_argument);
    options.openai_api_key = "sk-test";
    CHECK_NOTHROW(OpenAiResponder{options});
}
