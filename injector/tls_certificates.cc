#include "tls_certificates.h"

#include "log.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <fstream>
#include <sstream>

namespace injector {
namespace ssl = boost::asio::ssl;
namespace {

constexpr std::size_t kMaxPemBytes = 1024 * 1024;

bool ReadSmallFile(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > kMaxPemBytes) return false;
  out = text.str();
  return true;
}

// TLS 1.2 and 1.3 only; for 1.2, forward-secret AEAD suites only.
std::variant<std::shared_ptr<ssl::context>, std::string> BuildContext(const std::string& cert,
                                                                      const std::string& key,
                                                                      const std::string& cert_path,
                                                                      const std::string& key_path) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                   ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  SSL_CTX_set_cipher_list(ctx->native_handle(),
                          "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                          "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                          "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305");
  boost::system::error_code ec;
  ctx->use_certificate_chain(boost::asio::buffer(cert), ec);
  if (ec) return "--tls-cert: " + cert_path + " holds no usable PEM certificate (" + ec.message() + ")";
  ctx->use_private_key(boost::asio::buffer(key), ssl::context::pem, ec);
  if (ec && ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == X509_R_KEY_VALUES_MISMATCH) {
    return "--tls-key: " + key_path + " does not match the certificate in " + cert_path;
  }
  if (ec) return "--tls-key: " + key_path + " holds no usable PEM private key (" + ec.message() + ")";
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    return "--tls-key: " + key_path + " does not match the certificate in " + cert_path;
  }
  return ctx;
}

}  // namespace

std::variant<std::unique_ptr<TlsCertificates>, std::string> TlsCertificates::Load(std::string cert_path,
                                                                                  std::string key_path) {
  std::unique_ptr<TlsCertificates> store(new TlsCertificates(std::move(cert_path), std::move(key_path)));
  std::string cert, key;
  if (!ReadSmallFile(store->cert_path_, cert)) return "--tls-cert: cannot read " + store->cert_path_;
  if (!ReadSmallFile(store->key_path_, key)) return "--tls-key: cannot read " + store->key_path_;
  auto built = BuildContext(cert, key, store->cert_path_, store->key_path_);
  if (auto* error = std::get_if<std::string>(&built)) return *error;
  store->current_ = std::get<std::shared_ptr<ssl::context>>(built);
  store->loaded_cert_ = std::move(cert);
  store->loaded_key_ = std::move(key);
  return store;
}

std::shared_ptr<TlsCertificates::Context> TlsCertificates::Current() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return current_;
}

bool TlsCertificates::ReloadIfChanged() {
  std::string cert, key;
  if (!ReadSmallFile(cert_path_, cert) || !ReadSmallFile(key_path_, key)) {
    ++reload_failures_;
    LogWarn("certificate files unreadable; keeping the loaded certificate",
            {{"cert", cert_path_}, {"key", key_path_}});
    return false;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (cert == loaded_cert_ && key == loaded_key_) return false;
  }
  auto built = BuildContext(cert, key, cert_path_, key_path_);
  if (auto* error = std::get_if<std::string>(&built)) {
    ++reload_failures_;
    LogWarn("new certificate does not load; keeping the loaded one", {{"error", *error}});
    return false;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    current_ = std::get<std::shared_ptr<ssl::context>>(built);
    loaded_cert_ = std::move(cert);
    loaded_key_ = std::move(key);
  }
  ++reloads_;
  LogInfo("certificate reloaded", {{"cert", cert_path_}});
  return true;
}

}  // namespace injector
