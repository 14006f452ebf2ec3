// GET /metrics: the server's counters, gauges and latency histograms in Prometheus' text format
// (metrics/metrics.hpp writes it). The names follow Prometheus' conventions (brandchat_..._total
// for counters, _seconds, _bytes); docs/operations.md lists them.
#pragma once

#include <string>

namespace brandchat {

struct ServerContext;

std::string metrics_text(ServerContext const& server);

} // namespace brandchat
