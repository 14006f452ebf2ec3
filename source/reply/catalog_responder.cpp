#include "brandchat/reply/catalog_responder.hpp"

#include "brandchat/reply/cancellable.hpp"
#include "brandchat/reply/catalog_answer.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/steady_timer.hpp>

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

// The answer word by word, `delay` apart (the first word at once); with no delay, all at once.
ReplyStream type_out(asio::any_io_executor executor, std::string text, std::chrono::milliseconds delay, asio::cancellation_slot cancel,
                     ReplyTimes& times) {
    auto words = split_words(text);
    if (delay.count() == 0) {
        times.batch_arrived = ReplyTimes::Clock::now();
        co_yield std::move(words);
        co_return std::nullopt;
    }
    asio::steady_timer pause(executor);
    for (std::size_t i = 0; i < words.size(); ++i) {
        if (i > 0) {
            pause.expires_after(delay);
            auto [ec] = co_await cancellable<void(boost::system::error_code)>(cancel, asio::as_tuple(asio::deferred),
                                                                              [&](auto handler) { pause.async_wait(std::move(handler)); });
            if (ec) co_return std::nullopt; // cancelled
        }
        ReplyPieces word{std::move(words[i])}; // named: GCC 12 miscompiles a braced temporary in co_yield
        times.batch_arrived = ReplyTimes::Clock::now();
        co_yield std::move(word);
    }
    co_return std::nullopt; // no model, no tokens
}

} // namespace

ReplyStream CatalogResponder::reply(asio::any_io_executor executor, ReplyRequest const& request, asio::cancellation_slot cancel,
                                    ReplyTimes& times) {
    return type_out(executor, compose_catalog_answer(request), word_delay_, cancel, times);
}

} // namespace brandchat
