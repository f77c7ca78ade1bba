// A progress line for long operations (verify, export, sync, bench): drawn on stderr when
// stderr is a terminal, at most ten times a second; silent otherwise. Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace app {

class Progress {
 public:
  explicit Progress(std::string what);
  ~Progress();
  void Update(uint64_t done, uint64_t total);
  void Finish();
  static bool OnTerminal();

 private:
  std::string what_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace app
