// JSON text as the server writes it: Boost.JSON's serializer, except that numbers read as people
// and Python's json module write them. Boost.JSON writes the double 899000 as "8.99E5" and 1 as
// "1E0"; here they are "899000.0" and "1.0", and other doubles their shortest exact form
// ("0.967", "1e+300"). Strings as append_json_string escapes them.
#pragma once

#include <boost/json/fwd.hpp>

#include <string>

namespace brandchat::protocol {

std::string json_text(boost::json::value const& value);
void append_json_number(std::string& out, double number);

} // namespace brandchat::protocol
