// Flips single bytes of every kind of stored item and checks that the verifier fails and
// names exactly that item; truncations are detected, never silently accepted.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstring>
#include <filesystem>

#include "ledger/block_store.h"
#include "ledger/verifier.h"
#include "test_chain.h"

namespace ledger {
namespace {

class Corruption : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.File("chain.db");
    testing::BuildChain(path_, 4, 5);  // genesis + 4 blocks, 20 entries
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db_), SQLITE_OK);
  }
  void TearDown() override { sqlite3_close(db_); }

  Bytes ReadBlob(const std::string& table, const std::string& col, const std::string& key_col, int64_t key) {
    sqlite3_stmt* s;
    sqlite3_prepare_v2(db_, ("SELECT " + col + " FROM " + table + " WHERE " + key_col + " = ?1").c_str(), -1, &s, nullptr);
    sqlite3_bind_int64(s, 1, key);
    EXPECT_EQ(sqlite3_step(s), SQLITE_ROW);
    auto p = static_cast<const uint8_t*>(sqlite3_column_blob(s, 0));
    Bytes out(p, p + sqlite3_column_bytes(s, 0));
    sqlite3_finalize(s);
    return out;
  }
  void WriteBlob(const std::string& table, const std::string& col, const std::string& key_col, int64_t key,
                 const Bytes& v) {
    sqlite3_stmt* s;
    sqlite3_prepare_v2(db_, ("UPDATE " + table + " SET " + col + " = ?2 WHERE " + key_col + " = ?1").c_str(), -1, &s, nullptr);
    sqlite3_bind_int64(s, 1, key);
    sqlite3_bind_blob(s, 2, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    ASSERT_EQ(sqlite3_step(s), SQLITE_DONE);
    sqlite3_finalize(s);
  }
  // Flips each byte of one stored blob in turn; each time the verifier must name `item`.
  void FlipEveryByte(const std::string& table, const std::string& col, const std::string& key_col, int64_t key,
                     const std::string& item) {
    Bytes original = ReadBlob(table, col, key_col, key);
    ASSERT_FALSE(original.empty());
    for (size_t i = 0; i < original.size(); ++i) {
      Bytes bad = original;
      bad[i] ^= 0x20;
      WriteBlob(table, col, key_col, key, bad);
      auto r = VerifyChain(path_, {});
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      EXPECT_FALSE(r->ok) << table << "." << col << " byte " << i;
      EXPECT_EQ(r->bad_item, item) << table << "." << col << " byte " << i << ": " << r->problem;
    }
    WriteBlob(table, col, key_col, key, original);
    EXPECT_TRUE(VerifyChain(path_, {})->ok);
  }

  testing::TempDir dir_;
  std::string path_;
  sqlite3* db_ = nullptr;
};

TEST_F(Corruption, IntactChainVerifies) {
  auto r = VerifyChain(path_, {});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->ok);
  EXPECT_EQ(r->entries, 20u);
}

TEST_F(Corruption, EntryBytes) {
  for (int64_t idx : {0, 7, 19}) FlipEveryByte("chain_leaf", "entry", "idx", idx, "entry " + std::to_string(idx));
}

TEST_F(Corruption, LeafHashes) {
  for (int64_t idx : {0, 12, 19}) FlipEveryByte("chain_leaf", "hash", "idx", idx, "entry " + std::to_string(idx));
}

TEST_F(Corruption, TreeNodes) {
  // Every stored subtree of a 20-leaf tree: level 4 only (lower ones are not stored).
  ASSERT_EQ(kLowestStoredLevel, 4);
  for (int level = kLowestStoredLevel; level <= 4; ++level)
    for (uint64_t index = 0; index < (20u >> level); ++index)
      FlipEveryByte("chain_node", "hash", "id", NodeKey(level, index),
                    "tree node level " + std::to_string(level) + " index " + std::to_string(index));
}

TEST_F(Corruption, HeaderFieldsAndSignatures) {
  for (int64_t h = 0; h <= 4; ++h) {
    FlipEveryByte("chain_block", "header", "height", h, "block " + std::to_string(h));
    FlipEveryByte("chain_block", "signature", "height", h, "block " + std::to_string(h));
  }
}

TEST_F(Corruption, ReplicaWithoutEntryStillChecksLeafHashes) {
  ASSERT_EQ(sqlite3_exec(db_, "UPDATE chain_leaf SET entry = NULL WHERE idx = 3", nullptr, nullptr, nullptr), SQLITE_OK);
  auto r = VerifyChain(path_, {});
  EXPECT_TRUE(r->ok);
  EXPECT_EQ(r->entries_held, 19u);
  // Without the entry, a bad leaf hash shows up at the root of the block that sealed it
  // (subtrees below level 4, which would have caught it sooner, are not stored).
  FlipEveryByte("chain_leaf", "hash", "idx", 3, "block 1");
}

