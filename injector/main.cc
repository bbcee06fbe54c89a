// tcp-sniffer-injector: the mutating admission webhook that adds the sniffer sidecar to labelled pods.
//   tcp-sniffer-injector --listen ADDR:PORT --tls-cert FILE --tls-key FILE [--config FILE]
// Exit codes: 0 clean stop (SIGTERM/SIGINT drain), 1 configuration error (the field is named),
// 2 runtime error (the address cannot be used).
#include "certificate_watcher.h"
#include "https_server.h"
#include "injector_options.h"
#include "log.h"
#include "tls_certificates.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>
#include <cstdio>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#ifndef TCP_SNIFFER_VERSION
#define TCP_SNIFFER_VERSION "0.0.0"
#endif

namespace {

namespace asio = boost::asio;
using namespace injector;

constexpr const char* kUsage =
    "usage: tcp-sniffer-injector --listen ADDR:PORT --tls-cert FILE --tls-key FILE [--config FILE]\n"
    "  --listen    address and port to serve HTTPS on, e.g. 0.0.0.0:8443 or [::]:8443\n"
    "  --tls-cert  PEM certificate chain (reloaded when its directory changes)\n"
    "  --tls-key   PEM private key\n"
    "  --config    JSON options file (see docs/injector.md); built-in defaults otherwise\n";

struct Flags {
  std::string listen, cert, key, config;
};

int ConfigError(const std::string& message) {
  LogError("configuration error", {{"error", message}});
  return 1;
}

std::optional<asio::ip::tcp::endpoint> ParseListen(const std::string& text) {
  std::string host, port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') return std::nullopt;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  unsigned long p = std::stoul(port);
  if (p > 65535) return std::nullopt;
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host.empty() ? "0.0.0.0" : host, ec);
  if (ec) return std::nullopt;
  return asio::ip::tcp::endpoint(address, static_cast<unsigned short>(p));
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (arg == "--version") {
      std::puts(TCP_SNIFFER_VERSION);
      return 0;
    }
    std::string* target = arg == "--listen" ? &flags.listen
                          : arg == "--tls-cert" ? &flags.cert
                          : arg == "--tls-key" ? &flags.key
                          : arg == "--config" ? &flags.config
                                              : nullptr;
    if (target == nullptr) return ConfigError(arg + ": unknown flag (see --help)");
    if (i + 1 >= argc) return ConfigError(arg + ": needs a value");
    *target = argv[++i];
  }
  if (flags.listen.empty()) return ConfigError("--listen: required (ADDR:PORT)");
  if (flags.cert.empty()) return ConfigError("--tls-cert: required");
  if (flags.key.empty()) return ConfigError("--tls-key: required");
  auto endpoint = ParseListen(flags.listen);
  if (!endpoint) return ConfigError("--listen: must be ADDR:PORT with an IP address and a port 0-65535");

  InjectorOptions options;
  if (!flags.config.empty()) {
    OptionsResult loaded = LoadOptionsFile(flags.config);
    if (auto* error = std::get_if<std::string>(&loaded)) {
      return ConfigError(error->rfind("--config", 0) == 0 ? *error : "--config " + flags.config + ": " + *error);
    }
    options = std::get<InjectorOptions>(loaded);
  }
  SetLogLevel(LogLevelFromName(options.server.log_level));

  auto loaded_certs = TlsCertificates::Load(flags.cert, flags.key);
  if (auto* error = std::get_if<std::string>(&loaded_certs)) return ConfigError(*error);
  auto certificates = std::move(std::get<std::unique_ptr<TlsCertificates>>(loaded_certs));

  asio::io_context io(static_cast<int>(options.server.threads));
  HttpsServer server(io, *certificates, options);
  if (auto error = server.Listen(*endpoint)) {
    LogError("cannot start", {{"error", *error}});
    return 2;
  }
  CertificateWatcher watcher(io, *certificates);
  watcher.Start();
  server.Start();

  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](boost::system::error_code ec, int signal) {
    if (ec) return;
    LogLifecycle("signal received; draining", {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"}});
    watcher.Stop();
    server.Drain();
  });

  boost::json::object started{{"listen", flags.listen},
                              {"port", server.port()},
                              {"tlsCert", flags.cert},
                              {"image", options.image},
                              {"sidecarName", options.sidecar_name},
                              {"nativeSidecar", options.native_sidecar},
                              {"threads", options.server.threads},
                              {"version", TCP_SNIFFER_VERSION}};
  if (options.token_secret) started["tokenSecret"] = options.token_secret->name;  // a name, not a value
  LogLifecycle("injector started", std::move(started));

  std::vector<std::thread> workers;
  for (std::uint32_t i = 1; i < options.server.threads; ++i) workers.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : workers) t.join();

  LogLifecycle("injector stopped", server.Stats());
  return 0;
}
