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

// The most chunk content one frame may carry when the client's frame limit is `max_frame_bytes`:
// escaping can grow content sixfold (a control byte becomes \u00XX), plus the envelope.
constexpr std::size_t chunk_piece_bytes(std::size_t max_frame_bytes) {
    return max_frame_bytes > 1024 + 6 * 64 ? (max_frame_bytes - 1024) / 6 : 64;
}

class Outbox {
public:
    static constexpr std::size_t max_merged_bytes = 16 * 1024;

    explicit Outbox(std::size_t merge_limit = max_merged_bytes) : merge_limit_(merge_limit) {}

    void push_frame(std::string frame);
    void push_chunk(std::string_view content, std::string_view conversation_id);
    bool empty() const { return head_ == items_.size(); }
    std::string pop(); // the next frame, encoded; precondition: !empty()
    std::size_t bytes() const { return bytes_; }
    std::size_t frames() const { return items_.size() - head_; }
    // The heap this outbox holds (the item array and every waiting item's text). A reader that
    // never lets the outbox empty must not make it grow: popped items give their memory back
    // at once and the popped front of the array is dropped as the reader goes.
    std::size_t heap_bytes() const;
    void clear();

private:
    struct Item {
        std::string text;          // an encoded frame, or a chunk's content
        std::string conversation;  // for chunks
        bool chunk = false;
    };
    std::size_t merge_limit_;  // merged chunk content at most, in bytes
    std::vector<Item> items_;
    std::size_t head_ = 0;
    std::size_t bytes_ = 0;
};

} // namespace brandchat
