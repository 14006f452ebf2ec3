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
        if (last.chunk && last.conversation == conversation_id && last.text.size() + content.size() <= merge_limit_) {
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
    item = Item{}; // its buffers go now, not when the outbox next empties (a slow reader never lets it)
    if (empty()) {
        clear();
    } else if (head_ >= 16 && head_ * 2 >= items_.size()) {
        // Drop the popped front: each item is moved once per doubling of what was popped.
        items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
        head_ = 0;
    }
    return frame;
}

std::size_t Outbox::heap_bytes() const {
    std::size_t total = items_.capacity() * sizeof(Item);
    for (auto const& item : items_) {
        // A string's own storage is on the heap only beyond its small-string buffer.
        if (item.text.capacity() > std::string().capacity()) total += item.text.capacity() + 1;
        if (item.conversation.capacity() > std::string().capacity()) total += item.conversation.capacity() + 1;
    }
    return total;
}

void Outbox::clear() {
    items_.clear();
    head_ = 0;
    bytes_ = 0;
    // A burst can leave a large array behind; an idle connection should not keep it.
    if (items_.capacity() > 16) items_.shrink_to_fit();
}

} // namespace brandchat
