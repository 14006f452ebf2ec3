// The mock server: listens, prints "listening on HOST:PORT" on stdout, serves every connection
// with its own coroutine on one io_context and one thread, and stops on SIGINT or SIGTERM.
#pragma once

#include "options.hpp"

namespace mock_llm {

// Runs until SIGINT or SIGTERM; returns the process exit status (0, or 1 if it could not start).
int run_server(Settings settings);

} // namespace mock_llm
