#include "brandchat/config/options.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>

using namespace brandchat;

TEST_CASE("flags win over the file, the file over the environment") {
    std::string path = "/tmp/brandchat-options-test.json";
    std::ofstream(path) << R"({"port": 9001, "word_delay_ms": 5, "rate_limit_connection": "3/10"})";
    std::map<std::string, std::string> env{{"BRANDCHAT_PORT", "9000"}, {"BRANDCHAT_HOST", "127.0.0.1"}, {"BRANDCHAT_WORD_DELAY_MS", "7"}};
    auto parsed = parse_options({"--config", path, "--word-delay-ms", "0"}, env);
    CHECK(parsed.options.host == "127.0.0.1");           // environment only
    CHECK(parsed.options.port == 9001);                  // file over environment
    CHECK(parsed.options.word_delay.count() == 0);       // flag over file
    CHECK(parsed.options.connection_rate.count == 3);
    CHECK(parsed.options.connection_rate.window.count() == 10);
    std::remove(path.c_str());
}

TEST_CASE("bad settings are refused with a message that names them") {
    CHECK_THROWS_WITH_AS(parse_options({"--port", "abc"}, {}), doctest::Contains("--port"), std::invalid_argument);
    CHECK_THROWS_WITH_AS(parse_options({"--nope", "1"}, {}), doctest::Contains("unknown option --nope"), std::invalid_argument);
    CHECK_THROWS_WITH_AS(parse_options({"--rate-limit-address", "x"}, {}), doctest::Contains("COUNT/SECONDS"), std::invalid_argument);
    CHECK_THROWS_AS(parse_options({"--port"}, {}), std::invalid_argument);
    for (char const* t : {"nan", "inf", "-0.1", "2.5"})
        CHECK_THROWS_WITH_AS(parse_options({"--temperature", t}, {}), doctest::Contains("--temperature"), std::invalid_argument);
    CHECK(parse_options({"--temperature", "2"}, {}).options.temperature == 2.0);
}

TEST_CASE("OpenAI's conventional variables") {
    auto parsed = parse_options({}, {{"OPENAI_API_KEY", "sk-test"}, {"OPENAI_BASE_URL", "http://127.0.0.1:1/v1"}});
    CHECK(parsed.options.llm_enabled());
    CHECK(parsed.options.openai_api_key == "sk-test");
    CHECK_FALSE(parse_options({}, {}).options.llm_enabled());
    CHECK(parse_options({"--rate-limit-connection", "0"}, {}).options.connection_rate.count == 0);
    CHECK(help_text().find("--rate-limit-address") != std::string::npos);
}

TEST_CASE("an unknown option is said to be unknown, even without a value after it") {
    CHECK_THROWS_WITH_AS(parse_options({"--verbose"}, {}), doctest::Contains("unknown option --verbose"), std::invalid_argument);
    CHECK_THROWS_WITH_AS(parse_options({"--port"}, {}), doctest::Contains("--port needs a value"), std::invalid_argument);
}