// The index that finds leaves by hash (ledger/leaf_keys.h): keys waiting in chain_leaf_new
// are checked one by one, those in chain_leaf_key by their totals.
TEST_F(Corruption, LeafKeyTables) {
  auto exec = [&](const std::string& sql) { ASSERT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sql; };
  VerifyOptions sums;
  sums.leaf_key_sums = true;
  auto bad_item = [&](const VerifyOptions& o = {}) {
    auto r = VerifyChain(path_, o);
    EXPECT_TRUE(r.ok());
    return r->ok ? std::string("none") : r->bad_item;
  };
  exec("UPDATE chain_leaf_new SET h64 = h64 + 1 WHERE idx = 7");
  EXPECT_EQ(bad_item(), "leaf key 7");
  exec("UPDATE chain_leaf_new SET h64 = h64 - 1 WHERE idx = 7");
  exec("DELETE FROM chain_leaf_new WHERE idx = 12");
  EXPECT_EQ(bad_item(), "leaf key 12");
  exec("INSERT INTO chain_leaf_new(idx, h64) VALUES (12, 0)");  // back, with a wrong key
  EXPECT_EQ(bad_item(), "leaf key 12");
  exec("DELETE FROM chain_leaf_new WHERE idx = 12");
  {
    auto store = BlockStore::OpenExisting(path_);  // refuses a store with keys missing
    EXPECT_EQ(store.status().code(), Status::Code::kCorruption);
  }
  // Every key moved into chain_leaf_key, as a finished sweep leaves them.
  exec("DELETE FROM chain_leaf_new");
  exec("INSERT INTO chain_meta(key, value) VALUES ('leaf_keys', 20)");
  {
    std::vector<std::pair<int64_t, int64_t>> keys;
    sqlite3_stmt* rows = nullptr;
    sqlite3_prepare_v2(db_, "SELECT idx, hash FROM chain_leaf", -1, &rows, nullptr);
    while (sqlite3_step(rows) == SQLITE_ROW) {
      Hash h;
      std::memcpy(h.bytes.data(), sqlite3_column_blob(rows, 1), 32);
      keys.emplace_back(LeafKey(h), sqlite3_column_int64(rows, 0));
    }
    sqlite3_finalize(rows);
    for (auto [key, idx] : keys)
      exec("INSERT INTO chain_leaf_key(h64, idx) VALUES (" + std::to_string(key) + ", " + std::to_string(idx) + ")");
  }
  EXPECT_EQ(bad_item(), "none");
  EXPECT_EQ(bad_item(sums), "none");
  exec("DELETE FROM chain_leaf_key WHERE idx = 3");
  EXPECT_EQ(bad_item(), "leaf keys");
  EXPECT_EQ(bad_item(sums), "leaf keys");
  // As many keys as there should be, one of them wrong: only the sums see it.
  exec("INSERT INTO chain_leaf_key(h64, idx) SELECT h64 + 1, idx + 3 FROM chain_leaf_key WHERE idx = 0");
  EXPECT_EQ(bad_item(), "none");
  EXPECT_EQ(bad_item(sums), "leaf keys");
  exec("INSERT INTO chain_leaf_new(idx, h64) VALUES (5, 1)");
  EXPECT_NE(bad_item(), "none");
}

TEST_F(Corruption, DeletedLastBlockIsDetectedAndTheStoreRefusesToExtendIt) {
  ASSERT_EQ(sqlite3_exec(db_, "DELETE FROM chain_block WHERE height = 4", nullptr, nullptr, nullptr), SQLITE_OK);
  auto r = VerifyChain(path_, {});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->bad_item, "leaf 15");
  auto store = BlockStore::OpenExisting(path_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Status::Code::kCorruption);
}

TEST_F(Corruption, MissingMiddleBlockAndLeaf) {
  ASSERT_EQ(sqlite3_exec(db_, "DELETE FROM chain_leaf WHERE idx = 9", nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_EQ(VerifyChain(path_, {})->bad_item, "leaf 9");
  ASSERT_EQ(sqlite3_exec(db_, "DELETE FROM chain_block WHERE height = 2", nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_EQ(VerifyChain(path_, {})->bad_item, "block 2");
}

TEST_F(Corruption, TruncatedFileIsNeverAccepted) {
  sqlite3_close(db_);
  db_ = nullptr;
  auto size = std::filesystem::file_size(path_);
  for (auto keep : {size - 1024, size / 2, size_t{4096}, size_t{100}, size_t{0}}) {
    std::filesystem::copy_file(path_, path_ + ".cut", std::filesystem::copy_options::overwrite_existing);
    std::filesystem::resize_file(path_ + ".cut", keep);
    auto r = VerifyChain(path_ + ".cut", {});
    EXPECT_TRUE(!r.ok() || !r->ok) << "truncated to " << keep << " bytes was accepted";
  }
}

// The same with a WAL beside the file (a node killed, or still running): the verifier then
// reads through the WAL (the file may lawfully be shorter than its header says,
// crash_test.cc). A cut that loses chain data is found (SQLite finds the pages that are in
// neither); one that is accepted lost nothing the verifier checks: every block and entry
// was read and verified (the WAL holds a newer copy of the cut page, or the cut held only
// free space).
TEST_F(Corruption, TruncatedFileIsNeverAcceptedWithAWalBesideIt) {
  ASSERT_EQ(sqlite3_exec(db_, "PRAGMA wal_autocheckpoint = 0; INSERT INTO chain_meta(key, value) VALUES ('test', 1)",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  ASSERT_GT(std::filesystem::file_size(path_ + "-wal"), 32u);
  auto size = std::filesystem::file_size(path_);
  for (auto keep : {size - 4096, size - 1024, size / 2, size_t{4096}}) {
    for (const char* suffix : {"", "-wal"})
      std::filesystem::copy_file(path_ + suffix, path_ + ".cut" + suffix, std::filesystem::copy_options::overwrite_existing);
    std::filesystem::remove(path_ + ".cut-shm");
    std::filesystem::resize_file(path_ + ".cut", keep);
    auto r = VerifyChain(path_ + ".cut", {});
    if (r.ok() && r->ok) {
      EXPECT_EQ(r->height, 4u) << "truncated to " << keep << " bytes, with a WAL";
      EXPECT_EQ(r->entries, 20u) << "truncated to " << keep << " bytes, with a WAL";
    }
    if (keep <= size / 2) {
      EXPECT_TRUE(!r.ok() || !r->ok) << "truncated to " << keep << " bytes, with a WAL, was accepted";
    }
  }
}

}  // namespace
}  // namespace ledger
