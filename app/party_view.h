// What a taxpayer node knows of the lifecycle: the entries of its replica that it may read
// (its own, and those about invoices it is party to) folded in chain order into a
// lifecycle, without re-checking what the authority already checked. It catches up with the
// replica whenever it is read, so it is never behind what this node has applied.
// Thread-safe.
#pragma once

#include <chrono>
#include <mutex>
#include <thread>

#include "app/chain_events.h"
#include "invoice/lifecycle.h"
#include "ledger/block_store.h"

namespace app {

class PartyView {
 public:
  explicit PartyView(ledger::BlockStore& store) : store_(store) {}

  // Runs f(const invoice::Lifecycle&) on the view, caught up with the replica.
  template <typename F>
  auto With(F f) {
    std::lock_guard lock(mu_);
    CatchUpLocked();
    return f(static_cast<const invoice::Lifecycle&>(lifecycle_));
  }
  // Waits (polling) until this node's replica, and so the view, reaches `height`; false if
  // `timeout_ms` passes first.
  bool WaitForHeight(uint64_t height, int timeout_ms) {
    for (int waited = 0; height > this->height(); waited += 10) {
      if (waited >= timeout_ms) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
  }
  // The height the view has folded up to.
  uint64_t height() {
    std::lock_guard lock(mu_);
    CatchUpLocked();
    return height_;
  }

 private:
  void CatchUpLocked() {
    auto head = store_.Head();
    if (!head.ok() || head->header.height <= height_) return;
    height_ = ForEachChainEvent(store_, height_, [&](const ChainEvent& e) { lifecycle_.Record(e.submitter, e.event, e.place); });
  }

  ledger::BlockStore& store_;
  std::mutex mu_;
  uint64_t height_ = 0;
  invoice::Lifecycle lifecycle_;
};

}  // namespace app
