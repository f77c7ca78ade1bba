// Kills a child that appends blocks with SIGKILL at random moments, 60 times. After each
// kill the chain must verify and hold every block the child acknowledged, byte for byte.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <random>
#include <sstream>

#include "ledger/block_store.h"
#include "ledger/verifier.h"
#include "test_chain.h"

extern char** environ;

namespace ledger {
namespace {

// Runs the child for `ms` milliseconds, kills it with SIGKILL and returns all it printed.
std::string RunAndKill(const std::string& db, int seed, int ms) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  posix_spawn_file_actions_addclose(&fa, fds[0]);
  std::string seed_s = std::to_string(seed);
  char* argv[] = {const_cast<char*>(EINVOICE_APPEND_CHILD), const_cast<char*>(db.c_str()), seed_s.data(), nullptr};
  pid_t pid;
  EXPECT_EQ(posix_spawn(&pid, EINVOICE_APPEND_CHILD, &fa, nullptr, argv, environ), 0);
  posix_spawn_file_actions_destroy(&fa);
  close(fds[1]);
  std::string out;
  char buf[4096];
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fds[0], POLLIN, 0};
    if (poll(&p, 1, 1) > 0) {
      ssize_t n = read(fds[0], buf, sizeof buf);
      if (n <= 0) break;
      out.append(buf, n);
    }
  }
  kill(pid, SIGKILL);
  int status;
  waitpid(pid, &status, 0);
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, n);
  close(fds[0]);
  return out;
}

TEST(Crash, AcknowledgedBlocksSurviveSigkill) {
  testing::TempDir dir;
  std::string db = dir.File("chain.db");
  std::map<uint64_t, std::string> acked;  // height -> block hash the child acknowledged
  std::mt19937 rng(20261124);
  int kills = 0;
  for (int round = 0; round < 60; ++round) {
    std::string out = RunAndKill(db, round, 20 + static_cast<int>(rng() % 180));
    ++kills;
    std::istringstream lines(out);
    std::string word, hash;
    uint64_t height;
    while (lines >> word >> height >> hash) {
      if (word != "ack" || hash.size() != 64) break;  // a torn last line cannot happen: one write(2)
      acked[height] = hash;
    }
    auto report = VerifyChain(db, {});
    ASSERT_TRUE(report.ok()) << "round " << round << ": " << report.status().ToString();
    ASSERT_TRUE(report->ok) << "round " << round << ": " << report->bad_item << ": " << report->problem;
    auto store = BlockStore::OpenExisting(db);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    for (const auto& [h, block_hash] : acked) {
      auto b = (*store)->BlockAt(h);
      ASSERT_TRUE(b.ok()) << "acknowledged block " << h << " lost in round " << round;
      ASSERT_EQ(b->header.BlockHash().Hex(), block_hash) << "block " << h << " changed in round " << round;
    }
  }
  EXPECT_EQ(kills, 60);
  EXPECT_GT(acked.size(), 60u) << "the child hardly appended anything; the test proves little";
  std::printf("crash test: %d kills, %zu acknowledged blocks all present\n", kills, acked.size());
}

}  // namespace
}  // namespace ledger
