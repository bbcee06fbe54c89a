// The server's certificate and key, swappable at run time (cert-manager rotates them in place).
// Each TLS connection takes the context current when it is accepted and keeps it (shared ownership),
// so a reload never disturbs open connections.
#ifndef INJECTOR_TLS_CERTIFICATES_H_
#define INJECTOR_TLS_CERTIFICATES_H_

#include <boost/asio/ssl/context.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <variant>

namespace injector {

class TlsCertificates {
 public:
  using Context = boost::asio::ssl::context;

  // Loads both files; the error names the file and OpenSSL's reason (never the key's bytes).
  static std::variant<std::unique_ptr<TlsCertificates>, std::string> Load(std::string cert_path,
                                                                          std::string key_path);

  std::shared_ptr<Context> Current() const;

  // Reads both files again; when their contents differ from what is loaded and form a valid pair, swaps
  // the context in. A pair that does not load (e.g. half written) keeps the old one and logs why.
  // Returns true when a new context was swapped in.
  bool ReloadIfChanged();

  // Reloads that swapped a new context in, and changed files that did not load (metrics).
  std::uint64_t reloads() const { return reloads_.load(); }
  std::uint64_t reload_failures() const { return reload_failures_.load(); }

  const std::string& cert_path() const { return cert_path_; }
  const std::string& key_path() const { return key_path_; }

 private:
  TlsCertificates(std::string cert_path, std::string key_path) : cert_path_(std::move(cert_path)), key_path_(std::move(key_path)) {}

  std::string cert_path_;
  std::string key_path_;
  mutable std::mutex mutex_;
  std::shared_ptr<Context> current_;
  std::string loaded_cert_;
  std::string loaded_key_;
  std::atomic<std::uint64_t> reloads_{0};
  std::atomic<std::uint64_t> reload_failures_{0};
};

}  // namespace injector

#endif  // INJECTOR_TLS_CERTIFICATES_H_
