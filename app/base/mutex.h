// Mutexes the compiler checks. Clang's thread-safety analysis (-Wthread-safety, on in the
// clang build, build-asan/) proves at compile time that every member marked GUARDED_BY(mu)
// is touched only with mu held, and every function marked REQUIRES(mu) is called with it.
// libstdc++'s std::mutex carries no such annotations, so app/ uses these wrappers; with gcc
// the attributes compile to nothing.
//
// Each class that owns locks states its lock order in its header: a lock listed before
// another may be held while taking it, never the reverse.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

#if defined(__clang__)
#define EI_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define EI_THREAD_ANNOTATION(x)
#endif

#define CAPABILITY(x) EI_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY EI_THREAD_ANNOTATION(scoped_lockable)
#define GUARDED_BY(x) EI_THREAD_ANNOTATION(guarded_by(x))
#define PT_GUARDED_BY(x) EI_THREAD_ANNOTATION(pt_guarded_by(x))
#define ACQUIRED_BEFORE(...) EI_THREAD_ANNOTATION(acquired_before(__VA_ARGS__))
#define ACQUIRED_AFTER(...) EI_THREAD_ANNOTATION(acquired_after(__VA_ARGS__))
#define REQUIRES(...) EI_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define ACQUIRE(...) EI_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RELEASE(...) EI_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define EXCLUDES(...) EI_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define NO_THREAD_SAFETY_ANALYSIS EI_THREAD_ANNOTATION(no_thread_safety_analysis)

namespace app {

class CondVar;

class CAPABILITY("mutex") Mutex {
 public:
  void Lock() ACQUIRE() { mu_.lock(); }
  void Unlock() RELEASE() { mu_.unlock(); }

 private:
  friend class CondVar;
  std::mutex mu_;
};

// Holds `mu` for its scope.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) ACQUIRE(mu) : mu_(mu) { mu_.Lock(); }
  ~MutexLock() RELEASE() { mu_.Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mu_;
};

// A condition variable; every wait on one passes the same Mutex, held.
class CondVar {
 public:
  // Waits until signalled (or a spurious wake-up: callers loop on their condition),
  // releasing `mu` meanwhile.
  void Wait(Mutex& mu) REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu.mu_, std::adopt_lock);
    cv_.wait(lock);
    lock.release();
  }
  // The same, for at most `timeout`; false if it passed.
  bool WaitFor(Mutex& mu, std::chrono::milliseconds timeout) REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu.mu_, std::adopt_lock);
    bool woken = cv_.wait_for(lock, timeout) == std::cv_status::no_timeout;
    lock.release();
    return woken;
  }
  void Signal() { cv_.notify_one(); }
  void SignalAll() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace app
