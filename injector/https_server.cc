#include "https_server.h"

#include "log.h"
#include "request_router.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <chrono>

namespace injector {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

// One TLS connection. Lives as long as an asynchronous operation holds it; all of its handlers run on
// its own strand.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, std::shared_ptr<ssl::context> context, HttpsServer& server, asio::ip::address source)
      : context_(std::move(context)), stream_(std::move(socket), *context_), server_(server), source_(source) {}

  ~Session() {
    ReleaseBodyBytes();
    server_.limits_.Release(source_);
    server_.Unregister(this);
  }

  void Run() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->Handshake(); });
  }

  void Drain() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      self->draining_ = true;
      if (self->idle_) self->Close();
    });
  }

  void Close() {
    boost::system::error_code ignored;
    beast::get_lowest_layer(stream_).socket().close(ignored);
  }

  void ForceClose() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] { self->Close(); });
  }

 private:
  const ServerOptions& limits() const { return server_.options_.server; }
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  // The deadline set here also covers the first request's head (WaitForRequest, ReadRequest): a client
  // that connects and stays silent holds a slot for requestTimeoutSeconds, not idleTimeoutSeconds.
  void Handshake() {
    lowest().expires_after(std::chrono::seconds(limits().request_timeout_seconds));
    stream_.async_handshake(ssl::stream_base::server, [self = shared_from_this()](beast::error_code ec) {
      if (ec) {
        self->server_.handshake_failures_++;
        if (ec == beast::error::timeout) self->server_.timeouts_++;
        LogDebug("TLS handshake failed", {{"error", ec.message()}});
        return;
      }
      self->WaitForRequest();
    });
  }

  // Between requests the connection may stay quiet for the idle timeout; once a request's first byte
  // arrives, the whole request must follow within the request timeout.
  void WaitForRequest() {
    if (draining_) {
      Shutdown();
      return;
    }
    if (buffer_.size() > 0) {
      ReadRequest();
      return;
    }
    idle_ = true;
    if (served_) lowest().expires_after(std::chrono::seconds(limits().idle_timeout_seconds));
    stream_.async_read_some(buffer_.prepare(8192),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->idle_ = false;
                              if (ec == beast::error::timeout && !self->served_) self->OnSilentClient();
                              if (ec) return;  // closed, idle timeout, or drained
                              self->buffer_.commit(n);
                              self->ReadRequest();
                            });
  }

  void ReadRequest() {
    parser_.emplace();
    parser_->header_limit(16 * 1024);
    parser_->body_limit(limits().max_request_bytes);
    if (served_) lowest().expires_after(std::chrono::seconds(limits().request_timeout_seconds));
    http::async_read_header(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->OnHeader(ec);
    });
  }

  // The body's bytes are reserved in the server-wide budget before they are read, so that many large
  // requests at once cannot exhaust memory: past the budget the request gets a 503.
  void OnHeader(beast::error_code ec) {
    if (ec) {
      OnRead(ec);
      return;
    }
    std::uint64_t need = parser_->chunked() ? limits().max_request_bytes : parser_->content_length().value_or(0);
    if (!server_.ReserveBodyBytes(need)) {
      server_.busy_rejections_++;
      LogWarn("request bytes in flight over the budget; request refused",
              {{"maxInFlightBytes", limits().max_in_flight_bytes}});
      Respond(503, "application/json", "{\"error\":\"injector busy: too many request bytes in flight\"}", false);
      return;
    }
    reserved_ = need;
    // The first request's head used the accept-time deadline; its body gets the usual time.
    if (!served_) lowest().expires_after(std::chrono::seconds(limits().request_timeout_seconds));
    http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec2, std::size_t) {
      self->OnRead(ec2);
    });
  }

  void ReleaseBodyBytes() {
    server_.ReleaseBodyBytes(reserved_);
    reserved_ = 0;
  }

  void OnSilentClient() {
    server_.timeouts_++;
    LogDebug("no request within the timeout of a new connection; closed",
             {{"source", source_.to_string()}, {"timeoutSeconds", limits().request_timeout_seconds}});
  }

  // Bytes of a request arrived (a silent client ends in WaitForRequest instead).
  void OnRead(beast::error_code ec) {
    if (ec == beast::error::timeout) {
      server_.timeouts_++;
      LogWarn("client stalled mid-request; connection closed",
              {{"timeoutSeconds", limits().request_timeout_seconds}});
      return;  // the tcp_stream closed the socket
    }
    if (ec == http::error::end_of_stream || ec == asio::ssl::error::stream_truncated) {
      Shutdown();
      return;
    }
    if (ec == http::error::body_limit) {
      server_.bad_requests_++;
      LogWarn("request body over the limit", {{"maxRequestBytes", limits().max_request_bytes}});
      Respond(400, "application/json",
              "{\"error\":\"request body exceeds " + std::to_string(limits().max_request_bytes) + " bytes\"}",
              false);
      return;
    }
    if (ec && ec.category() == http::make_error_code(http::error::body_limit).category()) {  // any other HTTP syntax error
      server_.bad_requests_++;
      LogWarn("malformed HTTP request", {{"error", ec.message()}});
      Respond(400, "application/json", "{\"error\":\"malformed HTTP request\"}", false);
      return;
    }
    if (ec) return;  // the peer went away

    served_ = true;
    server_.requests_++;
    auto started = std::chrono::steady_clock::now();
    const auto& req = parser_->get();
    RouteAnswer answer = RouteRequest(std::string_view(req.method_string()), std::string_view(req.target()),
                                      req.body(), !server_.draining(), server_.options_,
                                      [this] { return server_.MetricsText(); });
    if (answer.is_review) {
      server_.reviews_++;
      if (answer.status != 200) server_.bad_requests_++;
      auto micros = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
      const auto* outcome = answer.fields.if_contains("outcome");
      server_.metrics_.RecordReview(outcome != nullptr && outcome->is_string() ? std::string_view(outcome->get_string())
                                                                               : std::string_view("unknown"),
                                    static_cast<double>(micros.count()) / 1e6);
      answer.fields["status"] = answer.status;
      answer.fields["durationUs"] = micros.count();
      // The address the API server calls from: what the NetworkPolicy must admit (docs/deployment.md).
      answer.fields["source"] = source_.to_string();
      Log(answer.status == 200 ? LogLevel::kInfo : LogLevel::kWarn, "admission review", std::move(answer.fields));
    }
    bool keep_alive = req.keep_alive() && !draining_;
    bool head = req.method() == http::verb::head;
    Respond(answer.status, answer.content_type, head ? std::string() : std::move(answer.body), keep_alive);
  }

  void Respond(unsigned status, const std::string& content_type, std::string body, bool keep_alive) {
    parser_.reset();
    ReleaseBodyBytes();
    response_ = {};
    response_.version(11);
    response_.result(status);
    response_.set(http::field::server, "tcp-sniffer-injector");
    response_.set(http::field::content_type, content_type);
    response_.keep_alive(keep_alive);
    response_.body() = std::move(body);
    response_.prepare_payload();
    lowest().expires_after(std::chrono::seconds(limits().request_timeout_seconds));
    http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return;
      if (!self->response_.keep_alive()) {
        self->Shutdown();
        return;
      }
      self->WaitForRequest();
    });
  }

  void Shutdown() {
    lowest().expires_after(std::chrono::seconds(2));
    stream_.async_shutdown([self = shared_from_this()](beast::error_code) { self->Close(); });
  }

  std::shared_ptr<ssl::context> context_;  // before stream_: the stream uses it
  beast::ssl_stream<beast::tcp_stream> stream_;
  HttpsServer& server_;
  beast::flat_buffer buffer_{64 * 1024};
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  asio::ip::address source_;    // counted in the server's ConnectionLimits until destruction
  std::uint64_t reserved_ = 0;  // of the server's body budget, held until the request is answered
  bool served_ = false;         // a request was read whole: the connection has earned the idle timeout
  bool idle_ = false;
  bool draining_ = false;
};

