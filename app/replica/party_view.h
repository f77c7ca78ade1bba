// What a taxpayer node knows of the lifecycle: the entries of its replica that it may read
// (its own, and those about invoices it is party to) folded in chain order into a
// lifecycle, without re-checking what the authority already checked. It catches up with the
// replica whenever it is read, so it is never behind what this node has applied. The view
// is kept on disk (LifecycleStore): a start loads it and folds only the blocks after it,
// and memory holds only what the latest blocks changed. Thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>

#include "app/base/mutex.h"
#include "app/chain/chain_events.h"
#include "app/chain/lifecycle_store.h"
#include "invoice/lifecycle.h"
#include "ledger/block_store.h"

namespace app {

class PartyView {
 public:
  // `db_path`: the database to keep the view in (LifecyclePath).
  PartyView(ledger::BlockStore& store, const std::string& db_path) : store_(store) {
    MutexLock lock(mu_);
    saved_ = std::make_unique<LifecycleStore>(db_path, store_);
    bool rebuilt = false;
    height_ = restored_height_ = saved_->Restore(lifecycle_, &rebuilt);
  }
  // The height of the saved view loaded at start (0: none, folded from the replica).
  uint64_t restored_height() const { return restored_height_; }

  // Runs f(const invoice::Lifecycle&) on the view, caught up with the replica.
  template <typename F>
  auto With(F f) EXCLUDES(mu_) {
    MutexLock lock(mu_);
    CatchUpLocked();
    return f(static_cast<const invoice::Lifecycle&>(lifecycle_));
  }
  // Waits (BlockStore::WaitForHeight, no polling) until this node's replica, and so the
  // view, reaches `height`; false if `timeout_ms` passes first.
  bool WaitForHeight(uint64_t height, int timeout_ms) {
    return store_.WaitForHeight(height, timeout_ms) && this->height() >= height;
  }
  // The height the view has folded up to.
  uint64_t height() EXCLUDES(mu_) {
    MutexLock lock(mu_);
    CatchUpLocked();
    return height_;
  }

 private:
  void CatchUpLocked() REQUIRES(mu_) {
    auto head = store_.Head();
    if (!head.ok() || head->header.height <= height_) return;
    auto fold = [&](const ChainEvent& e) REQUIRES(mu_) { lifecycle_.Record(e.submitter, e.event, e.place); };
    if (lifecycle_.InvoicesInMemory() > kInvoicesKeptInMemory) lifecycle_.Trim();  // no reader holds a pointer here
    uint64_t entries = 0;
    try {
      height_ = saved_->CatchUp(lifecycle_, height_, fold, &entries, "view");
    } catch (...) {
      // A failed save leaves the view ahead of what is saved: start again from the saved state.
      bool rebuilt = false;
      height_ = saved_->Restore(lifecycle_, &rebuilt);
      throw;
    }
  }

  ledger::BlockStore& store_;
  // Lock order: mu_ is taken after the Merchant's and the Company's locks, and is held while
  // the block store's and the lifecycle store's own locks are taken.
  Mutex mu_;
  uint64_t height_ GUARDED_BY(mu_) = 0;
  uint64_t restored_height_ = 0;  // set in the constructor, read only
  std::unique_ptr<LifecycleStore> saved_ PT_GUARDED_BY(mu_);
  invoice::Lifecycle lifecycle_ GUARDED_BY(mu_);
};

}  // namespace app
