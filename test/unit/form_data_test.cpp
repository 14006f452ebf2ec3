// multipart/form-data bodies as clients send them, and what must be refused.
#include <doctest/doctest.h>

#include "brandchat/net/form_data.hpp"

using namespace brandchat;

TEST_CASE("form data: parts with their names, file names and bytes; bad bodies refused with a reason") {
    std::string body = "preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n"
                       "--XyZ\r\ncontent-disposition: form-data; name=\"file\"; filename=\"a \\\"b\\\".csv\"\r\nContent-Type: text/csv\r\n\r\n"
                       "id,name\r\n1,--XyZ is inside\r\n\r\n--XyZ--\r\nepilogue";
    std::string error;
    auto parts = parse_form_data("multipart/form-data; boundary=\"XyZ\"", body, error);
    REQUIRE(parts);
    REQUIRE(parts->size() == 2);
    CHECK((*parts)[0].name == "note");
    CHECK((*parts)[0].body == "hello");
    CHECK((*parts)[1].name == "file");
    CHECK((*parts)[1].filename == "a \"b\".csv");
    CHECK((*parts)[1].content_type == "text/csv");
    CHECK((*parts)[1].body == "id,name\r\n1,--XyZ is inside\r\n");

    CHECK_FALSE(parse_form_data("application/json", body, error));
    CHECK(error.find("multipart/form-data") != std::string::npos);
    CHECK_FALSE(parse_form_data("multipart/form-data", body, error));
    CHECK(error.find("boundary") != std::string::npos);
    CHECK_FALSE(parse_form_data("multipart/form-data; boundary=XyZ", body.substr(0, body.find("--XyZ--")), error));
    CHECK(error.find("closing boundary") != std::string::npos);
    CHECK_FALSE(parse_form_data("multipart/form-data; boundary=XyZ", "--XyZ\r\nContent-Type: x\r\n\r\nbody\r\n--XyZ--", error));
    CHECK(error.find("Content-Disposition") != std::string::npos);
    CHECK_FALSE(parse_form_data("multipart/form-data; boundary=QQ", body, error));
}
