#include "app/base/progress.h"

#include <unistd.h>

#include <cstdio>

namespace app {

bool Progress::OnTerminal() { return isatty(STDERR_FILENO) == 1; }

Progress::Progress(std::string what)
    : what_(std::move(what)), enabled_(OnTerminal()), start_(std::chrono::steady_clock::now()) {}

Progress::~Progress() { Finish(); }

void Progress::Update(uint64_t done, uint64_t total) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_ < std::chrono::milliseconds(100) && done < total) return;
  last_ = now;
  drawn_ = true;
  double secs = std::chrono::duration<double>(now - start_).count();
  int pct = total ? static_cast<int>(done * 100 / total) : 100;
  std::string bar(30, ' ');
  for (int i = 0; i < pct * 30 / 100; ++i) bar[i] = '#';
  std::fprintf(stderr, "\r%s [%s] %3d%% %llu/%llu (%.0f/s)", what_.c_str(), bar.c_str(), pct,
               static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
               secs > 0 ? done / secs : 0.0);
  std::fflush(stderr);
}

void Progress::Finish() {
  if (enabled_ && drawn_) std::fputc('\n', stderr);
  drawn_ = false;
}

}  // namespace app
