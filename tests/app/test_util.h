// Helpers for app tests: run a command and capture its output, a temp folder, HTTP GET.
#pragma once

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <map>
#include <memory>
#include <string>

#include "app/chain/node_request.h"

namespace apptest {

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

inline CommandResult RunCommand(const std::string& command) {
  CommandResult r;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) r.output.append(buf, n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "einvoice-app-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Test certificates made with the openssl CLI: a CA, a certificate for 127.0.0.1 (and
// localhost) it signs, and an unrelated CA. Paths of the PEM files.
struct TestPki {
  std::string ca, cert, key, other_ca;
};
inline TestPki MakeTestPki(const std::string& dir) {
  auto run = [](const std::string& cmd) {
    auto r = apptest::RunCommand(cmd);
    if (r.exit_code != 0) throw std::runtime_error(cmd + ": " + r.output);
  };
  TestPki p{dir + "/ca.pem", dir + "/server.pem", dir + "/server.key", dir + "/other-ca.pem"};
  for (const std::string& name : {std::string("ca"), std::string("other-ca")})
    run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=" + name + " -keyout " +
        dir + "/" + name + ".key -out " + dir + "/" + name + ".pem -addext basicConstraints=critical,CA:TRUE "
        "-addext keyUsage=critical,keyCertSign,cRLSign");
  std::ofstream(dir + "/server.ext") << "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                                        "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n";
  run("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost -keyout " + p.key +
      " -out " + dir + "/server.csr");
  run("openssl x509 -req -in " + dir + "/server.csr -CA " + p.ca + " -CAkey " + dir + "/ca.key -CAcreateserial -days 2 -out " +
      p.cert + " -extfile " + dir + "/server.ext");
  return p;
}

struct HttpResult {
  int status = 0;
  std::string body;
  std::string content_type;
  std::string set_cookie, location, reason;  // Set-Cookie, Location, the status line's reason phrase
};

// When set, Http speaks HTTPS with this context (tests of nodes that serve TLS).
inline Poco::Net::Context::Ptr& ClientTls() {
  static Poco::Net::Context::Ptr tls;
  return tls;
}

// One exchange with 127.0.0.1:port, over HTTPS with `tls` (else HTTP); a Content-Length is
// sent with every POST.
inline HttpResult HttpWith(const Poco::Net::Context::Ptr& tls, uint16_t port, const std::string& method,
                           const std::string& uri, const std::string& body = "",
                           const std::map<std::string, std::string>& headers = {}) {
  std::unique_ptr<Poco::Net::HTTPClientSession> session;
  if (tls) session = std::make_unique<Poco::Net::HTTPSClientSession>("127.0.0.1", port, tls);
  else session = std::make_unique<Poco::Net::HTTPClientSession>("127.0.0.1", port);
  Poco::Net::HTTPClientSession& s = *session;
  Poco::Net::HTTPRequest req(method, uri, Poco::Net::HTTPMessage::HTTP_1_1);
  for (const auto& [k, v] : headers) req.set(k, v);
  if (!body.empty() && !req.has("Content-Type")) req.setContentType("application/json");
  if (!body.empty() || method == "POST") req.setContentLength64(static_cast<Poco::Int64>(body.size()));
  s.sendRequest(req) << body;
  Poco::Net::HTTPResponse resp;
  std::istream& in = s.receiveResponse(resp);
  HttpResult r;
  r.status = resp.getStatus();
  r.content_type = resp.getContentType();
  r.set_cookie = resp.get("Set-Cookie", "");
  r.location = resp.get("Location", "");
  r.reason = resp.getReason();
  Poco::StreamCopier::copyToString(in, r.body);
  return r;
}

// The same with ClientTls().
inline HttpResult Http(uint16_t port, const std::string& method, const std::string& uri, const std::string& body = "",
                       const std::map<std::string, std::string>& headers = {}) {
  return HttpWith(ClientTls(), port, method, uri, body, headers);
}

inline HttpResult Request(uint16_t port, const std::string& method, const std::string& uri, const std::string& body = "") {
  return Http(port, method, uri, body);
}

// The X-Node-* headers of a request signed by node `node` with `key` at `now_ms` (a fresh
// nonce each call), as app/chain/node_request.h defines them.
inline std::map<std::string, std::string> NodeSigned(const std::string& node, const ledger::PrivateKey& key,
                                                     const std::string& method, const std::string& uri,
                                                     const std::string& body, uint64_t now_ms) {
  return app::NodeRequestSigner(node, key, [now_ms] { return now_ms; }).Headers(method, uri, body);
}

}  // namespace apptest
