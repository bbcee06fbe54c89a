#include "certificate_watcher.h"

#include "log.h"

#include <boost/asio/post.hpp>

#include <sys/inotify.h>
#include <unistd.h>

#include <filesystem>
#include <set>

namespace injector {
namespace asio = boost::asio;

CertificateWatcher::CertificateWatcher(asio::io_context& io, TlsCertificates& certificates,
                                       std::chrono::seconds poll_interval)
    : strand_(asio::make_strand(io)),
      certificates_(certificates),
      poll_interval_(poll_interval),
      inotify_(strand_),
      debounce_(strand_),
      poll_(strand_) {}

void CertificateWatcher::Start() {
  asio::post(strand_, [this] {
    SchedulePoll();
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) {
      LogWarn("inotify unavailable; the certificate is reloaded by polling only");
      return;
    }
    inotify_.assign(fd);
    std::set<std::string> dirs;
    for (const auto& path : {certificates_.cert_path(), certificates_.key_path()}) {
      std::filesystem::path dir = std::filesystem::path(path).parent_path();
      dirs.insert(dir.empty() ? "." : dir.string());
    }
    for (const auto& dir : dirs) {
      int wd = inotify_add_watch(fd, dir.c_str(),
                                 IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_CLOSE_WRITE | IN_DELETE | IN_ATTRIB);
      if (wd < 0) LogWarn("cannot watch the certificate directory; polling only", {{"directory", dir}});
    }
    WaitForEvents();
  });
}

void CertificateWatcher::Stop() {
  asio::post(strand_, [this] {
    stopped_ = true;
    boost::system::error_code ignored;
    inotify_.close(ignored);
    debounce_.cancel();
    poll_.cancel();
  });
}

void CertificateWatcher::WaitForEvents() {
  inotify_.async_wait(asio::posix::stream_descriptor::wait_read, [this](boost::system::error_code ec) {
    if (ec || stopped_) return;
    // Drain what is queued; the events themselves do not matter, only that something changed.
    while (::read(inotify_.native_handle(), events_.data(), events_.size()) > 0) {
    }
    ScheduleReload();
    WaitForEvents();
  });
}

// A rotation is several events (new files, a symlink swap); reload once they have settled.
void CertificateWatcher::ScheduleReload() {
  if (reload_pending_) return;
  reload_pending_ = true;
  debounce_.expires_after(std::chrono::milliseconds(200));
  debounce_.async_wait([this](boost::system::error_code ec) {
    reload_pending_ = false;
    if (ec || stopped_) return;
    certificates_.ReloadIfChanged();
  });
}

void CertificateWatcher::SchedulePoll() {
  poll_.expires_after(poll_interval_);
  poll_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopped_) return;
    certificates_.ReloadIfChanged();
    SchedulePoll();
  });
}

}  // namespace injector
