#include "app/http/http_server.h"

#include <Poco/Net/HTTPServerConnection.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/TCPServerConnectionFactory.h>
#include <Poco/Net/TCPServerDispatcher.h>
#include <Poco/ThreadPool.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>

#include "app/base/mutex.h"

namespace app {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr size_t kMaxHeadBytes = 16384;  // a head not complete within this is refused (431)

void SendAndForget(int fd, std::string_view text) {
  // The connection is closed right after: a reply that does not fit the socket buffer at once
  // is not waited for.
  (void)::send(fd, text.data(), text.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
}

std::string Plain(int status, std::string_view reason, std::string_view type, std::string_view body) {
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\nContent-Type: " + std::string(type) +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + std::string(body);
}

}  // namespace

class HttpServer::Impl {
 public:
  Impl(const HttpServerOptions& o, Poco::Net::HTTPRequestHandlerFactory::Ptr routes, std::function<std::string()> health)
      : o_(o), routes_(std::move(routes)), health_(std::move(health)), pool_(2, o.threads + 2) {}

  void Start();
  void Stop();
  uint16_t port() const { return port_; }
  Stats stats() const {
    return Stats{accepted_.load(), refused_peer_limit_.load(), head_timeouts_.load(), deadline_shutdowns_.load(),
                 answered_busy_.load(), running_.load()};
  }

  // The pool thread's side (GuardedConnection and the static hooks).
  void Activate(Poco::Net::SocketImpl* s);
  void Deactivate(Poco::Net::SocketImpl* s);
  void SetDeadline(Poco::Net::SocketImpl* s, std::optional<SteadyClock::duration> in);
  const HttpServerOptions& options() const { return o_; }

  static thread_local Impl* tl_server;
  static thread_local Poco::Net::SocketImpl* tl_socket;

 private:
  class Connection;
  class Factory;
  struct Pending {
    Poco::Net::StreamSocket socket;
    std::string peer;
    SteadyClock::time_point deadline;
  };
  struct Active {
    Poco::Net::StreamSocket socket;
    std::string peer;
    std::optional<SteadyClock::time_point> deadline;
    bool running = false;
  };

  void Front();
  void Accept();
  bool AcceptOne();  // false when there was none to accept
  void Examine(int fd);
  void HandOff(int fd);
  void Drop(int fd);
  void CheckDeadlines();
  bool Busy() const { return running_.load() >= o_.threads || dispatcher_->queuedConnections() > 0; }

  HttpServerOptions o_;
  Poco::Net::HTTPRequestHandlerFactory::Ptr routes_;
  std::function<std::string()> health_;
  Poco::ThreadPool pool_;
  std::unique_ptr<Poco::Net::ServerSocket> listener_;
  Poco::Net::HTTPServerParams::Ptr params_;
  Poco::Net::TCPServerDispatcher* dispatcher_ = nullptr;  // reference-counted by Poco
  uint16_t port_ = 0;
  int epoll_ = -1, wake_ = -1;
  std::thread front_;
  std::atomic<bool> stopping_{false};
  std::map<int, Pending> pending_;  // the front thread's own: connections whose head is not in yet

  Mutex mu_;  // taken alone
  std::map<Poco::Net::SocketImpl*, Active> active_ GUARDED_BY(mu_);
  std::map<std::string, int> per_peer_ GUARDED_BY(mu_);
  std::atomic<int> running_{0};

  std::atomic<uint64_t> accepted_{0}, refused_peer_limit_{0}, head_timeouts_{0}, deadline_shutdowns_{0},
      answered_busy_{0};
};

thread_local HttpServer::Impl* HttpServer::Impl::tl_server = nullptr;
thread_local Poco::Net::SocketImpl* HttpServer::Impl::tl_socket = nullptr;

// Poco's HTTP connection, registered with the front while it runs so that its deadlines hold.
class HttpServer::Impl::Connection : public Poco::Net::HTTPServerConnection {
 public:
  Connection(const Poco::Net::StreamSocket& s, Poco::Net::HTTPServerParams::Ptr params,
             Poco::Net::HTTPRequestHandlerFactory::Ptr routes, Impl* server)
      : HTTPServerConnection(s, params, routes), server_(server) {}
  void run() override {
    Poco::Net::SocketImpl* s = socket().impl();
    server_->Activate(s);
    tl_server = server_;
    tl_socket = s;
    try {
      HTTPServerConnection::run();
    } catch (...) {
      // The peer went away or broke the protocol: nothing left to answer.
    }
    tl_server = nullptr;
    tl_socket = nullptr;
    server_->Deactivate(s);
  }

