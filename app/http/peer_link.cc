#include "app/http/peer_link.h"

#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/URI.h>

#include <stdexcept>

namespace app {

Poco::Net::Context::Ptr TlsClientContext(const std::string& ca_file) {
  Poco::Net::initializeSSL();
  Poco::Net::Context::Params p;
  p.caLocation = ca_file;
  p.loadDefaultCAs = ca_file.empty();
  p.verificationMode = Poco::Net::Context::VERIFY_STRICT;
  p.cipherList = kTlsCiphers;
  Poco::Net::Context::Ptr ctx = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, p);
  ctx->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
  // WARNING: without a handler of its own the context falls back to the process-wide one,
  // which may accept anything; a certificate that does not verify must always end the call.
  ctx->setInvalidCertificateHandler(new Poco::Net::RejectCertificateHandler(false));
  return ctx;
}

Poco::Net::Context::Ptr TlsServerContext(const std::string& cert_file, const std::string& key_file) {
  Poco::Net::initializeSSL();
  Poco::Net::Context::Params p;
  p.certificateFile = cert_file;
  p.privateKeyFile = key_file;
  p.verificationMode = Poco::Net::Context::VERIFY_NONE;  // clients are not asked for certificates
  p.cipherList = kTlsCiphers;
  p.loadDefaultCAs = false;
  Poco::Net::Context::Ptr ctx = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, p);
  ctx->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
  ctx->preferServerCiphers();
  return ctx;
}

PeerLink::PeerLink(const std::string& base_urls, const std::string& ca_file) {
  std::string scheme;
  size_t at = 0;
  while (at <= base_urls.size()) {
    size_t comma = base_urls.find(',', at);
    if (comma == std::string::npos) comma = base_urls.size();
    std::string base_url = base_urls.substr(at, comma - at);
    at = comma + 1;
    base_url.erase(0, base_url.find_first_not_of(' '));
    base_url.erase(base_url.find_last_not_of(' ') + 1);
    if (base_url.empty() && base_urls.find(',') != std::string::npos) continue;
    Poco::URI uri;
    try {
      uri = Poco::URI(base_url);
    } catch (const Poco::Exception& e) {
      throw std::invalid_argument("not a URL: " + base_url);
    }
    if ((uri.getScheme() != "http" && uri.getScheme() != "https") || uri.getHost().empty())
      throw std::invalid_argument("a node URL is http://host:port or https://host:port, not " + base_url);
    if (!scheme.empty() && uri.getScheme() != scheme)
      throw std::invalid_argument("a list of node URLs is all http or all https: " + base_urls);
    scheme = uri.getScheme();
    peers_.push_back({uri.getHost(), uri.getPort()});
  }
  if (peers_.empty()) throw std::invalid_argument("no node URL given");
  if (scheme == "https") context_ = TlsClientContext(ca_file);
}

void PeerLink::Failover() const {
  if (peers_.size() > 1) ++current_;
}

std::unique_ptr<Poco::Net::HTTPClientSession> PeerLink::NewSession(int timeout_ms) const {
  std::unique_ptr<Poco::Net::HTTPClientSession> s;
  if (context_) {
    auto https = std::make_unique<Poco::Net::HTTPSClientSession>(Current().host, Current().port, context_);
    // A lazy handshake runs inside the first send, under the timeout; an eager one that
    // stalls is noticed only by the first read, after several timeouts.
    Poco::Net::SecureStreamSocket(https->socket()).setLazyHandshake(true);
    s = std::move(https);
  } else {
    s = std::make_unique<Poco::Net::HTTPClientSession>(Current().host, Current().port);
  }
  s->setTimeout(Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(timeout_ms) * 1000));
  return s;
}

std::string PeerLink::Describe() const {
  return (secure() ? "https://" : "http://") + Current().host + ":" + std::to_string(Current().port);
}

}  // namespace app
