// A multipart/form-data upload body (net/form_data.hpp), as a client of POST
// /brands/{id}/upload/products sends it. The input's first line is the Content-Type header, the
// rest the body. Checks, beyond not crashing:
// - a refusal has a reason;
// - every part's body lies inside the request's body, parts in order and not overlapping, and
//   each is preceded by the boundary;
// - the parts are the same when the body is given a copy of itself (no view outlives it wrongly).
#include "brandchat/net/form_data.hpp"
#include "fuzz_check.hpp"

#include <cstdint>
#include <string>
#include <string_view>

using namespace brandchat;

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    std::string_view input(reinterpret_cast<char const*>(data), size);
    auto newline = input.find('\n');
    if (newline == std::string_view::npos) return 0;
    std::string_view content_type = input.substr(0, newline), body = input.substr(newline + 1);
    std::string error;
    auto parts = parse_form_data(content_type, body, error);
    if (!parts) {
        FUZZ_CHECK(!error.empty());
        return 0;
    }
    char const* last_end = body.data();
    for (auto const& part : *parts) {
        FUZZ_CHECK(part.body.data() >= last_end);
        FUZZ_CHECK(part.body.data() + part.body.size() <= body.data() + body.size());
        FUZZ_CHECK(std::string_view(last_end, static_cast<std::size_t>(part.body.data() - last_end)).find("\r\n\r\n") != std::string_view::npos);
        last_end = part.body.data() + part.body.size();
    }
    std::string copy(body);
    std::string again_error;
    auto again = parse_form_data(content_type, copy, again_error);
    FUZZ_CHECK(again && again->size() == parts->size());
    for (std::size_t i = 0; i < parts->size(); ++i) {
        FUZZ_CHECK((*again)[i].body == (*parts)[i].body);
        FUZZ_CHECK((*again)[i].name == (*parts)[i].name && (*again)[i].filename == (*parts)[i].filename);
    }
    return 0;
}
