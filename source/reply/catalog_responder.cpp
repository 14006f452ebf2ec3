#include "brandchat/reply/catalog_responder.hpp"

#include "brandchat/reply/catalog_answer.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace brandchat {

namespace asio = boost::asio;

std::vector<std::string> split_words(std::string_view text) {
    std::vector<std::string> words;
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t start = i;
        while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
        while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
        words.emplace_back(text.substr(start, i - start));
    }
    return words;
}

namespace {

class WordStream final : public ChunkStream {
public:
    WordStream(asio::any_io_executor ex, std::string text, std::chrono::milliseconds delay)
        : timer_(ex), words_(split_words(text)), delay_(delay) {}

    asio::awaitable<std::optional<std::string>> next() override {
        if (cancelled_ || index_ >= words_.size()) co_return std::nullopt;
        if (index_ > 0 && delay_.count() > 0) {
            timer_.expires_after(delay_);
            co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable)); // woken early by cancel()
            if (cancelled_) co_return std::nullopt;
        }
        co_return std::move(words_[index_++]);
    }

    void cancel() override {
        cancelled_ = true;
        timer_.cancel();
    }

    bool ready() const override { return !cancelled_ && index_ < words_.size() && (index_ == 0 || delay_.count() == 0); }

private:
    asio::steady_timer timer_;
    std::vector<std::string> words_;
    std::size_t index_ = 0;
    std::chrono::milliseconds delay_;
    bool cancelled_ = false;
};

} // namespace

std::unique_ptr<ChunkStream> CatalogResponder::start(asio::any_io_executor executor, ReplyRequest const& request) {
    return std::make_unique<WordStream>(executor, compose_catalog_answer(request), word_delay_);
}

} // namespace brandchat
