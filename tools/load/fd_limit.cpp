#include "fd_limit.hpp"

#include <sys/resource.h>

namespace brandchat_load {

FdVerdict judge_fd_limit(std::uint64_t connections, std::uint64_t soft_limit) {
    FdVerdict v;
    v.most_connections = soft_limit > fd_margin ? soft_limit - fd_margin : 0;
    if (connections <= v.most_connections) return v;
    v.enough = false;
    v.message = "open-file limit is " + std::to_string(soft_limit) + ": at most ~" + std::to_string(v.most_connections) +
                " connections, " + std::to_string(connections) + " asked for; raise it with ulimit -n " +
                std::to_string(connections + fd_margin) + " (as root, or up to the hard limit in ulimit -Hn)";
    return v;
}

std::uint64_t raise_open_file_limit() {
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return 0;
    if (lim.rlim_cur < lim.rlim_max) {
        rlimit raised = lim;
        raised.rlim_cur = lim.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
    }
    return lim.rlim_cur == RLIM_INFINITY ? UINT64_MAX : static_cast<std::uint64_t>(lim.rlim_cur);
}

} // namespace brandchat_load
