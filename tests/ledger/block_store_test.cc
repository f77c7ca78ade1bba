#include "ledger/block_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstring>

#include "ledger/verifier.h"
#include "test_chain.h"

namespace ledger {
namespace {

using testing::KeyFromByte;
using testing::MakeEntry;
using testing::TempDir;

TEST(BlockStore, SealsBlocksThatLinkAndVerify) {
  TempDir dir;
  PrivateKey authority = KeyFromByte(1), node = KeyFromByte(2);
  auto store = BlockStore::Open(dir.File("chain.db"), authority.public_key());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto genesis = (*store)->InitGenesis(authority, 1000);
  ASSERT_TRUE(genesis.ok());
  EXPECT_EQ(genesis->header.height, 0u);
  EXPECT_EQ(genesis->header.tree_root, EmptyRoot());

  std::vector<Hash> leaves;
  for (int b = 1; b <= 5; ++b) {
    std::vector<Bytes> entries;
    for (int i = 0; i < b * 3; ++i) {
      entries.push_back(MakeEntry(node, std::to_string(b) + ":" + std::to_string(i)));
      leaves.push_back(LeafHash(entries.back()));
    }
    auto sealed = (*store)->Seal(entries, 1000 + b, authority);
    ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
    EXPECT_EQ(sealed->head.header.height, static_cast<uint64_t>(b));
    EXPECT_EQ(sealed->head.header.tree_size, leaves.size());
    EXPECT_EQ(sealed->head.header.tree_root, RootOf(leaves));
    EXPECT_TRUE(sealed->head.SignatureValid(authority.public_key()));
    auto prev = (*store)->BlockAt(b - 1);
    EXPECT_EQ(sealed->head.header.prev_hash, prev->header.BlockHash());
  }
  auto report = VerifyChain(dir.File("chain.db"), {});
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok) << report->bad_item << ": " << report->problem;
  EXPECT_EQ(report->blocks, 6u);
  EXPECT_EQ(report->entries, 45u);
  EXPECT_EQ(report->entries_held, 45u);

  // Proofs from the store verify against the head's root.
  auto head = (*store)->Head();
  for (uint64_t i = 0; i < leaves.size(); ++i) {
    auto p = (*store)->InclusionProof(i, head->header.tree_size);
    ASSERT_TRUE(p.ok());
    EXPECT_TRUE(VerifyInclusion(i, head->header.tree_size, leaves[i], *p, head->header.tree_root));
    EXPECT_EQ(*(*store)->FindLeaf(leaves[i]), i);
  }
  auto b3 = (*store)->BlockAt(3);
  auto c = (*store)->ConsistencyProof(b3->header.tree_size, head->header.tree_size);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(VerifyConsistency(b3->header.tree_size, head->header.tree_size, b3->header.tree_root,
                                head->header.tree_root, *c));
  EXPECT_EQ(*(*store)->HeightOfLeaf(0), 1u);
  EXPECT_EQ(*(*store)->HeightOfLeaf(3), 2u);
  EXPECT_EQ(*(*store)->HeightOfLeaf(44), 5u);
  EXPECT_FALSE((*store)->HeightOfLeaf(45).ok());
}

TEST(BlockStore, DuplicatesAreNeverSealedTwice) {
  TempDir dir;
  PrivateKey authority = KeyFromByte(1), node = KeyFromByte(2);
  auto store = BlockStore::Open(dir.File("chain.db"), authority.public_key());
  (*store)->InitGenesis(authority, 1);
  Bytes a = MakeEntry(node, "a"), b = MakeEntry(node, "b");
  auto first = (*store)->Seal({a, b, a}, 2, authority);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->head.header.tree_size, 2u);
  EXPECT_EQ(first->placements, (std::vector<std::pair<uint64_t, bool>>{{0, true}, {1, true}, {0, false}}));
  auto again = (*store)->Seal({b}, 3, authority);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->head.header.height, 1u);  // nothing new: no block
  EXPECT_EQ(again->placements, (std::vector<std::pair<uint64_t, bool>>{{1, false}}));
}

