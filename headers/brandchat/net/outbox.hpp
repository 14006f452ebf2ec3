// Frames waiting for a client that has fallen behind, oldest first. A session writes straight
// into its socket's batch (coalescing_stream.hpp) while that batch is small; only beyond it do
// frames wait here. Consecutive chunks of one conversation that wait here are merged into one
// chunk: clients append chunk contents, so the text they show is the same, and a client that
// reads slower than the reply is produced costs one frame per batch instead of one per piece.
// A client that keeps up never sees a merged chunk. Chunks are encoded when they leave, so
// merging costs no re-encoding.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace brandchat {

class Outbox {
public:
    static constexpr std::size_t max_merged_bytes = 16 * 1024;

    void push_frame(std::string frame);
    void push_chunk(std::string_view content, std::string_view conversation_id);
    bool empty() const { return head_ == items_.size(); }
    std::string pop(); // the next frame, encoded; precondition: !empty()
    std::size_t bytes() const { return bytes_; }
    std::size_t frames() const { return items_.size() - head_; }
    void clear();

private:
    struct Item {
        std::string text;          // an encoded frame, or a chunk's content
        std::string conversation;  // for chunks
        bool chunk = false;
    };
    std::vector<Item> items_;
    std::size_t head_ = 0;
    std::size_t bytes_ = 0;
};

} // namespace brandchat
