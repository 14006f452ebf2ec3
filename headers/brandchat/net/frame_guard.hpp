// Two rules of RFC 6455 that Beast 1.81 does not enforce on the frames a client sends, checked
// on the bytes as they arrive, before Beast reads them:
//  - a 64-bit payload length must have its most significant bit clear (5.2); Beast reads it as
//    a huge length and answers 1009 "too big" instead of 1002;
//  - a close frame's status code must be one a peer may send (7.4): Beast accepts 5000-65535
//    and echoes them back.
// Pure: bytes in, a verdict out, in any split (tested and fuzzed without sockets). The stream
// that reads for Beast (CoalescingStream) fails the read at the first violation, and the
// session answers with a close frame of its own, 1002.
#pragma once

#include <boost/system/error_code.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace brandchat {

class ClientFrameGuard {
public:
    enum class Violation : std::uint8_t { none, length_top_bit, close_code };

    // Looks at the next bytes of the client's stream; returns the first violation, and keeps
    // returning it after one.
    Violation feed(std::string_view bytes);
    Violation violation() const { return violation_; }

private:
    enum class State : std::uint8_t { header, payload };
    State state_ = State::header;
    Violation violation_ = Violation::none;
    unsigned char header_[14];
    std::size_t header_size_ = 0;     // bytes of the current header seen
    std::uint64_t remaining_ = 0;     // payload bytes left in the current frame
    std::uint64_t offset_ = 0;        // payload bytes of the current frame seen
    bool close_frame_ = false;
    bool masked_ = false;
    unsigned char key_[4];            // the current frame's mask key
    unsigned char code_[2];           // a close frame's status code, unmasked
};

char const* describe(ClientFrameGuard::Violation v);

// A violation as the error a read completes with (category "websocket frame guard").
boost::system::error_code make_error_code(ClientFrameGuard::Violation v);
bool is_frame_violation(boost::system::error_code const& ec);

// Whether a client may send `code` in a close frame (RFC 6455 7.4.1 and the IANA registry;
// 1004-1006, 1015 and everything up to 999, from 1016 to 2999 and from 5000 are not).
bool valid_close_code(std::uint16_t code);

} // namespace brandchat
