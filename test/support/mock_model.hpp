// The bundled mock model (tools/mock_llm) as a child process of a test, and a server's options
// that point at it.
#pragma once

#include "test_server.hpp"

#include <boost/json.hpp>
#include <doctest/doctest.h>

#include <csignal>
#include <cstdio>
#include <spawn.h>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace brandchat::test {

// The mock model as a child process, stopped by pid; its port is read from its first line.
class MockModel {
public:
    explicit MockModel(std::string const& args) {
        std::vector<std::string> words{BRANDCHAT_MOCK_LLM, "--port", "0", "--quiet"};
        std::istringstream split(args);
        for (std::string w; split >> w;) words.push_back(w);
        std::vector<char*> argv;
        for (auto& w : words) argv.push_back(w.data());
        argv.push_back(nullptr);
        int fds[2];
        REQUIRE(::pipe(fds) == 0);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
        posix_spawn_file_actions_addclose(&actions, fds[0]);
        REQUIRE(::posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) == 0);
        posix_spawn_file_actions_destroy(&actions);
        ::close(fds[1]);
        out_ = ::fdopen(fds[0], "r");
        char line[256] = {};
        REQUIRE(std::fgets(line, sizeof line, out_));
        std::string text(line);
        port_ = static_cast<std::uint16_t>(std::stoi(text.substr(text.rfind(':') + 1)));
    }
    ~MockModel() {
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        std::fclose(out_);
    }
    std::uint16_t port() const { return port_; }
    boost::json::array requests() const {
        auto text = http_get(port_, "/mock/requests");
        return boost::json::parse(text.substr(text.find("\n\n") + 2)).as_array();
    }
    std::int64_t stat(char const* name) const {
        auto text = http_get(port_, "/mock/stats");
        return boost::json::parse(text.substr(text.find("\n\n") + 2)).at(name).to_number<std::int64_t>();
    }
    std::int64_t now_ms() const {
        auto text = http_get(port_, "/mock/now");
        return boost::json::parse(text.substr(text.find("\n\n") + 2)).at("now_ms").to_number<std::int64_t>();
    }

private:
    pid_t pid_ = -1;
    FILE* out_ = nullptr;
    std::uint16_t port_ = 0;
};

inline Options model_options(std::string const& base_url) {
    auto o = quiet_options();
    o.openai_base_url = base_url;
    o.openai_api_key = "sk-test-secret";
    o.retries = 2;
    return o;
}

} // namespace brandchat::test
