#include "process_sampler.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

using namespace brandchat_load;
using namespace std::chrono_literals;

TEST_CASE("VmRSS and VmHWM from /proc/PID/status") {
    constexpr std::string_view status = "Name:\tbrandchat\nVmPeak:\t  300000 kB\nVmHWM:\t   52000 kB\nVmRSS:\t   51234 kB\nThreads:\t1\n";
    CHECK(parse_status_kib(status, "VmRSS") == 51234u);
    CHECK(parse_status_kib(status, "VmHWM") == 52000u);
    CHECK(!parse_status_kib(status, "VmSwap"));
    CHECK(!parse_status_kib("Name:\tkthreadd\n", "VmRSS"));  // kernel threads have none
}

TEST_CASE("utime + stime from /proc/PID/stat, past a command name with spaces and parentheses") {
    constexpr std::string_view stat =
        "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 1200 0 0 0 150 25 0 0 20 0 1 0 100 200000000 12000 18446744073709551615";
    CHECK(parse_cpu_ticks(stat) == 175u);
    CHECK(!parse_cpu_ticks("4242 (x) S 1 2"));
    CHECK(!parse_cpu_ticks("garbage"));
}

TEST_CASE("this process can be sampled") {
    auto s = sample_process(getpid());
    REQUIRE(s);
    CHECK(s->rss_kib > 0);
    CHECK(s->rss_high_water_kib >= s->rss_kib);
}

TEST_CASE("the summary: RSS start/peak/end, average and peak CPU") {
    ProcessWatch w(7, 100);
    auto t0 = std::chrono::steady_clock::time_point{} + 1h;
    w.add({t0, 1000, 1000, 0});
    w.add({t0 + 1s, 3000, 3000, 50});   // 50 ticks in 1 s at 100/s = 50 %
    w.add({t0 + 2s, 2000, 3000, 250});  // 200 ticks = 200 % (two cores)
    auto const& s = w.summary();
    CHECK(s.pid == 7);
    CHECK(s.samples == 3);
    CHECK(s.rss_start_kib == 1000);
    CHECK(s.rss_peak_kib == 3000);
    CHECK(s.rss_end_kib == 2000);
    CHECK(s.rss_high_water_kib == 3000);
    CHECK(s.cpu_peak_percent == doctest::Approx(200));
    CHECK(s.cpu_average_percent == doctest::Approx(125));
    CHECK(w.last_cpu_percent() == doctest::Approx(200));
    CHECK(!s.vanished);
    w.lost();
    CHECK(w.summary().vanished);
}

TEST_CASE("schedstat: time running, time waiting for a CPU, times run") {
    auto s = parse_schedstat("219061620 24358148 1036\n");
    REQUIRE(s);
    CHECK(s->running_ns == 219061620);
    CHECK(s->waiting_ns == 24358148);
    CHECK(s->timeslices == 1036);
    CHECK(!parse_schedstat(""));
    CHECK(!parse_schedstat("12 34"));
    CHECK(!parse_schedstat("12 x 5"));
    if (auto self = read_schedstat("self")) CHECK(self->timeslices > 0); // where the kernel keeps them (CONFIG_SCHED_INFO)
    CHECK(!read_schedstat("999999999"));
}
