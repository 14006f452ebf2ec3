#include "brandchat/net/frame_guard.hpp"

#include <algorithm>
#include <string>

namespace brandchat {

bool valid_close_code(std::uint16_t code) {
    if (code >= 3000 && code <= 4999) return true;                  // registered and private use
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014);
}

char const* describe(ClientFrameGuard::Violation v) {
    switch (v) {
    case ClientFrameGuard::Violation::length_top_bit: return "a frame length with its most significant bit set";
    case ClientFrameGuard::Violation::close_code: return "a close frame with a status code a client may not send";
    case ClientFrameGuard::Violation::none: break;
    }
    return "none";
}

namespace {
struct FrameGuardCategory final : boost::system::error_category {
    char const* name() const noexcept override { return "websocket frame guard"; }
    std::string message(int v) const override { return describe(static_cast<ClientFrameGuard::Violation>(v)); }
};
FrameGuardCategory const category;
} // namespace

boost::system::error_code make_error_code(ClientFrameGuard::Violation v) { return {static_cast<int>(v), category}; }
bool is_frame_violation(boost::system::error_code const& ec) { return ec.category() == category; }

ClientFrameGuard::Violation ClientFrameGuard::feed(std::string_view bytes) {
    std::size_t i = 0;
    while (i < bytes.size() && violation_ == Violation::none) {
        if (state_ == State::header) {
            header_[header_size_++] = static_cast<unsigned char>(bytes[i++]);
            if (header_size_ < 2) continue;
            unsigned length7 = header_[1] & 0x7f;
            std::size_t need = 2 + (length7 == 126 ? 2 : length7 == 127 ? 8 : 0) + ((header_[1] & 0x80) ? 4 : 0);
            if (header_size_ < need) continue;
            std::uint64_t length = length7;
            if (length7 == 126) length = std::uint64_t(header_[2]) << 8 | header_[3];
            if (length7 == 127) {
                if (header_[2] & 0x80) {
                    violation_ = Violation::length_top_bit;
                    break;
                }
                length = 0;
                for (int k = 0; k < 8; ++k) length = length << 8 | header_[2 + k];
            }
            close_frame_ = (header_[0] & 0x0f) == 0x8;
            remaining_ = length;
            offset_ = 0;
            state_ = State::payload;
            header_size_ = 0;
            // The mask key, when present, is the header's last four bytes.
            masked_ = (header_[1] & 0x80) != 0;
            if (masked_) std::copy(header_ + need - 4, header_ + need, key_);
            if (remaining_ == 0) state_ = State::header;
            continue;
        }
        // Payload: only a close frame's first two bytes matter; the rest is skipped in one step.
        std::uint64_t take = std::min<std::uint64_t>(remaining_, bytes.size() - i);
        if (close_frame_) {
            for (std::uint64_t k = 0; k < take && offset_ + k < 2; ++k) {
                auto b = static_cast<unsigned char>(bytes[i + k]);
                code_[offset_ + k] = masked_ ? b ^ key_[(offset_ + k) % 4] : b;
                if (offset_ + k == 1 && !valid_close_code(static_cast<std::uint16_t>(code_[0] << 8 | code_[1])))
                    violation_ = Violation::close_code;
            }
        }
        offset_ += take;
        remaining_ -= take;
        i += take;
        if (remaining_ == 0) state_ = State::header;
    }
    return violation_;
}

} // namespace brandchat
