#include "reply_text.hpp"

#include <boost/json/serialize.hpp>

#include <stdexcept>

namespace mock_llm {

const std::string_view default_passage =
    "The TechPro Aero 14 costs Rp 19.999.000 and comes with a 2.5 GHz processor, 16 GB of memory "
    "and a bright 14-inch screen. It suits people who work on the move, e.g. students and consultants, "
    "because it weighs 1.3 kg. The battery lasts about 12 hours of mixed use. If you need more "
    "storage, the Aero 14 Plus costs Rp 22.499.000 and doubles the SSD to 1 TB. Would you like me to "
    "compare it with another laptop?";

namespace {

std::string escape_for_json(std::string_view text) {
    auto quoted = boost::json::serialize(boost::json::string_view(text.data(), text.size()));
    return quoted.substr(1, quoted.size() - 2);
}

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

} // namespace

ReplyTokens::ReplyTokens(std::string_view passage) {
    std::size_t i = 0;
    while (i < passage.size() && is_blank(passage[i])) ++i;
    while (i < passage.size()) {
        auto start = i;
        while (i < passage.size() && is_blank(passage[i])) ++i;
        while (i < passage.size() && !is_blank(passage[i])) ++i;
        if (start == i) break;
        auto token = passage.substr(start, i - start);
        if (token.find_first_not_of(" \t\n\r") == std::string_view::npos) break;  // trailing blanks
        tokens_.emplace_back(token);
    }
    if (tokens_.empty()) throw std::invalid_argument("reply text has no words");
    for (auto const& t : tokens_) escaped_.push_back(escape_for_json(t));
    repeat_first_ = " " + tokens_.front();
    escaped_repeat_first_ = " " + escaped_.front();
}

std::string_view ReplyTokens::token(std::size_t i) const {
    auto k = i % tokens_.size();
    return k == 0 && i > 0 ? std::string_view(repeat_first_) : std::string_view(tokens_[k]);
}

std::string_view ReplyTokens::escaped_token(std::size_t i) const {
    auto k = i % escaped_.size();
    return k == 0 && i > 0 ? std::string_view(escaped_repeat_first_) : std::string_view(escaped_[k]);
}

std::string ReplyTokens::text(std::size_t count) const {
    std::string joined;
    for (std::size_t i = 0; i < count; ++i) joined += token(i);
    return joined;
}

} // namespace mock_llm
