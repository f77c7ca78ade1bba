// The authority's sealer: the single writer of the chain. It keeps the lifecycle state
// machine in step with the chain (saved after every block, see LifecycleStore), checks every
// submitted entry (canonical envelope, submitter signature, the submitter's registered node key, the
// lifecycle rules) and seals the accepted ones in one durable block per batch. Refused
// entries never reach the chain; each gets its typed reason back. Thread-safe.
#pragma once

#include <Poco/JSON/Array.h>

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "app/base/group_commit.h"
#include "app/base/mutex.h"
#include "app/chain/decoded_entry.h"
#include "app/chain/entry_outcome.h"
#include "app/chain/lifecycle_store.h"
#include "invoice/admission.h"
#include "invoice/lifecycle.h"
#include "ledger/block_store.h"
#include "ledger/signed_head_file.h"
#include "tax/filing.h"

namespace app {

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
  std::string sealing_refused() EXCLUDES(mu_);
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
  ReplayReport last_replay() EXCLUDES(mu_) {
    MutexLock lock(mu_);
    return last_replay_;
  }

  // Checks and seals `entries` (canonical envelopes). Group commit: submissions that arrive
  // while a block is being sealed wait and are sealed together in the next block (up to
  // kMaxBlockEntries), so the fsync of one block serves many submitters.
  // Each entry is decoded once (DecodedEntry, on the caller's thread: the signature is the
  // costliest check and needs nothing but the entry) and that decoding is passed down.
  std::vector<EntryOutcome> Submit(std::vector<DecodedEntry> entries, uint64_t now_ms);
  std::vector<EntryOutcome> Submit(const std::vector<ledger::Bytes>& entries, uint64_t now_ms);
  static constexpr size_t kMaxBlockEntries = 2000;

  // Registers a taxpayer: an authority-signed `register` entry, sealed.
  EntryOutcome Register(const invoice::RegisterEvent& event, uint64_t now_ms);

  // Whether taxpayer `tax_id` may read this entry in full: it submitted it, or it is the
  // seller, the buyer or the claimant of the invoice the entry is about.
  bool MayRead(const std::string& tax_id, const ledger::Bytes& entry);

  // The leaf that sealed invoice `no`'s issue event, if any.
  std::optional<uint64_t> LeafOfInvoice(const std::string& no);

  // How far an event's time may be from its block's (invoice/admission.h); set before use.
  void SetTimeLimits(const invoice::TimeLimits& limits) { time_limits_ = limits; }
  // The finality policy (app/README.md, "Witnesses"): with `final_size` set, a claim or a
  // settlement is sealed only if its invoice's issue leaf is below the tree size it returns
  // (the newest checkpoint with the quorum's cosignatures); otherwise 409 not_final. Set
  // before use; unset (no witnesses), every sealed invoice is final.
  void SetFinality(std::function<uint64_t()> final_size) { final_size_ = std::move(final_size); }
  // An authority group's member (app/group): blocks are sealed by `sealer` (the group's
  // Commit: written only once a majority holds them) instead of straight into the store,
  // and a chain behind a head this member signed is lag the group repairs, not a reason to
  // stop sealing. Set before Replay.
  // `on`: the head the entries were checked against; the sealer refuses if the chain moved.
  using Sealer = std::function<ledger::Result<ledger::SealedBlock>(const std::vector<ledger::Bytes>&, uint64_t now_ms,
                                                                   const ledger::BlockHeader& on)>;
  void SetGroupSealer(Sealer sealer) { group_sealer_ = std::move(sealer); }
  // Folds blocks written to the store by others (the group's leader) into the lifecycle.
  void CatchUpLifecycle() EXCLUDES(mu_);
  // Where refused entries are recorded for the audit (may stay null: nothing recorded).
  void SetAuditStore(class AuditStore* audit) { audit_ = audit; }

  // Runs `f` with the lifecycle under the lock (read-only use).
  template <typename F>
  auto WithLifecycle(F f) EXCLUDES(mu_) {
    MutexLock lock(mu_);
    if (lifecycle_.InvoicesInMemory() > kInvoicesKeptInMemory) lifecycle_.Trim();  // no reader holds a pointer here
    return f(static_cast<const invoice::Lifecycle&>(lifecycle_));
  }

 private:
  // Takes mu_ and seals one batch (rebuilding the lifecycle if that fails half-way).
  std::vector<EntryOutcome> SealUnderLock(const std::vector<const DecodedEntry*>& entries, uint64_t now_ms) EXCLUDES(mu_);
  std::vector<EntryOutcome> SealBatchLocked(const std::vector<const DecodedEntry*>& entries, uint64_t now_ms,
                                            bool* applied) REQUIRES(mu_);
  void ReplayLocked() REQUIRES(mu_);
  void CatchUpLocked() REQUIRES(mu_);
  // Compares the chain with `head` (a head this authority signed) and refuses sealing if
  // the chain does not hold it; records the chain's head when that is newer.
  void CheckSignedHeadLocked(const ledger::SignedHeader& head, const std::string& source) REQUIRES(mu_);
  void RefuseSealingLocked(const std::string& why) REQUIRES(mu_);
  // Saves what the lifecycle changed up to block `head` (kept pending on failure, to be
  // saved with the next block); false if that failed.
  bool SaveLocked(const ledger::SignedHeader& head) REQUIRES(mu_);
  // Checks one entry; on acceptance applies it to `scratch` (the state as of this batch).
  invoice::Verdict CheckEntry(const DecodedEntry& entry, invoice::Lifecycle& scratch, const invoice::Place& place,
                              std::vector<tax::Difference>* differences) REQUIRES(mu_);
  std::optional<invoice::NumberRange> GrantOfEntry(const DecodedEntry& entry) const REQUIRES(mu_);
  void RecordRefusal(const DecodedEntry& entry, const EntryOutcome& o, uint64_t now_ms) REQUIRES(mu_);
  class AuditStore* audit_ = nullptr;
  std::function<uint64_t()> final_size_;
  Sealer group_sealer_;
  invoice::TimeLimits time_limits_;

  // One caller's submission; a batch of them becomes one block (group commit).
  struct Submission {
    std::vector<DecodedEntry> entries;
    uint64_t now_ms = 0;
  };
  using Commit = GroupCommit<Submission, std::vector<EntryOutcome>>;
  void SealSubmissions(const std::vector<Commit::Slot*>& batch) EXCLUDES(mu_);  // the batch's leader
  Commit commit_;

  // Lock order: the group commit's queue lock is never held with mu_ (the leader takes mu_
  // after leaving the queue); mu_ is held while the block store's and the lifecycle store's
  // own locks are taken, never the reverse.
  Mutex mu_;
  ledger::BlockStore& store_;
  const ledger::PrivateKey& key_;
  std::unique_ptr<LifecycleStore> lifecycle_store_ PT_GUARDED_BY(mu_);
  std::unique_ptr<ledger::SignedHeadFile> signed_head_ PT_GUARDED_BY(mu_);
  std::string sealing_refused_ GUARDED_BY(mu_);  // why sealing stopped; empty while it may go on
  invoice::Lifecycle lifecycle_ GUARDED_BY(mu_);
  ReplayReport last_replay_ GUARDED_BY(mu_);
  uint64_t lifecycle_height_ GUARDED_BY(mu_) = 0;  // the block the lifecycle in memory reflects
  bool lifecycle_lost_ GUARDED_BY(mu_) = false;  // set if a rebuild failed: every submission is refused until restart
};

}  // namespace app
