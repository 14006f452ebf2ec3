#include "brandchat/chat/conversation.hpp"

#include <doctest/doctest.h>

#include <set>
#include <string>

using namespace brandchat;

TEST_CASE("conversation ids: conv- and 32 hex digits, none twice across many refills of the random pool") {
    std::set<std::string> seen;
    for (int i = 0; i < 3000; ++i) {  // 16 bytes each: about a dozen refills of the 4 KiB pool
        auto id = new_conversation_id();
        REQUIRE(id.size() == 5 + 32);
        CHECK(id.rfind("conv-", 0) == 0);
        CHECK(id.find_first_not_of("0123456789abcdef", 5) == std::string::npos);
        CHECK(seen.insert(id).second);
    }
    // every hex digit turns up in every position: the bytes are not stuck
    for (std::size_t pos = 5; pos < 37; ++pos) {
        std::set<char> digits;
        for (auto const& id : seen) digits.insert(id[pos]);
        CHECK(digits.size() == 16);
    }
}