TEST(BlockStore, ReopenRestoresTheFrontierAndRefusesAnotherAuthority) {
  TempDir dir;
  testing::BuildChain(dir.File("chain.db"), 3, 7);
  PrivateKey authority = KeyFromByte(1), node = KeyFromByte(2);
  {
    auto store = BlockStore::OpenExisting(dir.File("chain.db"));
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto sealed = (*store)->Seal({MakeEntry(node, "after reopen")}, 9999, authority);
    ASSERT_TRUE(sealed.ok());
    EXPECT_EQ(sealed->head.header.tree_size, 22u);
  }
  EXPECT_TRUE(VerifyChain(dir.File("chain.db"), {})->ok);
  EXPECT_FALSE(BlockStore::Open(dir.File("chain.db"), KeyFromByte(9).public_key()).ok());
  auto store = BlockStore::OpenExisting(dir.File("chain.db"));
  EXPECT_FALSE((*store)->Seal({MakeEntry(node, "x")}, 1, KeyFromByte(9)).ok());
}

TEST(BlockStore, TimeNeverGoesBackwards) {
  TempDir dir;
  PrivateKey authority = KeyFromByte(1), node = KeyFromByte(2);
  auto store = BlockStore::Open(dir.File("chain.db"), authority.public_key());
  (*store)->InitGenesis(authority, 5000);
  auto sealed = (*store)->Seal({MakeEntry(node, "x")}, 10, authority);
  EXPECT_EQ(sealed->head.header.time_ms, 5000u);
}

TEST(BlockStore, EntrySignaturesAreCheckedOnRequest) {
  TempDir dir;
  PrivateKey authority = KeyFromByte(1), node = KeyFromByte(2);
  auto store = BlockStore::Open(dir.File("chain.db"), authority.public_key());
  (*store)->InitGenesis(authority, 1);
  Bytes forged = MakeEntry(node, "x");
  forged[forged.size() - 1] ^= 1;  // still canonical, signature wrong
  ASSERT_TRUE((*store)->Seal({forged}, 2, authority).ok());
  EXPECT_TRUE(VerifyChain(dir.File("chain.db"), {})->ok);
  VerifyOptions strict;
  strict.entry_signatures = true;
  auto r = VerifyChain(dir.File("chain.db"), strict);
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->bad_item, "entry 0");
}

