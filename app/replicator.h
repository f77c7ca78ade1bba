// A taxpayer node's replica of the chain: pulls new blocks from the authority (long poll,
// node-signed so that the authority reveals the entries this taxpayer is party to), checks
// each one extends the local chain (ledger::BlockStore::ApplyBlock) and applies it.
//
// A block that belongs to another history, or one whose signature does not verify, raises
// the alarm: the node logs it, reports it on /healthz and /metrics, and applies nothing more
// from that source. Thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "ledger/block_store.h"

namespace app {

class Replicator {
 public:
  using Clock = std::function<uint64_t()>;
  Replicator(ledger::BlockStore& store, std::string authority_url, std::string node_id, const ledger::PrivateKey& key,
             Clock clock);
  ~Replicator();

  void Start();
  void Stop();
  // One round: fetches up to `limit` blocks after the local head (waiting up to `wait_s` for
  // new ones) and applies them. Returns how many were applied; throws on network errors.
  uint64_t SyncOnce(int wait_s, uint64_t limit = 200);

  bool alarm() const { return alarm_.load(); }
  std::string alarm_reason();
  uint64_t applied() const { return applied_.load(); }

 private:
  void Alarm(const std::string& reason);
  std::string Get(const std::string& uri, int timeout_s);  // node-signed GET; throws unless 200
  bool CheckHead(uint64_t* authority_height);              // false (and alarm) if the head lies

  ledger::BlockStore& store_;
  std::string host_;
  uint16_t port_ = 80;
  std::string node_id_;
  const ledger::PrivateKey& key_;
  Clock clock_;
  std::atomic<bool> alarm_{false};
  std::atomic<uint64_t> applied_{0};
  std::mutex mu_;
  std::string alarm_reason_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace app
