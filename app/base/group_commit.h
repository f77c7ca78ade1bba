// Group commit: callers that arrive while a batch is being written wait and go into the next
// batch, so that a burst costs one write (one fsync, one block) per batch instead of one per
// caller. The first caller in line leads: it takes the queue (up to `max_weight`, at least
// one caller), runs `write` on it outside the lock, and each caller returns its own outcome
// or rethrows its own error. A write that throws fails every caller of that batch with that
// exception. Each caller waits on its own condition, so a finished batch does not wake the
// callers queued behind it; only the next leader is woken. Thread-safe.
//
// Used by the authority (a batch of node requests becomes one block) and the merchant (a
// burst of payment callbacks becomes one transaction).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <utility>
#include <vector>

#include "app/base/mutex.h"

namespace app {

template <typename Item, typename Outcome>
class GroupCommit {
 public:
  // One caller's place in a batch: `write` sets `outcome`, or `error` for this caller alone.
  struct Slot {
    Item item;
    Outcome outcome{};
    std::exception_ptr error;
  };
  using Write = std::function<void(const std::vector<Slot*>& batch)>;
  using Weight = std::function<size_t(const Item&)>;

  explicit GroupCommit(Write write, size_t max_weight = SIZE_MAX, Weight weight = nullptr)
      : write_(std::move(write)), max_weight_(max_weight), weight_(std::move(weight)) {}

  // Queues `item`, waits until a batch holding it is written, and returns its outcome (or
  // rethrows its error).
  Outcome Submit(Item item) EXCLUDES(mu_) {
    Waiter me;
    me.slot.item = std::move(item);
    mu_.Lock();
    queue_.push_back(&me);
    while (!me.done) {
      if (leading_ || queue_.front() != &me) {
        me.cv.Wait(mu_);
        continue;
      }
      leading_ = true;
      std::vector<Waiter*> batch;
      size_t weight = 0;
      while (!queue_.empty()) {
        Waiter* next = queue_.front();
        size_t w = weight_ ? weight_(next->slot.item) : 1;
        if (!batch.empty() && weight + w > max_weight_) break;
        batch.push_back(next);
        weight += w;
        queue_.pop_front();
      }
      mu_.Unlock();
      std::vector<Slot*> slots;
      slots.reserve(batch.size());
      for (Waiter* w : batch) slots.push_back(&w->slot);
      try {
        write_(slots);
      } catch (...) {
        std::exception_ptr failure = std::current_exception();
        for (Slot* s : slots) s->error = failure;
      }
      mu_.Lock();
      leading_ = false;
      for (Waiter* w : batch) {
        w->done = true;
        if (w != &me) w->cv.Signal();
      }
      if (!queue_.empty()) queue_.front()->cv.Signal();  // the next leader
    }
    mu_.Unlock();
    if (me.slot.error) std::rethrow_exception(me.slot.error);
    return std::move(me.slot.outcome);
  }

 private:
  struct Waiter {
    Slot slot;
    CondVar cv;
    bool done = false;  // with mu_ held
  };
  const Write write_;
  const size_t max_weight_;
  const Weight weight_;
  Mutex mu_;  // taken alone: never held while the batch is written or another lock is taken
  std::deque<Waiter*> queue_ GUARDED_BY(mu_);
  bool leading_ GUARDED_BY(mu_) = false;
};

}  // namespace app
