// The composition root: what a server needs before it listens, from its options.
#pragma once

#include <string>

namespace brandchat {

struct ServerContext;

// Loads brands, the chat page and the API documents, picks the responder and registers the
// built-in handlers.
// Throws std::runtime_error with a clear message on bad resources.
void prepare_context(ServerContext& context);

// Where the bundled resources are: the --resources flag, else next to the binary
// (../resources, ../share/brandchat/resources), else the source tree it was built from.
std::string find_resources(std::string const& configured, std::string const& executable_path);

} // namespace brandchat
