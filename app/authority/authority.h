// The authority's sealer: the single writer of the chain. It keeps the lifecycle state
// machine in step with the chain (saved after every block, see LifecycleStore), checks every
// submitted entry (canonical envelope, submitter signature, the submitter's registered node key, the
// lifecycle rules) and seals the accepted ones in one durable block per batch. Refused
// entries never reach the chain; each gets its typed reason back. Thread-safe.
#pragma once

#include <Poco/JSON/Array.h>

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "invoice/admission.h"
#include "invoice/lifecycle.h"
#include "tax/filing.h"
#include "ledger/block_store.h"
#include "ledger/signed_head_file.h"
#include "app/chain/lifecycle_store.h"

namespace app {

struct EntryOutcome {
  std::string leaf_hash;       // hex
  bool sealed = false;         // true also when it was already on the chain (idempotent)
  uint64_t height = 0;         // the block that sealed it
  uint64_t leaf_index = 0;
  invoice::Verdict verdict;    // why it was refused, or what an apply was granted
  std::vector<tax::Difference> differences;  // a refused filing: each figure that differs from the chain
};

// A refused filing's differences as the API shows them: [{figure, filed, chain}, …].
Poco::JSON::Array::Ptr DifferencesJson(const std::vector<tax::Difference>& differences);

// Where the authority keeps its newest signed head: node.head beside node.db.
std::string SignedHeadPath(const std::string& node_db);

class Authority {
 public:
  // `lifecycle_db`: the database file to keep the lifecycle in (LifecyclePath).
  // `signed_head_file`: where the newest signed head is kept apart from the chain
  // (SignedHeadPath); throws if it cannot be opened.
  Authority(ledger::BlockStore& store, const ledger::PrivateKey& key, const std::string& lifecycle_db,
            const std::string& signed_head_file);

  // Brings the lifecycle up to the chain's head: loads the saved state and replays the
  // blocks sealed after it. Throws if the chain holds an entry the
  // rules refuse (the store is not this authority's). Then compares the chain with the
  // newest head this authority signed (see sealing_refused).
  void Replay();
  // WARNING: an authority must never sign two different blocks at one height. Sealing is
  // refused (Submit throws ApiError 503 sealing_refused) once the chain is found behind, or
  // beside, a head this authority signed: its own record (signed_head_file) or a head a
  // taxpayer node holds (NoteReportedHead). Only an operator can end that state, by
  // restoring a database that holds those blocks. Empty while sealing is allowed.
  std::string sealing_refused();
  // A head a taxpayer node says it holds (X-Node-Head of its signed requests). Ignored unless
  // this authority's signature on it verifies; then, if the chain does not hold exactly that
  // block, the head is recorded and sealing is refused.
  void NoteReportedHead(const ledger::SignedHeader& head, const std::string& reporter);
  // How the last Replay went: the blocks and entries it replayed, and whether the saved
  // state had to be rebuilt from the start.
  struct ReplayReport {
    uint64_t from_height = 0, to_height = 0, entries = 0;
    bool rebuilt = false;
  };
  ReplayReport last_replay() const { return last_replay_; }

  // Checks and seals `entries` (canonical envelopes). Group commit: submissions that arrive
  // while a block is being sealed wait and are sealed together in the next block (up to
  // kMaxBlockEntries), so the fsync of one block serves many submitters.
  std::vector<EntryOutcome> Submit(const std::vector<ledger::Bytes>& entries, uint64_t now_ms);
  static constexpr size_t kMaxBlockEntries = 2000;

  // Registers a taxpayer: an authority-signed `register` entry, sealed.
  EntryOutcome Register(const invoice::RegisterEvent& event, uint64_t now_ms);

  // Whether taxpayer `tax_id` may read this entry in full: it submitted it, or it is the
  // seller, the buyer or the claimant of the invoice the entry is about.
  bool MayRead(const std::string& tax_id, const ledger::Bytes& entry);
  // Blocks until the chain's height reaches `height` or `timeout_ms` passes; true if it did.
  bool WaitForHeight(uint64_t height, int timeout_ms);

  // The leaf that sealed invoice `no`'s issue event, if any.
  std::optional<uint64_t> LeafOfInvoice(const std::string& no);

  // How far an event's time may be from its block's (invoice/admission.h); set before use.
  void SetTimeLimits(const invoice::TimeLimits& limits) { time_limits_ = limits; }
  // Where refused entries are recorded for the audit (may stay null: nothing recorded).
  void SetAuditStore(class AuditStore* audit) { audit_ = audit; }

  // Runs `f` with the lifecycle under the lock (read-only use).
  template <typename F>
  auto WithLifecycle(F f) {
    std::lock_guard lock(mu_);
    if (lifecycle_.InvoicesInMemory() > kInvoicesKeptInMemory) lifecycle_.Trim();  // no reader holds a pointer here
    return f(static_cast<const invoice::Lifecycle&>(lifecycle_));
  }

 private:
  std::vector<EntryOutcome> SubmitLocked(const std::vector<ledger::Bytes>& entries, const std::vector<uint8_t>& signature_ok,
                                         uint64_t now_ms);
  std::vector<EntryOutcome> SealBatchLocked(const std::vector<ledger::Bytes>& entries,
                                            const std::vector<uint8_t>& signature_ok, uint64_t now_ms, bool* applied);
  void ReplayLocked();
  // Compares the chain with `head` (a head this authority signed) and refuses sealing if
  // the chain does not hold it; records the chain's head when that is newer.
  void CheckSignedHeadLocked(const ledger::SignedHeader& head, const std::string& source);
  void RefuseSealingLocked(const std::string& why);
  // Saves what the lifecycle changed up to block `head` (kept pending on failure, to be
  // saved with the next block); false if that failed.
  bool SaveLocked(const ledger::SignedHeader& head);
  // Checks one entry; on acceptance applies it to `scratch` (the state as of this batch).
  invoice::Verdict CheckEntry(const ledger::Bytes& bytes, bool signature_ok, invoice::Lifecycle& scratch,
                              const invoice::Place& place,
                              std::vector<tax::Difference>* differences);
  std::optional<invoice::NumberRange> GrantOfEntry(const ledger::Bytes& bytes) const;
  void RecordRefusal(const ledger::Bytes& bytes, const EntryOutcome& o, uint64_t now_ms);
  class AuditStore* audit_ = nullptr;
  invoice::TimeLimits time_limits_;

  struct Waiting {
    const std::vector<ledger::Bytes>* entries;
    const std::vector<uint8_t>* signature_ok;  // per entry, checked before queueing
    std::vector<EntryOutcome> out;
    bool done = false;
  };
  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<Waiting*> queue_;  // the front one seals for itself and those behind it

  std::mutex mu_;
  ledger::BlockStore& store_;
  const ledger::PrivateKey& key_;
  std::unique_ptr<LifecycleStore> lifecycle_store_;
  std::unique_ptr<ledger::SignedHeadFile> signed_head_;
  std::string sealing_refused_;  // why sealing stopped; empty while it may go on
  invoice::Lifecycle lifecycle_;
  ReplayReport last_replay_;
  bool lifecycle_lost_ = false;  // set if a rebuild failed: every submission is refused until restart
  std::condition_variable sealed_cv_;            // notified after every sealed block
};

}  // namespace app
