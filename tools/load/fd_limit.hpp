// The open-file limit against the connections asked for: each connection is one descriptor,
// and running out shows up as EMFILE deep inside connect, so it is checked before starting.
#pragma once

#include <cstdint>
#include <string>

namespace brandchat_load {

// Descriptors the process needs besides its connections (stdio, epoll, timers, /proc reads).
inline constexpr std::uint64_t fd_margin = 32;

struct FdVerdict {
    bool enough = true;
    std::uint64_t most_connections = 0;  // what the limit allows
    std::string message;                 // why not, and what to do; empty when enough
};

FdVerdict judge_fd_limit(std::uint64_t connections, std::uint64_t soft_limit);

// Raises the soft RLIMIT_NOFILE to the hard limit when it is lower; returns the soft limit
// in force afterwards.
std::uint64_t raise_open_file_limit();

} // namespace brandchat_load
