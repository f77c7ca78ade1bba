#include "ledger/block_store.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace ledger
