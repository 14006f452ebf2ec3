// One HTTP/1.1 connection to the model's server, plain or TLS (peer and host name verified,
// SNI sent), kept alive between requests when the server allows. Every operation takes its own
// time limit; failures are UpstreamFailure values with a kind, never raw transport errors.
// Every operation ends at once when the awaiting coroutine's cancellation slot gets a terminal
// cancellation (the reply was cancelled), with a `cancelled` failure; close() may be called at
// any moment too.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace boost::asio::ssl {
class context;
}

namespace brandchat {

struct UpstreamFailure : std::runtime_error {
    enum class Kind { connect, tls, timeout, status, broken, oversized, cancelled };
    Kind kind;
    unsigned status = 0;
    std::chrono::milliseconds retry_after{-1}; // from Retry-After / retry-after-ms; -1 if absent
    UpstreamFailure(Kind k, std::string what, unsigned s = 0) : std::runtime_error(std::move(what)), kind(k), status(s) {}
};

struct UpstreamEndpoint {
    bool tls = true;
    std::string host;
    std::string port;
    std::string base_path; // "/v1", no trailing slash
};

// "https://api.openai.com/v1" → endpoint. Throws std::invalid_argument.
UpstreamEndpoint parse_base_url(std::string const& url);

// "Name: value\r\n" for each field, for UpstreamConnection::request. Throws std::invalid_argument
// when a name or value holds a line break or other control character, which would end the
// header early and let the rest be read as a header of its own.
std::string request_header_lines(std::vector<std::pair<std::string, std::string>> const& fields);

class UpstreamConnection {
public:
    struct Header {
        unsigned status = 0;
        std::chrono::milliseconds retry_after{-1};
    };

    static boost::asio::awaitable<std::unique_ptr<UpstreamConnection>> open(boost::asio::any_io_executor executor,
                                                                            UpstreamEndpoint const& endpoint,
                                                                            boost::asio::ssl::context* tls,
                                                                            std::chrono::milliseconds timeout);
    ~UpstreamConnection();

    // Sends a POST with a JSON body and reads the response header. `header_lines`: more header
    // fields, each "Name: value\r\n" (request_header_lines builds them).
    boost::asio::awaitable<Header> request(std::string_view target, std::string_view header_lines, std::string const& body,
                                           std::chrono::milliseconds timeout);
    // The time by which read_body() must have something: a read still waiting then ends with
    // a timeout failure. Moving it later costs nothing; moving it sooner wakes one timer.
    void set_deadline(std::chrono::steady_clock::time_point deadline);
    // The next piece of the response body (chunked framing removed), or nullopt at its end.
    boost::asio::awaitable<std::optional<std::string>> read_body();
    // Drains up to `limit` bytes of body, e.g. an error response.
    boost::asio::awaitable<std::string> read_all(std::size_t limit, std::chrono::milliseconds timeout);

    void close();
    bool reusable() const; // the last response ended cleanly with keep-alive

    // For the latency histograms (reply/responder.hpp, ReplyTimes): when the last request was
    // written, and when the socket read that brought what read_body() last returned completed.
    std::chrono::steady_clock::time_point request_written_at() const;
    std::chrono::steady_clock::time_point last_read_at() const;

private:
    struct Impl;
    explicit UpstreamConnection(std::shared_ptr<Impl> impl);
    static boost::asio::awaitable<void> watch_deadline(std::shared_ptr<Impl> impl);
    std::shared_ptr<Impl> impl_; // shared with the deadline's watchdog while it runs
};

} // namespace brandchat
