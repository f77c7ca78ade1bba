// A real etcd cluster for tests: N members (etcd 3.4, EINVOICE_ETCD) as separate processes
// on loopback ports, each with its own data dir (<root>/m<i>) and log (<root>/etcd-<i>.log),
// on short timings (heartbeat 50 ms, election timeout 500 ms: a lost leader is replaced
// within about a second; the smallest lease TTL is then 1 s).
#pragma once

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "app/group/etcd_client.h"
#include "app/node/node_process.h"

namespace cluster {

class EtcdCluster {
 public:
  // Starts `n` members under `root` (created if missing) and waits until each serves a
  // linearizable read and a put goes through; throws std::runtime_error if not within 15 s.
  explicit EtcdCluster(const std::string& root, int n = 3) : root_(root) {
    std::filesystem::create_directories(root_);
    static std::atomic<int> clusters{0};
    token_ = "einvoice-test-" + std::to_string(getpid()) + "-" + std::to_string(clusters++) + "-" +
             std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
    std::set<uint16_t> taken;
    auto port = [&] {
      for (;;)
        if (uint16_t p = app::cli::FreeLoopbackPort(); taken.insert(p).second) return p;
    };
    for (int i = 0; i < n; ++i) members_.push_back({port(), port(), -1});
    for (int i = 0; i < n; ++i) initial_cluster_ += (i ? "," : "") + Name(i) + "=" + PeerUrl(i);
    for (int i = 0; i < n; ++i) Spawn(i);
    try {
      for (int i = 0; i < n; ++i) WaitServing(i);
      app::EtcdClient(Endpoints()).Put("/einvoice-test/ready", "1");
    } catch (...) {
      KillAll();
      throw;
    }
  }
  ~EtcdCluster() { KillAll(); }
  EtcdCluster(const EtcdCluster&) = delete;
  EtcdCluster& operator=(const EtcdCluster&) = delete;

  int size() const { return static_cast<int>(members_.size()); }
  std::string ClientUrl(int i) const { return "http://127.0.0.1:" + std::to_string(members_.at(i).client_port); }
  // Every member's client URL, comma-separated.
  std::string ClientUrls() const {
    std::string urls;
    for (int i = 0; i < size(); ++i) urls += (i ? "," : "") + ClientUrl(i);
    return urls;
  }
  std::vector<std::string> Endpoints() const {
    std::vector<std::string> urls;
    for (int i = 0; i < size(); ++i) urls.push_back(ClientUrl(i));
    return urls;
  }
  std::string LogFile(int i) const { return root_ + "/etcd-" + std::to_string(i) + ".log"; }

  // SIGKILL to member i, and waits for it (nothing if it is not running).
  void Stop(int i) {
    Member& m = members_.at(i);
    if (m.pid <= 0) return;
    kill(m.pid, SIGKILL);
    waitpid(m.pid, nullptr, 0);
    m.pid = -1;
  }
  // Restarts member i on its data dir and ports (the same flags: with a data dir etcd ignores
  // --initial-cluster-state and rejoins as the member it was), and waits until it serves a
  // linearizable read, which needs a leader. Nothing if it is running.
  void Start(int i) {
    if (running(i)) return;
    Spawn(i);
    WaitServing(i);
  }
  bool running(int i) {
    Member& m = members_.at(i);
    if (m.pid > 0 && waitpid(m.pid, nullptr, WNOHANG) == m.pid) m.pid = -1;
    return m.pid > 0;
  }

 private:
  struct Member {
    uint16_t client_port, peer_port;
    pid_t pid;
  };
  static std::string Name(int i) { return "m" + std::to_string(i); }
  std::string PeerUrl(int i) const { return "http://127.0.0.1:" + std::to_string(members_.at(i).peer_port); }

  void Spawn(int i) {
    members_.at(i).pid = app::cli::SpawnProcess(
        EINVOICE_ETCD,
        {"--name", Name(i), "--data-dir", root_ + "/" + Name(i), "--listen-client-urls", ClientUrl(i),
         "--advertise-client-urls", ClientUrl(i), "--listen-peer-urls", PeerUrl(i), "--initial-advertise-peer-urls",
         PeerUrl(i), "--initial-cluster", initial_cluster_, "--initial-cluster-state", "new",
         "--initial-cluster-token", token_, "--heartbeat-interval", "50", "--election-timeout", "500"},
        LogFile(i));
  }

  // Until member i answers a linearizable read by itself (a leader is known and reachable).
  // A member just started stalls its first requests up to ~2 s (its JSON gateway's own gRPC
  // connection backs off): short timeouts, retried.
  void WaitServing(int i) {
    app::EtcdClient client({ClientUrl(i)}, 500);
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    std::string last;
    while (std::chrono::steady_clock::now() < until) {
      if (!running(i)) throw std::runtime_error("etcd member " + std::to_string(i) + " exited; see " + LogFile(i));
      try {
        client.Get("/einvoice-test/ready");
        return;
      } catch (const app::EtcdError& e) {
        last = e.what();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    throw std::runtime_error("etcd member " + std::to_string(i) + " does not serve: " + last + "; see " + LogFile(i));
  }

  void KillAll() {
    for (int i = 0; i < size(); ++i) Stop(i);
  }

  std::string root_, token_, initial_cluster_;
  std::vector<Member> members_;
};

}  // namespace cluster
