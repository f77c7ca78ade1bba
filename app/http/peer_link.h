// How a node reaches another node (or a tool reaches a node): a base URL, http:// or
// https://. Over https the peer's certificate must chain to the configured CA (the system's
// CAs when none is configured) and name the URL's host (Poco's VERIFY_STRICT, which also
// checks 127.0.0.1 against the certificate's IP addresses); a peer that fails that is never
// sent a byte of the request. TLS 1.2 or newer, forward-secret AEAD ciphers only.
// Thread-safe: sessions are independent; the TLS context is shared.
#pragma once

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>

#include <atomic>
#include <cstdint>
#include <vector>
#include <memory>
#include <string>

namespace app {

// The TLS cipher list for TLS 1.2 (TLS 1.3 keeps OpenSSL's own, all AEAD).
inline constexpr const char* kTlsCiphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// A client context that verifies servers against `ca_file` (PEM; empty: the system's CAs).
Poco::Net::Context::Ptr TlsClientContext(const std::string& ca_file);
// A server context with the node's certificate chain and key (PEM files).
Poco::Net::Context::Ptr TlsServerContext(const std::string& cert_file, const std::string& key_file);

// A link may name several URLs, comma-separated (the members of an authority group, any
// of which serves reads and passes writes to its leader): sessions go to the current one,
// and Failover() moves on to the next when it stopped answering.
class PeerLink {
 public:
  // Throws std::invalid_argument for a URL that is not http(s)://host[:port], or a list that
  // mixes http and https.
  explicit PeerLink(const std::string& base_urls, const std::string& ca_file = "");
  // A new session to the current peer, with `timeout_ms` for connecting, the handshake and each read.
  std::unique_ptr<Poco::Net::HTTPClientSession> NewSession(int timeout_ms) const;
  bool secure() const { return context_ != nullptr; }
  const std::string& host() const { return Current().host; }
  uint16_t port() const { return Current().port; }
  std::string Describe() const;  // scheme://host:port of the current peer, for logs
  size_t size() const { return peers_.size(); }
  // Moves on to the next URL of the list (nothing with one URL). Thread-safe.
  void Failover() const;

 private:
  struct Peer {
    std::string host;
    uint16_t port = 80;
  };
  const Peer& Current() const { return peers_[current_.load() % peers_.size()]; }
  std::vector<Peer> peers_;
  mutable std::atomic<size_t> current_{0};
  Poco::Net::Context::Ptr context_;  // null for http
};

}  // namespace app
