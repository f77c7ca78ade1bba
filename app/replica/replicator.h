// A taxpayer node's replica of the chain: pulls new blocks from the authority (long poll,
// node-signed so that the authority reveals the entries this taxpayer is party to), checks
// each one extends the local chain (ledger::BlockStore::ApplyBlock) and applies it.
//
// A block that belongs to another history, or one whose signature does not verify, raises
// the alarm: the node logs it, reports it on /healthz and /metrics, and applies nothing more
// from that source.
//
// With a finality policy (k of the listed witnesses, app/chain/finality.h) it applies blocks
// only up to the newest checkpoint GET /checkpoint serves with the authority's signature and
// k cosignatures, so that everything this node holds is final; a cosigned checkpoint whose
// root is not this node's at its size raises the alarm. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "app/base/mutex.h"
#include "app/chain/cosigned_record.h"
#include "app/chain/finality.h"
#include "app/chain/node_request.h"
#include "app/http/peer_link.h"
#include "ledger/block_store.h"

namespace Poco::Net {
class HTTPClientSession;
}

namespace app {

class Replicator {
 public:
  // `authority` and `signer` (this node's) must outlive the replicator.
  Replicator(ledger::BlockStore& store, const PeerLink& authority, const NodeRequestSigner& signer);
  // Applies only what is final under `policy` (enabled()) and records each newer cosigned
  // checkpoint in `record`; call before Start. About once a second it also reads each
  // listed witness's GET /witness/state (over `ca_file` for https) and raises the alarm if
  // a witness refused a checkpoint the authority signed, or cosigned one this node's chain
  // contradicts: what one node was shown, every node learns within a round.
  void SetFinality(FinalityPolicy policy, CosignedRecord* record, const std::string& ca_file = "");
  // The newest cosigned checkpoint verified (nullopt without a policy, or before the first).
  std::optional<CosignedCheckpoint> final_checkpoint() EXCLUDES(mu_);
  const FinalityPolicy& finality() const { return policy_; }
  ~Replicator();

  void Start();
  void Stop();
  // One round: fetches up to `limit` blocks after the local head (waiting up to `wait_s` for
  // new ones) and applies them. Returns how many were applied; throws on network errors.
  uint64_t SyncOnce(int wait_s, uint64_t limit = 200);
  // Catches up without waiting for new blocks: page after page of up to `limit` blocks,
  // fetching the next page while the current one is applied, until a page comes back
  // empty. Returns how many blocks were applied; throws on network errors.
  uint64_t CatchUp(uint64_t limit);

  bool alarm() const { return alarm_.load(); }
  std::string alarm_reason();
  uint64_t applied() const { return applied_.load(); }

 private:
  using Page = std::vector<ledger::BlockStore::BlockWithLeaves>;
  void Alarm(const std::string& reason);
  // Node-signed GET over `session` (kept alive between calls); throws unless 200.
  std::string Get(Poco::Net::HTTPClientSession& session, const std::string& uri, int timeout_s);
  NodeAnswer GetAnswer(Poco::Net::HTTPClientSession& session, const std::string& uri, int timeout_s);  // any status
  bool CheckHead(uint64_t* authority_height);  // false (and alarm) if the head lies
  Page Fetch(Poco::Net::HTTPClientSession& session, uint64_t from, uint64_t limit, int wait_s);
  uint64_t Apply(Page& page);  // applies what extends the chain; alarms on a conflict
  // The tree size final under the policy, from GET /checkpoint when `want` is beyond what is
  // known final; checks the checkpoint against this node's chain (alarm, and 0, if it differs).
  uint64_t FinalSize(Poco::Net::HTTPClientSession& session, uint64_t want);
  void CheckWitnesses();  // alarms on what a witness saw of another history
  // Why a checkpoint (a signed note) shows another history than this node's chain, or "".
  std::string Contradiction(const std::string& note);
  // One page or page after page (the next fetched while one is applied); the signed head
  // checked first, or (`check_head` false: the background loop) only now and then.
  uint64_t Sync(int wait_s, uint64_t limit, bool one_page, bool check_head);

  ledger::BlockStore& store_;
  const PeerLink& link_;
  const NodeRequestSigner& signer_;
  std::atomic<bool> alarm_{false};
  std::atomic<uint64_t> applied_{0};
  Mutex mu_;  // taken alone
  std::string alarm_reason_ GUARDED_BY(mu_);
  std::optional<CosignedCheckpoint> final_ GUARDED_BY(mu_);
  FinalityPolicy policy_;
  CosignedRecord* record_ = nullptr;
  uint64_t final_size_ = 0;  // the replicating thread's
  Page pending_;             // the replicating thread's: fetched blocks not final yet
  std::vector<std::unique_ptr<PeerLink>> witness_links_;  // per policy witness (null without a URL)
  std::atomic<bool> stop_{false};
  std::thread thread_;
  // Keep-alive connections to the authority: the replicating thread's, and the one the next
  // page is fetched over while a page is applied. Used by one thread at a time each.
  std::unique_ptr<Poco::Net::HTTPClientSession> session_, prefetch_session_;
  std::chrono::steady_clock::time_point last_head_check_{};     // the replicating thread's
  std::chrono::steady_clock::time_point last_witness_check_{};  // the replicating thread's
};

}  // namespace app
