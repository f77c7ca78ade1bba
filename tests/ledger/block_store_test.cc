#include "ledger/block_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <cstring>
#include <thread>

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

// An authority group's leader proposes a block without writing it; written later (ApplyBlock)
// it is the block Seal would have made, and entries already on the chain are not proposed.
TEST(BlockStore, AProposalIsWrittenNowhereUntilApplied) {
  TempDir dir;
  PrivateKey authority = KeyFromByte(1), node = KeyFromByte(2);
  auto leader = BlockStore::Open(dir.File("leader.db"), authority.public_key()).value();
  auto sealer = BlockStore::Open(dir.File("sealer.db"), authority.public_key()).value();
  auto genesis = leader->InitGenesis(authority, 1000).value();
  ASSERT_TRUE(sealer->ApplyBlock(genesis, {}).ok());
  const Bytes a = MakeEntry(node, "a");  // the same bytes twice (SM2 signatures differ each time)
  std::vector<Bytes> entries = {a, MakeEntry(node, "b"), a};
  auto p = leader->Propose(entries, 2000, authority);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(leader->Head()->header.height, 0u) << "nothing written";
  EXPECT_EQ(p->block.head.header.height, 1u);
  ASSERT_EQ(p->block.leaves.size(), 2u);
  ASSERT_EQ(p->placements.size(), 3u);
  EXPECT_EQ(p->placements[2], (std::pair<uint64_t, bool>{0, false})) << "a copy within the batch";
  auto sealed = sealer->Seal(entries, 2000, authority).value();
  EXPECT_TRUE(sealed.head.header == p->block.head.header) << "the block Seal makes";
  ASSERT_TRUE(leader->ApplyBlock(p->block.head, p->block.leaves).ok());
  EXPECT_EQ(leader->Head()->header.tree_size, 2u);
  auto again = leader->Propose({entries[1], MakeEntry(node, "c")}, 3000, authority).value();
  ASSERT_EQ(again.block.leaves.size(), 1u) << "b is on the chain";
  EXPECT_EQ(again.placements[0], (std::pair<uint64_t, bool>{1, false}));
  EXPECT_FALSE(leader->Propose(entries, 4000, node).ok()) << "not the chain's key";
  auto none = leader->Propose({entries[0]}, 5000, authority).value();
  EXPECT_TRUE(none.block.leaves.empty());
  EXPECT_EQ(none.block.head.header.height, 1u) << "nothing new: the head";
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

TEST(BlockStore, WaitForHeightWakesWhenABlockIsSealedAndTimesOutOtherwise) {
  TempDir dir;
  PrivateKey authority = KeyFromByte(1), node = KeyFromByte(2);
  auto store = BlockStore::Open(dir.File("chain.db"), authority.public_key());
  (*store)->InitGenesis(authority, 1);
  EXPECT_TRUE((*store)->WaitForHeight(0, 0));
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE((*store)->WaitForHeight(1, 50));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(50));
  std::thread sealer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    (*store)->Seal({MakeEntry(node, "a")}, 2, authority);
  });
  start = std::chrono::steady_clock::now();
  EXPECT_TRUE((*store)->WaitForHeight(1, 10000));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));  // woken, not timed out
  sealer.join();
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

// Leaf keys reach chain_leaf_key in sweeps, a slice per commit once 65,536 wait; until then
// they are in chain_leaf_new and in memory. Before, during and after a sweep, and across a
// reopen in the middle of one, every leaf is found by its hash and never sealed twice.
TEST(BlockStore, LeafKeysAreFoundBeforeDuringAndAfterASweep) {
  TempDir dir;
  PrivateKey authority = KeyFromByte(1);
  const std::string path = dir.File("chain.db");
  std::vector<Bytes> all;
  auto raw = [&](size_t i) {
    std::string s = "leaf " + std::to_string(i);
    return Bytes(s.begin(), s.end());
  };
  auto count = [&](const std::string& sql) {
    sqlite3* db = nullptr;
    sqlite3_open(path.c_str(), &db);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr);
    int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
  };
  auto seal = [&](BlockStore& store, size_t n) {
    std::vector<Bytes> entries;
    for (size_t i = 0; i < n; ++i) entries.push_back(raw(all.size() + i));
    all.insert(all.end(), entries.begin(), entries.end());
    ASSERT_TRUE(store.Seal(entries, 2, authority).ok());
  };
  auto all_found = [&](BlockStore& store) {
    for (size_t i = 0; i < all.size(); i += 997) ASSERT_EQ(*store.FindLeaf(LeafHash(all[i])), i) << i;
    ASSERT_EQ(*store.FindLeaf(LeafHash(all.back())), all.size() - 1);
    ASSERT_FALSE(store.FindLeaf(LeafHash(raw(all.size())))->has_value());
  };
  {
    auto store = BlockStore::Open(path, authority.public_key());
    (*store)->InitGenesis(authority, 1);
    seal(**store, 30000);
    seal(**store, 30000);
    EXPECT_EQ(count("SELECT count(*) FROM chain_leaf_key"), 0);
    EXPECT_EQ(count("SELECT count(*) FROM chain_leaf_new"), 60000);
    all_found(**store);
    // 70,000 keys wait: a sweep of the 60,000 already sealed starts, twice this block's
    // 10,000 moved at once.
    seal(**store, 10000);
    EXPECT_EQ(count("SELECT count(*) FROM chain_leaf_key"), 20000);
    all_found(**store);
  }
  {
    auto store = BlockStore::OpenExisting(path);  // in the middle of the sweep
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    all_found(**store);
    auto again = (*store)->Seal({all[5], all[59999], all[65000]}, 3, authority);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->placements,
              (std::vector<std::pair<uint64_t, bool>>{{5, false}, {59999, false}, {65000, false}}));
    for (int b = 0; b < 9; ++b) seal(**store, 5);  // 4,096 keys a block
    EXPECT_EQ(count("SELECT count(*) FROM chain_leaf_key"), 20000 + 9 * 4096);
    seal(**store, 5);  // the last 3,136: swept
    EXPECT_EQ(count("SELECT count(*) FROM chain_leaf_key"), 60000);
    EXPECT_EQ(count("SELECT value FROM chain_meta WHERE key = 'leaf_keys'"), 60000);
    EXPECT_EQ(count("SELECT count(*) FROM chain_leaf_new"), 10050);
    all_found(**store);
  }
  auto store = BlockStore::OpenExisting(path);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  all_found(**store);
  const uint64_t size = all.size();
  // Subtrees are stored from level 4 up only.
  int64_t nodes = 0;
  for (int level = 4; (size >> level) > 0; ++level) nodes += static_cast<int64_t>(size >> level);
  EXPECT_EQ(count("SELECT count(*) FROM chain_node"), nodes);
  // Proofs over unstored low subtrees, at every position of a 16-leaf group and a ragged edge.
  auto head = (*store)->Head();
  for (uint64_t i = size - 40; i < size; ++i) {
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
