// Encoding what the server sends, field for field as the protocol document shows it.
// Chunks are the hot path: they are written straight into a string, without a JSON DOM.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace brandchat {
struct Product;
}

namespace brandchat::protocol {

std::string welcome(std::string_view message, std::string_view brand_id, std::string_view brand_name);
std::string chunk(std::string_view content, std::string_view conversation_id);
void append_chunk(std::string& out, std::string_view content, std::string_view conversation_id);
// suggested products: serialized product objects (Product::json); confidence null when empty.
std::string complete(std::string_view conversation_id, std::vector<Product const*> const& products,
                     std::optional<double> confidence);
std::string error(std::string_view message);
std::string pong(std::string_view timestamp);

// Appends text as a JSON string literal (quotes included), escaping what JSON requires and
// replacing invalid UTF-8 with U+FFFD so every frame we send is valid text.
void append_json_string(std::string& out, std::string_view text);
// The same without the quotes. Escaping goes character by character, so strings escaped apart
// and joined are the escape of the joined string, as long as no UTF-8 character is split between
// two of them (its halves would each become U+FFFD).
void append_json_escaped(std::string& out, std::string_view text);

// Local time as ISO-8601 with seconds, as the original server's pong: "2024-01-20T10:30:00".
std::string iso_timestamp_now();

} // namespace brandchat::protocol