 private:
  Impl* server_;
};

class HttpServer::Impl::Factory : public Poco::Net::TCPServerConnectionFactory {
 public:
  explicit Factory(Impl* server) : server_(server) {}
  Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& s) override {
    return new Connection(s, server_->params_, server_->routes_, server_);
  }

 private:
  Impl* server_;
};

void HttpServer::Impl::Start() {
  params_ = new Poco::Net::HTTPServerParams;
  params_->setMaxThreads(o_.threads);
  params_->setMaxQueued(100000);  // admission is the front's; the dispatcher never drops one
  params_->setKeepAlive(true);
  params_->setKeepAliveTimeout(Poco::Timespan(o_.keep_alive_s, 0));
  params_->setMaxKeepAliveRequests(o_.max_keep_alive_requests);
  params_->setTimeout(Poco::Timespan(o_.header_timeout_s, 0));  // each read; the deadlines bound the whole
  Poco::Net::SocketAddress at(o_.host, o_.port);
  if (o_.tls) listener_ = std::make_unique<Poco::Net::SecureServerSocket>(at, 256, o_.tls);
  else listener_ = std::make_unique<Poco::Net::ServerSocket>(at, 256);
  port_ = listener_->address().port();
  // Never blocks the front: a client that gave up between epoll and accept leaves nothing to
  // accept. (Accepted sockets are blocking again, as Poco's connections expect.)
  listener_->setBlocking(false);
  dispatcher_ = new Poco::Net::TCPServerDispatcher(new Factory(this), pool_, params_);
  epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = listener_->impl()->sockfd();
  ::epoll_ctl(epoll_, EPOLL_CTL_ADD, ev.data.fd, &ev);
  ev.data.fd = wake_;
  ::epoll_ctl(epoll_, EPOLL_CTL_ADD, wake_, &ev);
  front_ = std::thread([this] { Front(); });
}

void HttpServer::Impl::Stop() {
  if (!front_.joinable()) return;
  stopping_ = true;
  uint64_t one = 1;
  (void)::write(wake_, &one, sizeof one);
  front_.join();
  pending_.clear();
  listener_->close();
  dispatcher_->stop();
  {
    MutexLock lock(mu_);
    for (auto& [impl, a] : active_) {
      try {
        a.socket.shutdown();
      } catch (const Poco::Exception&) {
      }
    }
  }
  pool_.joinAll();
  {
    MutexLock lock(mu_);
    active_.clear();
    per_peer_.clear();
  }
  dispatcher_->release();
  dispatcher_ = nullptr;
  ::close(epoll_);
  ::close(wake_);
}

void HttpServer::Impl::Front() {
  epoll_event events[64];
  while (!stopping_) {
    int n = ::epoll_wait(epoll_, events, 64, 100);
    for (int i = 0; i < n && !stopping_; ++i) {
      int fd = events[i].data.fd;
      if (fd == wake_) continue;
      if (fd == listener_->impl()->sockfd()) Accept();
      else if (pending_.count(fd)) Examine(fd);
    }
    CheckDeadlines();
  }
}

void HttpServer::Impl::Accept() {
  for (int i = 0; i < 64 && AcceptOne(); ++i) {  // a burst of them, up to 64 a turn
  }
}

bool HttpServer::Impl::AcceptOne() {
  Poco::Net::SocketAddress from;
  Poco::Net::StreamSocket s;
  try {
    s = listener_->acceptConnection(from);
  } catch (const Poco::Exception&) {
    return false;  // none waiting, the client gave up before it was accepted, or no descriptor is left now
  }
  ++accepted_;
  std::string peer = from.host().toString();
  {
    MutexLock lock(mu_);
    int& open = per_peer_[peer];
    if (o_.max_connections_per_peer > 0 && open >= o_.max_connections_per_peer) {
      ++refused_peer_limit_;
      if (!o_.tls)
        SendAndForget(s.impl()->sockfd(), Plain(429, "Too Many Requests", "application/json",
                                                "{\"error\":{\"code\":\"too_many_connections\",\"message\":"
                                                "\"too many open connections from this address\"}}"));
      return true;  // closed as `s` goes
    }
    ++open;
  }
  int fd = s.impl()->sockfd();
  pending_[fd] = Pending{s, peer, SteadyClock::now() + std::chrono::seconds(o_.header_timeout_s)};
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
  ev.data.fd = fd;
  ::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
  Examine(fd);
  return true;
}

