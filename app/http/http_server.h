// The node's HTTP(S) server: Poco's HTTP connection handling behind a front that no client
// can stall. Poco serves one connection per pool thread; left alone, 40 idle sockets or a
// client sending a byte every few seconds hold every thread (issue 16, finding 3). So:
//
// - One front thread (epoll) accepts connections and holds each until its request head
//   has arrived in full (plain HTTP: peeked, not read) or, over TLS, until its first bytes
//   have. Only then does a pool thread take it. A head not complete within
//   header_timeout_s is dropped without ever costing a thread.
// - Connections per peer address are bounded (429 beyond, then close).
// - While every pool thread is busy, the front answers GET /healthz itself.
// - On the pool thread, deadlines hold for each later request head of a kept-alive
//   connection (keep-alive plus header timeout) and for reading a body (body_timeout_s):
//   the front shuts the socket of a connection past its deadline.
//
// In production a proxy (nginx, app/README.md "Production") still sits in front; this keeps a
// node serving when one does not. Thread-safe.
#pragma once

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace app {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0: any free port
  int threads = 32;
  int keep_alive_s = 5;
  int max_keep_alive_requests = 1000;
  int header_timeout_s = 5;
  int body_timeout_s = 15;
  int max_connections_per_peer = 16;  // 0: no limit
  Poco::Net::Context::Ptr tls;        // null: plain HTTP
};

class HttpServer {
 public:
  // `health`: the body of GET /healthz, answered by the front while the pool is busy.
  HttpServer(const HttpServerOptions& options, Poco::Net::HTTPRequestHandlerFactory::Ptr routes,
             std::function<std::string()> health);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  void Start();  // binds and serves; throws Poco::Exception if the address cannot be bound
  void Stop();   // stops accepting, ends every connection, joins the threads
  uint16_t port() const;

  struct Stats {
    uint64_t accepted = 0, refused_peer_limit = 0, head_timeouts = 0, deadline_shutdowns = 0, answered_busy = 0;
    int running = 0;  // connections a serving thread holds now
  };
  Stats stats() const;

  // Called on the thread serving a request, to say which deadline applies now.
  static void OnHeadRead(bool has_body);  // the head is in: the body's deadline, or none
  static void OnBodyRead();               // the body is in: no deadline while it is handled
  static void OnRequestDone();            // back to waiting for the next head (keep-alive)

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace app
