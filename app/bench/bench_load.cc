#include "app/bench/bench_load.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <stdexcept>
#include <strings.h>

namespace app::bench {
namespace {

using Clock = std::chrono::steady_clock;

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Conn {
  int fd = -1;
  size_t port_index = 0;
  bool busy = false;
  const std::string* request = nullptr;
  size_t id = 0;
  size_t sent = 0;
  int retries = 0;
  Clock::time_point t0;  // sent, or due (open loop)
  int64_t wall0 = 0;
  std::string in;
};

// What a complete response in `in` says: its length (0: not complete yet), status, and
// whether the server will close the connection after it.
struct Parsed {
  size_t length = 0;
  int status = 0;
  bool close = false;
};

Parsed ParseResponse(const std::string& in) {
  Parsed p;
  size_t end = in.find("\r\n\r\n");
  if (end == std::string::npos || in.size() < 12) return p;
  p.status = std::atoi(in.c_str() + 9);  // "HTTP/1.1 204 ..."
  size_t body = 0;
  for (size_t at = in.find("\r\n"); at < end; at = in.find("\r\n", at + 2)) {
    const char* line = in.c_str() + at + 2;
    if (strncasecmp(line, "content-length:", 15) == 0) body = std::strtoull(line + 15, nullptr, 10);
    if (strncasecmp(line, "connection:", 11) == 0 && strncasecmp(line + 11, " close", 6) == 0) p.close = true;
  }
  if (in.size() < end + 4 + body) return p;
  p.length = end + 4 + body;
  return p;
}

class Driver {
 public:
  explicit Driver(const LoadPlan& plan)
      : plan_(plan), conns_(static_cast<size_t>(plan.connections)), open_(plan.rate > 0) {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) throw std::runtime_error("epoll_create1 failed");
    idle_.resize(plan.ports.size());
    for (size_t c = 0; c < conns_.size(); ++c) {
      conns_[c].port_index = c % plan.ports.size();
      Connect(c);
      if (open_) idle_[conns_[c].port_index].push_back(c);
    }
  }
  ~Driver() {
    for (auto& c : conns_)
      if (c.fd >= 0) close(c.fd);
    close(epoll_);
  }

  LoadOutcome Run() {
    const auto start = Clock::now();
    const int64_t wall_start = WallMs();
    const auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(plan_.seconds));
    auto due_at = [&](uint64_t i) {
      return start + std::chrono::duration_cast<Clock::duration>(
                         std::chrono::duration<double>(static_cast<double>(i) / plan_.rate));
    };
    uint64_t due_count = 0, due_sent = 0;
    std::deque<Clock::time_point> due;  // open loop: requests due and not yet sent
    out_.latency_us.reserve(1 << 20);
    if (!open_)
      for (size_t c = 0; c < conns_.size(); ++c)
        if (!StartNext(c, Clock::now(), WallMs())) break;
    epoll_event events[256];
    while (true) {
      auto now = Clock::now();
      if (now >= end || out_.ran_out) stopping_ = true;
      if (open_ && !stopping_) {
        // Every request whose time has come joins the queue, then goes out on an idle
        // connection to its node (requests alternate between the nodes).
        for (auto at = due_at(due_count); at <= now; at = due_at(++due_count)) due.push_back(at);
        while (!due.empty()) {
          auto& idle = idle_[due_sent % plan_.ports.size()];
          if (idle.empty()) break;
          size_t c = idle.back();
          auto at = due.front();
          if (!StartNext(c, at, wall_start + std::chrono::duration_cast<std::chrono::milliseconds>(at - start).count()))
            break;
          idle.pop_back();
          due.pop_front();
          ++due_sent;
        }
      }
      if (stopping_ && (busy_ == 0 || now > end + std::chrono::seconds(120))) break;
      // Sleep until the next request is due (open loop), or an answer comes.
      timespec ts{0, 100000000};
      if (open_ && !stopping_) {
        auto wait_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(due_at(due_count) - Clock::now()).count();
        ts = wait_ns > 0 ? timespec{wait_ns / 1000000000, wait_ns % 1000000000} : timespec{0, 0};
      }
      int n = epoll_pwait2(epoll_, events, 256, &ts, nullptr);
      if (n < 0 && errno == ENOSYS)
        n = epoll_wait(epoll_, events, 256, static_cast<int>(ts.tv_sec * 1000 + (ts.tv_nsec + 999999) / 1000000));
      if (n < 0) {
        if (errno == EINTR) continue;
        throw std::runtime_error(std::string("epoll: ") + std::strerror(errno));
      }
      for (int k = 0; k < n; ++k) {
        size_t c = events[k].data.u32;
        if (events[k].events & EPOLLOUT) Send(c);
        if (events[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) Receive(c);
      }
    }
    out_.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return std::move(out_);
  }

