// The load itself: one io_context on one thread, a coroutine per WebSocket connection.
// run_load() opens the connections at the ramp rate, runs the scenario until the duration
// (or --max-replies, or SIGINT/SIGTERM) ends it, closes every connection gracefully (forcibly
// after a 5 s grace) and returns what was measured. It throws only when the run cannot start
// (the host does not resolve, a source address is invalid).
#pragma once

#include "load_options.hpp"
#include "report.hpp"

#include <functional>
#include <string>

namespace brandchat_load {

// `progress` receives a one-line report every second; pass an empty function for none.
RunSummary run_load(LoadOptions const& options, std::function<void(std::string const&)> progress);

} // namespace brandchat_load
