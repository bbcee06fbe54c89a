// The webhook's HTTPS server (Boost.Beast over OpenSSL): accepts TLS connections, reads one request at a
// time per connection with bounded size and time, answers through RouteRequest, and drains on demand.
//
// Bounds: at most server.maxConnections connections, and server.maxConnectionsPerSource from one
// address (more are closed at once, counted and logged); a request body of at most
// server.maxRequestBytes (a 400 beyond it), and at most server.maxInFlightBytes of request bodies at once
// across connections (a 503 beyond it); a new connection must finish its TLS handshake and send the head
// of its first request within server.requestTimeoutSeconds of being accepted, and any later request
// must complete within it once its first byte arrived (a stalled or silent client is disconnected); a
// kept-alive connection that has served a request is closed after server.idleTimeoutSeconds idle.
#ifndef INJECTOR_HTTPS_SERVER_H_
#define INJECTOR_HTTPS_SERVER_H_

#include "connection_limits.h"
#include "injector_metrics.h"
#include "injector_options.h"
#include "tls_certificates.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/json/object.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace injector {

class Session;

class HttpsServer {
 public:
  HttpsServer(boost::asio::io_context& io, TlsCertificates& certificates, const InjectorOptions& options);

  // Binds and listens; an error message when the address cannot be used.
  std::optional<std::string> Listen(const boost::asio::ip::tcp::endpoint& endpoint);
  void Start();
  // The bound port (useful with port 0).
  unsigned short port() const;

  // Stops accepting, answers requests in flight (with Connection: close), closes idle connections,
  // and closes whatever is left after server.drainTimeoutSeconds. The io_context then runs out of
  // work. Safe from any thread; idempotent.
  void Drain();

  bool draining() const { return draining_.load(); }
  boost::json::object Stats() const;
  // GET /metrics: the review metrics, the TLS reloads and Stats().
  std::string MetricsText() const;

 private:
  friend class Session;

  void Accept();
  void ScheduleStatsLog();
  void Refuse(ConnectionLimits::Verdict verdict, const boost::asio::ip::address& source);
  bool ReserveBodyBytes(std::uint64_t bytes);
  void ReleaseBodyBytes(std::uint64_t bytes);
  void Register(Session* session, const std::shared_ptr<Session>& owner);
  void Unregister(Session* session);

  boost::asio::io_context& io_;
  TlsCertificates& certificates_;
  const InjectorOptions& options_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer drain_deadline_;
  boost::asio::steady_timer stats_timer_;
  boost::json::object last_logged_stats_;
  std::atomic<bool> draining_{false};

  ConnectionLimits limits_;
  mutable std::mutex sessions_mutex_;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions_;

  std::atomic<std::uint64_t> connections_{0};
  std::atomic<std::uint64_t> connections_refused_{0};
  std::atomic<std::uint64_t> connections_refused_per_source_{0};
  std::atomic<std::int64_t> last_source_refusal_log_{0};
  std::atomic<std::uint64_t> handshake_failures_{0};
  std::atomic<std::uint64_t> timeouts_{0};
  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::uint64_t> reviews_{0};
  std::atomic<std::uint64_t> bad_requests_{0};
  std::atomic<std::uint64_t> busy_rejections_{0};
  std::atomic<std::uint64_t> body_bytes_in_flight_{0};
  std::atomic<std::int64_t> last_refusal_log_{0};
  InjectorMetrics metrics_;
};

}  // namespace injector

#endif  // INJECTOR_HTTPS_SERVER_H_