void HttpServer::Impl::Examine(int fd) {
  char head[kMaxHeadBytes];
  ssize_t n = ::recv(fd, head, sizeof head, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) return Drop(fd);  // gone
  if (n < 0) return;  // nothing yet
  // Over TLS the bytes are a handshake: the pool thread completes it under the head deadline.
  if (o_.tls) return HandOff(fd);
  std::string_view text(head, static_cast<size_t>(n));
  size_t end = text.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (static_cast<size_t>(n) >= sizeof head) {
      SendAndForget(fd, Plain(431, "Request Header Fields Too Large", "application/json",
                              "{\"error\":{\"code\":\"head_too_large\",\"message\":\"the request head is over 16 KiB\"}}"));
      Drop(fd);
    }
    return;  // wait for the rest (edge-triggered: the next bytes wake us)
  }
  bool health = text.rfind("GET /healthz ", 0) == 0 || text.rfind("GET /healthz?", 0) == 0;
  if (health && Busy()) {
    // Every pool thread is taken: answer the health check here rather than queue it.
    (void)::recv(fd, head, end + 4, MSG_DONTWAIT);
    std::string body;
    try {
      body = health_();
    } catch (const std::exception&) {
      body = "{\"status\":\"unknown\"}";
    }
    ++answered_busy_;  // before the answer: whoever reads it may look at the count next
    SendAndForget(fd, Plain(200, "OK", "application/json", body));
    return Drop(fd);
  }
  HandOff(fd);
}

void HttpServer::Impl::HandOff(int fd) {
  auto it = pending_.find(fd);
  ::epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
  Poco::Net::StreamSocket s = it->second.socket;
  {
    MutexLock lock(mu_);
    active_[s.impl()] = Active{s, it->second.peer, std::nullopt, false};
  }
  pending_.erase(it);
  dispatcher_->enqueue(s);
}

void HttpServer::Impl::Drop(int fd) {
  auto it = pending_.find(fd);
  if (it == pending_.end()) return;
  ::epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
  {
    MutexLock lock(mu_);
    if (--per_peer_[it->second.peer] <= 0) per_peer_.erase(it->second.peer);
  }
  pending_.erase(it);  // closes the socket
}

void HttpServer::Impl::CheckDeadlines() {
  auto now = SteadyClock::now();
  for (auto it = pending_.begin(); it != pending_.end();) {
    auto next = std::next(it);
    if (it->second.deadline < now) {
      ++head_timeouts_;
      Drop(it->first);  // erases `it` only
    }
    it = next;
  }
  MutexLock lock(mu_);
  for (auto& [impl, a] : active_) {
    if (!a.running || !a.deadline || *a.deadline >= now) continue;
    a.deadline.reset();
    ++deadline_shutdowns_;
    try {
      a.socket.shutdown();  // the pool thread's read or write fails at once and it moves on
    } catch (const Poco::Exception&) {
    }
  }
}

void HttpServer::Impl::Activate(Poco::Net::SocketImpl* s) {
  ++running_;
  MutexLock lock(mu_);
  auto it = active_.find(s);
  if (it == active_.end()) return;
  it->second.running = true;
  it->second.deadline = SteadyClock::now() + std::chrono::seconds(o_.header_timeout_s);
}

void HttpServer::Impl::Deactivate(Poco::Net::SocketImpl* s) {
  --running_;
  MutexLock lock(mu_);
  auto it = active_.find(s);
  if (it == active_.end()) return;
  if (--per_peer_[it->second.peer] <= 0) per_peer_.erase(it->second.peer);
  active_.erase(it);
}

void HttpServer::Impl::SetDeadline(Poco::Net::SocketImpl* s, std::optional<SteadyClock::duration> in) {
  MutexLock lock(mu_);
  auto it = active_.find(s);
  if (it == active_.end()) return;
  if (in) it->second.deadline = SteadyClock::now() + *in;
  else it->second.deadline.reset();
}

HttpServer::HttpServer(const HttpServerOptions& options, Poco::Net::HTTPRequestHandlerFactory::Ptr routes,
                       std::function<std::string()> health)
    : impl_(std::make_unique<Impl>(options, std::move(routes), std::move(health))) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Start() { impl_->Start(); }
void HttpServer::Stop() { impl_->Stop(); }
uint16_t HttpServer::port() const { return impl_->port(); }
HttpServer::Stats HttpServer::stats() const { return impl_->stats(); }

void HttpServer::OnHeadRead(bool has_body) {
  Impl* server = Impl::tl_server;
  if (!server) return;
  if (has_body) server->SetDeadline(Impl::tl_socket, std::chrono::seconds(server->options().body_timeout_s));
  else server->SetDeadline(Impl::tl_socket, std::nullopt);
}

void HttpServer::OnBodyRead() {
  if (Impl::tl_server) Impl::tl_server->SetDeadline(Impl::tl_socket, std::nullopt);
}

void HttpServer::OnRequestDone() {
  Impl* server = Impl::tl_server;
  if (!server) return;
  const auto& o = server->options();
  server->SetDeadline(Impl::tl_socket, std::chrono::seconds(o.keep_alive_s + o.header_timeout_s));
}

}  // namespace app