HttpsServer::HttpsServer(asio::io_context& io, TlsCertificates& certificates, const InjectorOptions& options)
    : io_(io),
      certificates_(certificates),
      options_(options),
      strand_(asio::make_strand(io)),
      acceptor_(strand_),
      drain_deadline_(strand_),
      stats_timer_(strand_),
      limits_(options.server.max_connections, options.server.max_connections_per_source) {}

std::optional<std::string> HttpsServer::Listen(const tcp::endpoint& endpoint) {
  boost::system::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return "cannot listen on " + endpoint.address().to_string() + ":" + std::to_string(endpoint.port()) + ": " + ec.message();
  return std::nullopt;
}

unsigned short HttpsServer::port() const {
  boost::system::error_code ec;
  auto endpoint = acceptor_.local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

void HttpsServer::Start() {
  asio::post(strand_, [this] {
    Accept();
    ScheduleStatsLog();
  });
}

// The counters (including drops: refused connections, failed handshakes, timeouts) once a minute
// while there is traffic, and at stop.
void HttpsServer::ScheduleStatsLog() {
  stats_timer_.expires_after(std::chrono::seconds(60));
  stats_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || draining_) return;
    boost::json::object stats = Stats();
    if (stats != last_logged_stats_) {
      last_logged_stats_ = stats;
      LogInfo("injector stats", std::move(stats));
    }
    ScheduleStatsLog();
  });
}

