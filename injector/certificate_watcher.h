// Watches the directories of the certificate and key (not the files: a Secret volume rotates by
// swapping its `..data` symlink, which a watch on the file would miss) and reloads the certificate when
// anything there changes. A slow poll backs inotify up, in case a watch is lost.
#ifndef INJECTOR_CERTIFICATE_WATCHER_H_
#define INJECTOR_CERTIFICATE_WATCHER_H_

#include "tls_certificates.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <array>
#include <chrono>

namespace injector {

class CertificateWatcher {
 public:
  CertificateWatcher(boost::asio::io_context& io, TlsCertificates& certificates,
                     std::chrono::seconds poll_interval = std::chrono::seconds(30));

  // Logs (and falls back to polling) when inotify is unavailable.
  void Start();
  // Cancels every pending wait so that the io_context can run out of work. Idempotent.
  void Stop();

 private:
  void WaitForEvents();
  void ScheduleReload();
  void SchedulePoll();

  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  TlsCertificates& certificates_;
  std::chrono::seconds poll_interval_;
  boost::asio::posix::stream_descriptor inotify_;
  boost::asio::steady_timer debounce_;
  boost::asio::steady_timer poll_;
  bool reload_pending_ = false;
  bool stopped_ = false;
  std::array<char, 4096> events_{};
};

}  // namespace injector

#endif  // INJECTOR_CERTIFICATE_WATCHER_H_