// Leaf keys reach chain_leaf_key in sorted batches; until then they are kept in memory.
// Either way, and across a reopen, every leaf is found by its hash and never sealed twice.
TEST(BlockStore, LeafKeysAreFoundBeforeAndAfterTheirBatchIsWritten) {
  TempDir dir;
  PrivateKey authority = KeyFromByte(1);
  const std::string path = dir.File("chain.db");
  std::vector<Bytes> all;
  auto raw = [&](size_t i) {
    std::string s = "leaf " + std::to_string(i);
    return Bytes(s.begin(), s.end());
  };
  auto count = [&](const char* sql) {
    sqlite3* db = nullptr;
    sqlite3_open(path.c_str(), &db);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, sql, -1, &st, nullptr);
    int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
  };
  {
    auto store = BlockStore::Open(path, authority.public_key());
    (*store)->InitGenesis(authority, 1);
    for (size_t block : {30000, 30000, 10000, 5}) {  // the batch of 65,536 is reached in the third block
      std::vector<Bytes> entries;
      for (size_t i = 0; i < block; ++i) entries.push_back(raw(all.size() + i));
      all.insert(all.end(), entries.begin(), entries.end());
      ASSERT_TRUE((*store)->Seal(entries, 2, authority).ok());
      if (block == 30000) {
        EXPECT_EQ(count("SELECT count(*) FROM chain_leaf_key"), 0);
        EXPECT_EQ(*(*store)->FindLeaf(LeafHash(all[all.size() - 7])), all.size() - 7);  // from memory
      }
    }
    EXPECT_EQ(count("SELECT count(*) FROM chain_leaf_key"), 70000);
    auto again = (*store)->Seal({raw(12345), raw(70002), raw(70005)}, 3, authority);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->placements,
              (std::vector<std::pair<uint64_t, bool>>{{12345, false}, {70002, false}, {70005, true}}));
    all.push_back(raw(70005));
  }
  auto store = BlockStore::OpenExisting(path);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  for (size_t i : {size_t{0}, size_t{1}, size_t{65535}, size_t{69999}, size_t{70000}, size_t{70005}})
    EXPECT_EQ(*(*store)->FindLeaf(LeafHash(all[i])), i) << i;
  EXPECT_FALSE((*store)->FindLeaf(LeafHash(raw(70006)))->has_value());
  // Subtrees are stored from level 4 up only.
  EXPECT_EQ(count("SELECT count(*) FROM chain_node"), 70006 / 16 + 70006 / 32 + 70006 / 64 + 70006 / 128 +
                                                        70006 / 256 + 70006 / 512 + 70006 / 1024 + 70006 / 2048 +
                                                        70006 / 4096 + 70006 / 8192 + 70006 / 16384 + 70006 / 32768 +
                                                        70006 / 65536);
  // Proofs over unstored low subtrees, at every position of a 16-leaf group and a ragged edge.
  auto head = (*store)->Head();
  for (uint64_t i = 69980; i < 70006; ++i) {
    auto p = (*store)->InclusionProof(i, head->header.tree_size);
    ASSERT_TRUE(p.ok());
    EXPECT_TRUE(VerifyInclusion(i, head->header.tree_size, LeafHash(all[i]), *p, head->header.tree_root)) << i;
  }
}

// A store written when leaf keys lived in chain_leaf (an h64 column and index) is moved over
// to chain_leaf_key when it is opened.
TEST(BlockStore, AnOlderStoreHasItsLeafKeysMovedOver) {
  TempDir dir;
  const std::string path = dir.File("chain.db");
  testing::BuildChain(path, 3, 7);
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "DELETE FROM chain_leaf_key; DELETE FROM chain_meta WHERE key = 'leaf_keys';"
                               "ALTER TABLE chain_leaf ADD COLUMN h64 INTEGER NOT NULL DEFAULT 0;"
                               "CREATE INDEX chain_leaf_h64 ON chain_leaf(h64)",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_stmt* rows = nullptr;
    sqlite3_prepare_v2(db, "SELECT idx, hash FROM chain_leaf", -1, &rows, nullptr);
    std::vector<std::pair<int64_t, int64_t>> keys;
    while (sqlite3_step(rows) == SQLITE_ROW) {
      Hash h;
      std::memcpy(h.bytes.data(), sqlite3_column_blob(rows, 1), 32);
      keys.emplace_back(sqlite3_column_int64(rows, 0), LeafKey(h));
    }
    sqlite3_finalize(rows);
    for (auto [idx, key] : keys) {
      std::string sql = "UPDATE chain_leaf SET h64 = " + std::to_string(key) + " WHERE idx = " + std::to_string(idx);
      ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    }
    sqlite3_close(db);
  }
  {
    // The lower subtrees it stored, as such a store did.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    std::string sql = "INSERT INTO chain_node(id, hash) VALUES (" + std::to_string(NodeKey(1, 0)) + ", zeroblob(32))";
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  auto store = BlockStore::OpenExisting(path);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto leaves = (*store)->Leaves(0, 21);
  ASSERT_EQ(leaves->size(), 21u);
  for (const auto& l : *leaves) EXPECT_EQ(*(*store)->FindLeaf(l.leaf_hash), l.index);
  auto sealed = (*store)->Seal({*(*leaves)[5].entry, testing::MakeEntry(KeyFromByte(2), "new")}, 9999, KeyFromByte(1));
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->placements, (std::vector<std::pair<uint64_t, bool>>{{5, false}, {21, true}}));
  EXPECT_TRUE(VerifyChain(path, {})->ok);
}

}  // namespace
}  // namespace ledger