 private:
  void Connect(size_t c) {
    Conn& x = conns_[c];
    if (x.fd >= 0) close(x.fd);
    x.in.clear();
    x.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(plan_.ports[x.port_index]);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (x.fd < 0 || connect(x.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(plan_.ports[x.port_index]) + ": " +
                               std::strerror(errno));
    int one = 1;
    setsockopt(x.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(x.fd, F_SETFL, fcntl(x.fd, F_GETFL) | O_NONBLOCK);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = static_cast<uint32_t>(c);
    epoll_ctl(epoll_, EPOLL_CTL_ADD, x.fd, &ev);
  }

  // Starts the connection's next request; false if there are no more.
  bool StartNext(size_t c, Clock::time_point t0, int64_t wall0) {
    Conn& x = conns_[c];
    size_t id = 0;
    const std::string* r = plan_.next(x.port_index, &id);
    if (!r) {
      out_.ran_out = true;
      return false;
    }
    x.busy = true;
    ++busy_;
    x.request = r;
    x.id = id;
    x.sent = 0;
    x.retries = 0;
    x.t0 = t0;
    x.wall0 = wall0;
    Send(c);
    return true;
  }

  void Send(size_t c) {
    Conn& x = conns_[c];
    if (!x.busy) return;
    while (x.sent < x.request->size()) {
      ssize_t n = send(x.fd, x.request->data() + x.sent, x.request->size() - x.sent, MSG_NOSIGNAL);
      if (n > 0) {
        x.sent += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        Watch(c, EPOLLIN | EPOLLOUT);
        return;
      }
      Retry(c);  // the server closed the connection
      return;
    }
    Watch(c, EPOLLIN);
  }

  void Watch(size_t c, uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u32 = static_cast<uint32_t>(c);
    epoll_ctl(epoll_, EPOLL_CTL_MOD, conns_[c].fd, &ev);
  }

  // The connection failed under a request: a new connection and one more try.
  void Retry(size_t c) {
    Conn& x = conns_[c];
    Connect(c);
    if (!x.busy) return;
    if (++x.retries > 1) {
      Finish(c, 0);
      return;
    }
    x.sent = 0;
    Send(c);
  }

  void Receive(size_t c) {
    Conn& x = conns_[c];
    char buf[16384];
    while (true) {
      ssize_t n = recv(x.fd, buf, sizeof buf, 0);
      if (n > 0) {
        x.in.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      Retry(c);  // closed (n == 0) or failed
      return;
    }
    Parsed p = ParseResponse(x.in);
    if (!x.busy || p.length == 0) return;
    x.in.erase(0, p.length);
    if (p.close) Connect(c);
    Finish(c, p.status);
  }

  // Records the answer; then the connection sends its next request (closed loop) or waits
  // for the next one due (open loop).
  void Finish(size_t c, int status) {
    Conn& x = conns_[c];
    x.busy = false;
    --busy_;
    out_.latency_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - x.t0).count());
    if (status == 0) ++out_.failed;
    else ++out_.answered;
    plan_.answered(x.id, status, x.wall0);
    if (open_) idle_[x.port_index].push_back(c);
    else if (!stopping_) StartNext(c, Clock::now(), WallMs());
  }

  const LoadPlan& plan_;
  std::vector<Conn> conns_;
  std::vector<std::vector<size_t>> idle_;  // open loop: per port, connections without a request
  int epoll_ = -1;
  const bool open_;
  bool stopping_ = false;
  size_t busy_ = 0;
  LoadOutcome out_;
};

}  // namespace

LoadOutcome DriveLoad(const LoadPlan& plan) {
  if (plan.ports.empty() || plan.connections < 1) throw std::invalid_argument("no connections to drive");
  Driver d(plan);
  return d.Run();
}

}  // namespace app::bench
