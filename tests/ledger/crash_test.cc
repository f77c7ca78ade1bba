// Kills a child that appends blocks with SIGKILL at random moments, 60 times. After each
// kill the chain must verify and hold every block the child acknowledged, byte for byte.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
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

// A checkpoint copies pages from the WAL into the file in page order: page 1, whose header
// gives the new size, before the pages that extend the file. A node killed between the two
// leaves a file shorter than its header says, and the rest in the WAL: nothing is lost, and
// the verifier must not call it truncated (it did, once in a while, in the test below).
TEST(Crash, AStoreKilledInTheMiddleOfACheckpointVerifies) {
  testing::TempDir dir;
  const std::string path = dir.File("chain.db"), copy = dir.File("killed.db");
  testing::BuildChain(path, 4, 5);  // closed: all in the file
  PrivateKey authority = testing::KeyFromByte(1), node = testing::KeyFromByte(2);
  auto store = BlockStore::Open(path, authority.public_key());
  ASSERT_TRUE(store.ok());
  for (int b = 0; b < 20; ++b) {  // grows the database, all of it in the WAL
    std::vector<Bytes> entries;
    for (int i = 0; i < 20; ++i) entries.push_back(testing::MakeEntry(node, std::string(300, 'x') + std::to_string(b * 20 + i)));
    ASSERT_TRUE((*store)->Seal(entries, 3000 + b, authority).ok());
  }
  // The files as a kill would leave them (the store stays open: nothing checkpointed).
  std::filesystem::copy_file(path, copy);
  std::filesystem::copy_file(path + "-wal", copy + "-wal");
  // The WAL's last commit frame gives the database's size in pages (frame header bytes 4-7).
  std::ifstream wal(copy + "-wal", std::ios::binary);
  std::vector<uint8_t> w((std::istreambuf_iterator<char>(wal)), std::istreambuf_iterator<char>());
  auto be32 = [](const uint8_t* p) { return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3]; };
  ASSERT_GT(w.size(), 32u);
  const uint32_t page = be32(&w[8]);
  uint32_t pages = 0;
  for (size_t at = 32; at + 24 + page <= w.size(); at += 24 + page)
    if (uint32_t commit = be32(&w[at + 4]); commit != 0) pages = commit;
  ASSERT_GT(uint64_t{pages} * page, std::filesystem::file_size(copy)) << "the WAL did not grow the database";
  // Page 1 checkpointed, the rest not: the header gives the new size, marked current.
  std::fstream db(copy, std::ios::in | std::ios::out | std::ios::binary);
  uint8_t header[100];
  db.read(reinterpret_cast<char*>(header), sizeof header);
  for (int i = 0; i < 4; ++i) header[28 + i] = static_cast<uint8_t>(pages >> (24 - 8 * i));
  std::memcpy(header + 92, header + 24, 4);  // version-valid-for = change counter
  db.seekp(0);
  db.write(reinterpret_cast<const char*>(header), sizeof header);
  db.close();

  auto report = VerifyChain(copy, {});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->ok) << report->bad_item << ": " << report->problem;
  EXPECT_EQ(report->entries, 20u + 400u);
  EXPECT_EQ(report->height, 24u);
  // Without its WAL the same file has lost its end, and says so.
  std::filesystem::remove(copy + "-wal");
  report = VerifyChain(copy, {});
  EXPECT_TRUE(!report.ok() || !report->ok);
  if (report.ok()) {
    EXPECT_EQ(report->bad_item, "file");
  }
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
