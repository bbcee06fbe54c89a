// How many connections the webhook holds, in all and per source address: the cap that keeps one peer
// (a pod that can reach the webhook port) from taking every slot the API server needs
// (docs/injector.md, "Connections"). Thread-safe: connections are accepted on one strand and end on
// their own.
#ifndef INJECTOR_CONNECTION_LIMITS_H_
#define INJECTOR_CONNECTION_LIMITS_H_

#include <boost/asio/ip/address.hpp>

#include <cstdint>
#include <map>
#include <mutex>

namespace injector {

class ConnectionLimits {
 public:
  enum class Verdict { kAdmitted, kOverTotal, kOverSource };

  ConnectionLimits(std::uint32_t max_total, std::uint32_t max_per_source)
      : max_total_(max_total), max_per_source_(max_per_source) {}

  // Counts the connection in when both caps allow it. REQUIRES: every kAdmitted is paired with one
  // Release of the same address.
  Verdict TryAdmit(const boost::asio::ip::address& source);
  void Release(const boost::asio::ip::address& source);

  std::uint32_t open() const;
  std::uint32_t open_from(const boost::asio::ip::address& source) const;

 private:
  // An IPv4 peer on a dual-stack socket shows as ::ffff:a.b.c.d; count it as the same peer either way.
  static boost::asio::ip::address Canonical(const boost::asio::ip::address& source);

  const std::uint32_t max_total_;
  const std::uint32_t max_per_source_;
  mutable std::mutex mutex_;
  std::uint32_t total_ = 0;
  std::map<boost::asio::ip::address, std::uint32_t> per_source_;  // only sources with open connections
};

}  // namespace injector

#endif  // INJECTOR_CONNECTION_LIMITS_H_
