#include "brandchat/language/sentence_limiter.hpp"

#include "brandchat/language/text.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace brandchat {

namespace {

constexpr std::string_view abbreviations[] = {
    "e.g", "i.e", "etc", "vs", "mr", "mrs", "ms", "dr", "prof", "st", "no", "approx", "inc", "ltd", "co",
    "jr", "sr", "dll", "dsb", "dst", "yth", "tsb", "bpk", "ibu", "sdr", "jl", "tel", "hlm", "min", "maks"};

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

// The word just before position `end` of text (exclusive), lowercased, without the final dot.
std::string word_before(std::string_view text, std::size_t end) {
    std::size_t start = end;
    while (start > 0 && !is_space(text[start - 1])) --start;
    std::string w = to_lower_ascii(text.substr(start, end - start));
    while (!w.empty() && (w.front() == '(' || w.front() == '"' || w.front() == '\'')) w.erase(w.begin());
    return w;
}

bool is_abbreviation(std::string_view word) {
    if (word.size() == 1 && std::isalpha(static_cast<unsigned char>(word[0]))) return true; // "A. Yani"
    return std::find(std::begin(abbreviations), std::end(abbreviations), word) != std::end(abbreviations);
}

// Index just past the end of the first sentence in text, or npos if it has not ended yet, looking
// from `from` on (what comes before was already found not to end it). `final` says no more text
// will come, so a trailing terminator counts. One pass: a line break is judged by whether text
// came before it as the scan goes, not by looking back over everything before (which made a
// long reply of many blank lines cost the cube of its length: found by the sentence_limiter fuzz
// target, 443 ms for 3.7 KB under ASan).
std::size_t sentence_end(std::string_view text, bool final, std::size_t from = 0) {
    bool text_before = !is_blank(text.substr(0, std::min(from, text.size())));
    for (std::size_t i = from; i < text.size(); ++i) {
        char c = text[i];
        if (c == '\n') {
            // A line break after some text ends a spoken sentence (lists, paragraphs).
            if (text_before) return i;
            continue;
        }
        if (!std::isspace(static_cast<unsigned char>(c))) text_before = true; // as is_blank judges it (\f, \v are blank)
        if (c != '.' && c != '!' && c != '?') continue;
        std::size_t j = i + 1;
        while (j < text.size() && (text[j] == '.' || text[j] == '!' || text[j] == '?' || text[j] == '"' || text[j] == ')' || text[j] == '\''))
            ++j;
        if (j == text.size()) {
            if (!final) return std::string_view::npos; // wait: "19." may become "19.999"
            return j;
        }
        if (!is_space(text[j])) continue; // "19.999", "e.g" mid-token
        if (c == '.' && is_abbreviation(word_before(text, i))) continue;
        return j;
    }
    return std::string_view::npos;
}

} // namespace

SentenceLimiter::Step SentenceLimiter::push(std::string_view chunk) {
    Step step;
    if (done_) return step;
    pending_.append(chunk);
    std::string whole = sent_ + pending_;
    // What was forwarded holds no sentence end before its last run of terminators, closing quotes
    // and spaces ('"hi."' is forwarded whole, and a space after it ends the sentence): the scan
    // starts there.
    std::size_t from = sent_.size();
    while (from > 0 && (sent_[from - 1] == '.' || sent_[from - 1] == '!' || sent_[from - 1] == '?' || sent_[from - 1] == '"' ||
                        sent_[from - 1] == ')' || sent_[from - 1] == '\'' || is_space(sent_[from - 1])))
        --from;
    std::size_t end = sentence_end(whole, false, from);
    if (end != std::string::npos) {
        step.forward = whole.substr(sent_.size(), end > sent_.size() ? end - sent_.size() : 0);
        while (!step.forward.empty() && is_space(step.forward.back())) step.forward.pop_back();
        sent_ += step.forward;
        pending_.clear();
        step.done = done_ = true;
        return step;
    }
    // Hold back only a possible terminator at the very end (and what follows a possible
    // abbreviation is decided on the next chunk), and whitespace at the end, which a line break
    // may yet make the sentence's end (it is not forwarded then); everything before is safe to forward.
    std::size_t hold = pending_.size();
    while (hold > 0 && (pending_[hold - 1] == '.' || pending_[hold - 1] == '!' || pending_[hold - 1] == '?' ||
                        is_space(pending_[hold - 1]) || std::isdigit(static_cast<unsigned char>(pending_[hold - 1]))))
        --hold;
    step.forward = pending_.substr(0, hold);
    sent_ += step.forward;
    pending_.erase(0, hold);
    return step;
}

SentenceLimiter::Step SentenceLimiter::finish() {
    Step step;
    if (done_) return step;
    std::string whole = sent_ + pending_;
    std::size_t end = sentence_end(whole, true);
    if (end == std::string::npos) end = whole.size();
    step.forward = whole.substr(sent_.size(), end > sent_.size() ? end - sent_.size() : 0);
    sent_ += step.forward;
    pending_.clear();
    step.done = done_ = true;
    return step;
}

std::string first_sentence(std::string_view text) {
    SentenceLimiter limiter;
    auto step = limiter.push(text);
    std::string out = step.forward;
    if (!step.done) out += limiter.finish().forward;
    std::size_t b = 0;
    while (b < out.size() && is_space(out[b])) ++b;
    std::size_t e = out.size();
    while (e > b && is_space(out[e - 1])) --e;
    return out.substr(b, e - b);
}

} // namespace brandchat
