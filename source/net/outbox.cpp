#include "brandchat/net/outbox.hpp"

#include "brandchat/protocol/server_message.hpp"

namespace brandchat {

void Outbox::push_frame(std::string frame) {
    bytes_ += frame.size();
    items_.push_back({std::move(frame), {}, false});
}

void Outbox::push_chunk(std::string_view content, std::string_view conversation_id) {
    bytes_ += content.size();
    if (!empty()) {
        auto& last = items_.back();
        if (last.chunk && last.conversation == conversation_id && last.text.size() + content.size() <= max_merged_bytes) {
            last.text.append(content);
            return;
        }
    }
    items_.push_back({std::string(content), std::string(conversation_id), true});
}

std::string Outbox::pop() {
    auto& item = items_[head_++];
    bytes_ -= item.text.size();
    std::string frame = item.chunk ? protocol::chunk(item.text, item.conversation) : std::move(item.text);
    if (empty()) clear();
    return frame;
}

void Outbox::clear() {
    items_.clear();
    head_ = 0;
    bytes_ = 0;
    // A burst can leave a large array behind; an idle connection should not keep it.
    if (items_.capacity() > 16) items_.shrink_to_fit();
}

} // namespace brandchat