void HttpsServer::Accept() {
  acceptor_.async_accept(asio::make_strand(io_), [this](boost::system::error_code ec, tcp::socket socket) {
    if (draining_) return;
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      LogWarn("accept failed", {{"error", ec.message()}});
      Accept();
      return;
    }
    boost::system::error_code ignored;
    auto source = socket.remote_endpoint(ignored).address();
    if (ignored) {  // the peer is already gone
      socket.close(ignored);
      Accept();
      return;
    }
    auto verdict = limits_.TryAdmit(source);
    if (verdict != ConnectionLimits::Verdict::kAdmitted) {
      Refuse(verdict, source);
      socket.close(ignored);
      Accept();
      return;
    }
    connections_++;
    socket.set_option(tcp::no_delay(true), ignored);
    auto session = std::make_shared<Session>(std::move(socket), certificates_.Current(), *this, source);
    Register(session.get(), session);
    session->Run();
    Accept();
  });
}

// Counted always; logged at most once a second per kind, so a flood of connections cannot flood the log.
void HttpsServer::Refuse(ConnectionLimits::Verdict verdict, const asio::ip::address& source) {
  auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
  if (verdict == ConnectionLimits::Verdict::kOverTotal) {
    std::uint64_t refused = ++connections_refused_;
    if (last_refusal_log_.exchange(now) != now) {
      LogWarn("connection limit reached; connection closed",
              {{"maxConnections", options_.server.max_connections}, {"refusedTotal", refused}});
    }
    return;
  }
  std::uint64_t refused = ++connections_refused_per_source_;
  if (last_source_refusal_log_.exchange(now) != now) {
    LogWarn("per-source connection limit reached; connection closed",
            {{"source", source.to_string()},
             {"maxConnectionsPerSource", options_.server.max_connections_per_source},
             {"refusedTotal", refused}});
  }
}

bool HttpsServer::ReserveBodyBytes(std::uint64_t bytes) {
  std::uint64_t current = body_bytes_in_flight_.load();
  do {
    if (current + bytes > options_.server.max_in_flight_bytes) return false;
  } while (!body_bytes_in_flight_.compare_exchange_weak(current, current + bytes));
  return true;
}

void HttpsServer::ReleaseBodyBytes(std::uint64_t bytes) { body_bytes_in_flight_ -= bytes; }

void HttpsServer::Register(Session* session, const std::shared_ptr<Session>& owner) {
  std::lock_guard<std::mutex> lock(sessions_mutex_);
  sessions_[session] = owner;
}

void HttpsServer::Unregister(Session* session) {
  bool last = false;
  {
    std::lock_guard<std::mutex> lock(sessions_mutex_);
    sessions_.erase(session);
    last = sessions_.empty();
  }
  if (last && draining_) {
    asio::post(strand_, [this] { drain_deadline_.cancel(); });
  }
}

void HttpsServer::Drain() {
  asio::post(strand_, [this] {
    if (draining_.exchange(true)) return;
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    stats_timer_.cancel();
    std::vector<std::shared_ptr<Session>> open;
    {
      std::lock_guard<std::mutex> lock(sessions_mutex_);
      for (auto& [raw, weak] : sessions_) {
        if (auto s = weak.lock()) open.push_back(std::move(s));
      }
    }
    LogLifecycle("draining", {{"openConnections", open.size()},
                         {"drainTimeoutSeconds", options_.server.drain_timeout_seconds}});
    for (auto& s : open) s->Drain();
    if (open.empty()) return;
    drain_deadline_.expires_after(std::chrono::seconds(options_.server.drain_timeout_seconds));
    drain_deadline_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;  // every connection finished in time
      std::vector<std::shared_ptr<Session>> left;
      {
        std::lock_guard<std::mutex> lock(sessions_mutex_);
        for (auto& [raw, weak] : sessions_) {
          if (auto s = weak.lock()) left.push_back(std::move(s));
        }
      }
      LogWarn("drain deadline reached; closing the remaining connections", {{"connections", left.size()}});
      for (auto& s : left) s->ForceClose();
      // Closing aborts every pending operation; should anything still hold the io_context, stop it
      // anyway: a drain must end.
      drain_deadline_.expires_after(std::chrono::seconds(2));
      drain_deadline_.async_wait([this](boost::system::error_code ec2) {
        if (!ec2) io_.stop();
      });
    });
  });
}

std::string HttpsServer::MetricsText() const {
  return metrics_.Text(Stats(), certificates_.reloads(), certificates_.reload_failures());
}

boost::json::object HttpsServer::Stats() const {
  return {{"connections", connections_.load()},
          {"connectionsRefused", connections_refused_.load()},
          {"connectionsRefusedPerSource", connections_refused_per_source_.load()},
          {"handshakeFailures", handshake_failures_.load()},
          {"timeouts", timeouts_.load()},
          {"requests", requests_.load()},
          {"reviews", reviews_.load()},
          {"badRequests", bad_requests_.load()},
          {"busyRejections", busy_rejections_.load()}};
}

}  // namespace injector
