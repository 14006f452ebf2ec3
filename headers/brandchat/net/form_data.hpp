// multipart/form-data bodies (RFC 7578), as a browser or `curl -F file=@products.csv` sends a
// file: the parts, each with its field name, file name and bytes (views into the body). Boost
// has no reader of them; this one takes what RFC 7578 allows a client to send and refuses the rest
// with a reason: no boundary, a part without Content-Disposition, no closing boundary.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace brandchat {

struct FormPart {
    std::string name;      // the field's name (Content-Disposition name=)
    std::string filename;  // empty when the part is not a file
    std::string content_type;
    std::string_view body; // into the request's body
};

// The parts of `body`, or nothing with `error` set. `content_type` is the request's header
// ("multipart/form-data; boundary=...").
std::optional<std::vector<FormPart>> parse_form_data(std::string_view content_type, std::string_view body, std::string& error);

} // namespace brandchat
