// brandchat-load: command line, open-file limit, then run_load() and the report (see --help).
#include "fd_limit.hpp"
#include "load_client.hpp"
#include "load_options.hpp"
#include "process_sampler.hpp"
#include "report.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <exception>
#include <iostream>
#include <string_view>
#include <vector>

int main(int argc, char** argv) {
    using namespace brandchat_load;
    std::vector<std::string_view> args(argv + 1, argv + argc);
    auto cl = parse_command_line(args);
    if (cl.help) {
        std::cout << help_text();
        return 0;
    }
    if (!cl.error.empty()) {
        std::cerr << "brandchat-load: " << cl.error << "\n";
        return 2;
    }
    auto const& options = cl.options;

    auto verdict = judge_fd_limit(options.connections, raise_open_file_limit());
    if (!verdict.enough) {
        std::cerr << "brandchat-load: " << verdict.message << "\n";
        return 2;
    }

    std::function<void(std::string const&)> progress;
    if (isatty(STDERR_FILENO)) progress = [](std::string const& line) { std::cerr << line << std::endl; };

    try {
        auto sched_before = read_schedstat("self");
        auto summary = run_load(options, progress);
        rusage self{};
        if (getrusage(RUSAGE_SELF, &self) == 0) {
            auto seconds = [](timeval t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
            summary.load_process = SelfUsage{seconds(self.ru_utime), seconds(self.ru_stime), static_cast<std::uint64_t>(self.ru_maxrss), std::nullopt, std::nullopt};
            auto sched_after = read_schedstat("self");
            if (sched_before && sched_after && sched_after->timeslices >= sched_before->timeslices) {
                summary.load_process->run_queue_wait_s = static_cast<double>(sched_after->waiting_ns - sched_before->waiting_ns) / 1e9;
                summary.load_process->timeslices = sched_after->timeslices - sched_before->timeslices;
            }
        }
        std::cout << (options.json ? format_json(summary) : format_table(summary)) << std::flush;
    } catch (std::exception const& e) {
        std::cerr << "brandchat-load: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
