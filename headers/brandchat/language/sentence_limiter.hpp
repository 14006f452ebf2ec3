// Cuts a stream of text after its first sentence, for voice replies. Text arrives in chunks of
// any size; push() returns the part to forward and whether the sentence has ended. A '.', '!'
// or '?' ends a sentence only when followed by whitespace (or the end of the stream) and not
// inside a number ("Rp 19.999.000", "2.5"), after a known abbreviation ("e.g.", "Dr.", "dll."),
// or after a single letter ("A. Yani"). Newlines that start a list also end the sentence.
#pragma once

#include <string>
#include <string_view>

namespace brandchat {

class SentenceLimiter {
public:
    struct Step {
        std::string forward;   // text to send on now
        bool done = false;     // the first sentence is complete; stop the stream
    };

    Step push(std::string_view chunk);
    Step finish();             // the stream ended: release anything held back
    bool done() const { return done_; }

private:
    std::string pending_;      // text after a possible sentence end, until we know
    std::string sent_;         // everything forwarded so far, to look back at the last word
    bool done_ = false;
};

// The first sentence of a complete text (same rules), trimmed.
std::string first_sentence(std::string_view text);

} // namespace brandchat
