// Several connections of one process writing one file (a node's chain and its merchant or
// company tables): a writer that finds the lock taken waits for the other to end, is woken
// by that end, and never fails for having waited.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <optional>
#include <thread>
#include <vector>

#include "ledger/sqlite_db.h"

namespace ledger::sql {
namespace {

class SqliteDb : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sqlite-db-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "sub");
    path_ = (dir_ / "node.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::unique_ptr<Db> Open(const std::string& path) {
    auto db = Db::Open(path, Db::Mode::kReadWrite);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return std::move(*db);
  }
  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(SqliteDb, AWriterWaitingForAnotherConnectionIsWokenByItsCommitOrRollback) {
  auto a = Open(path_);
  // The same file by another spelling of its path shares the wake-ups.
  auto b = Open((dir_ / "sub" / ".." / "node.db").string());
  ASSERT_TRUE(a->Exec("CREATE TABLE t(who TEXT)").ok());
  for (bool commit : {true, false}) {
    std::optional<Transaction> held(std::in_place, a.get());
    ASSERT_TRUE(held->begin_status().ok());
    ASSERT_TRUE(a->Exec("INSERT INTO t VALUES ('a')").ok());
    // B cannot begin while A writes; it waits for A's end with a deadline far beyond it.
    Transaction refused(b.get(), Transaction::NoWait{});
    ASSERT_TRUE(refused.busy());
    std::atomic<bool> ended{false};
    std::chrono::steady_clock::duration waited{};
    std::thread waiter([&] {
      auto start = std::chrono::steady_clock::now();
      b->AwaitWriterEnd(std::chrono::minutes(2));
      waited = std::chrono::steady_clock::now() - start;
      EXPECT_TRUE(ended.load()) << "woke before A ended";
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ended = true;
    if (commit) {
      EXPECT_TRUE(held->Commit().ok());  // (no ASSERT: the waiter must be joined first)
    }
    held.reset();  // without a commit: rolled back
    waiter.join();
    // Not a speed claim: only that the end woke it, not the two-minute deadline.
    EXPECT_LT(waited, std::chrono::seconds(60)) << (commit ? "commit" : "rollback");
    Transaction now(b.get(), Transaction::NoWait{});
    EXPECT_TRUE(now.begin_status().ok()) << (commit ? "commit" : "rollback");
  }
  auto rows = a->Prepare("SELECT count(*) FROM t");
  ASSERT_TRUE(rows.ok() && *rows->Step());
  EXPECT_EQ(rows->Int(0), 1) << "the committed row only";
}

TEST_F(SqliteDb, ManyWritersOfOneProcessTakeTurnsWithoutABusyError) {
  {
    auto db = Open(path_);
    ASSERT_TRUE(db->Exec("CREATE TABLE t(writer INTEGER, n INTEGER)").ok());
  }
  constexpr int kWriters = 4, kEach = 150;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  // Writes (w, n) in the transaction begun and commits it.
  auto write = [&](Db* db, Transaction& tx, int w, int n) {
    auto ins = db->Prepare("INSERT INTO t VALUES (?1, ?2)");
    if (!ins.ok() || !ins->Bind(1, w).Bind(2, n).Run().ok() || !tx.Commit().ok()) ++failures;
  };
  for (int w = 0; w < kWriters; ++w)
    threads.emplace_back([&, w] {
      auto db = Open(path_);
      for (int n = 0; n < kEach; ++n) {
        if (w == 0) {
          // The block store's way: never wait inside the transaction attempt; wait outside.
          while (true) {
            Transaction tx(db.get(), Transaction::NoWait{});
            if (tx.begin_status().ok()) {
              write(db.get(), tx, w, n);
              break;
            }
            if (!tx.busy()) {
              ++failures;
              break;
            }
            db->AwaitWriterEnd(std::chrono::milliseconds(1));
          }
          continue;
        }
        Transaction tx(db.get());
        if (!tx.begin_status().ok()) {
          ++failures;
          continue;
        }
        write(db.get(), tx, w, n);
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto db = Open(path_);
  auto rows = db->Prepare("SELECT count(*), count(DISTINCT writer * 1000 + n) FROM t");
  ASSERT_TRUE(rows.ok() && *rows->Step());
  EXPECT_EQ(rows->Int(0), kWriters * kEach);
  EXPECT_EQ(rows->Int(1), kWriters * kEach);
}

}  // namespace
}  // namespace ledger::sql
