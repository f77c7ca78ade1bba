// A replica applies the authority's blocks only if they extend its own chain; a forked
// history (split view), a tampered entry or a forged block is refused.
#include <gtest/gtest.h>

#include "ledger/block_store.h"
#include "ledger/verifier.h"
#include "test_chain.h"

namespace ledger {
namespace {

using testing::KeyFromByte;
using testing::MakeEntry;
using testing::TempDir;

struct Block {
  SignedHeader head;
  std::vector<LeafRecord> leaves;
};

// Blocks [from, to] of `store`, with entries dropped where `keep` says so (privacy).
std::vector<Block> Blocks(BlockStore& store, uint64_t from, uint64_t to, bool (*keep)(uint64_t) = nullptr) {
  std::vector<Block> out;
  uint64_t prev = from == 0 ? 0 : store.BlockAt(from - 1)->header.tree_size;
  for (uint64_t h = from; h <= to; ++h) {
    Block b{*store.BlockAt(h), *store.Leaves(prev, store.BlockAt(h)->header.tree_size)};
    if (keep)
      for (auto& l : b.leaves)
        if (!keep(l.index)) l.entry.reset();
    prev = b.head.header.tree_size;
    out.push_back(std::move(b));
  }
  return out;
}

class Replica : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::BuildChain(dir_.File("authority.db"), 5, 4);
    authority_ = BlockStore::OpenExisting(dir_.File("authority.db")).value();
    replica_ = BlockStore::Open(dir_.File("replica.db"), KeyFromByte(1).public_key()).value();
  }
  TempDir dir_;
  std::unique_ptr<BlockStore> authority_, replica_;
};

TEST_F(Replica, FollowsTheAuthorityHoldingOnlyItsOwnEntries) {
  for (const Block& b : Blocks(*authority_, 0, 5, [](uint64_t i) { return i % 2 == 0; }))
    ASSERT_TRUE(replica_->ApplyBlock(b.head, b.leaves).ok()) << b.head.header.height;
  EXPECT_EQ(replica_->Head()->header, authority_->Head()->header);
  auto report = VerifyChain(dir_.File("replica.db"), {});
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok) << report->bad_item << ": " << report->problem;
  EXPECT_EQ(report->entries, 20u);
  EXPECT_EQ(report->entries_held, 10u);
  // Proofs work on the replica too.
  auto leaf = authority_->Leaves(7, 8)->at(0).leaf_hash;
  auto proof = replica_->InclusionProof(7, 20);
  EXPECT_TRUE(VerifyInclusion(7, 20, leaf, *proof, replica_->Head()->header.tree_root));
}

TEST_F(Replica, RepeatsAreHarmlessGapsAndForgeriesAreRefused) {
  auto blocks = Blocks(*authority_, 0, 5);
  ASSERT_TRUE(replica_->ApplyBlock(blocks[0].head, blocks[0].leaves).ok());
  EXPECT_EQ(replica_->ApplyBlock(blocks[2].head, blocks[2].leaves).code(), Status::Code::kInvalidArgument);
  ASSERT_TRUE(replica_->ApplyBlock(blocks[1].head, blocks[1].leaves).ok());
  EXPECT_TRUE(replica_->ApplyBlock(blocks[1].head, blocks[1].leaves).ok());  // again: fine
  Block tampered = blocks[2];
  tampered.leaves[1].entry->back() ^= 1;
  EXPECT_EQ(replica_->ApplyBlock(tampered.head, tampered.leaves).code(), Status::Code::kCorruption);
  Block forged = blocks[2];
  forged.head.signature[3] ^= 1;
  EXPECT_EQ(replica_->ApplyBlock(forged.head, forged.leaves).code(), Status::Code::kCorruption);
  Block short_block = blocks[2];
  short_block.leaves.pop_back();
  EXPECT_EQ(replica_->ApplyBlock(short_block.head, short_block.leaves).code(), Status::Code::kCorruption);
  ASSERT_TRUE(replica_->ApplyBlock(blocks[2].head, blocks[2].leaves).ok());
  EXPECT_EQ(replica_->Head()->header.height, 2u);
}

TEST_F(Replica, ASplitViewIsDetected) {
  // The same authority key signs a second history: after block 2 it diverges.
  testing::BuildChain(dir_.File("fork.db"), 2, 4);
  auto fork = BlockStore::OpenExisting(dir_.File("fork.db")).value();
  PrivateKey authority = KeyFromByte(1), node = KeyFromByte(2);
  ASSERT_TRUE(fork->Seal({MakeEntry(node, "the other history")}, 5000, authority).ok());
  for (const Block& b : Blocks(*authority_, 0, 3)) ASSERT_TRUE(replica_->ApplyBlock(b.head, b.leaves).ok());
  // The fork's block 3: a different block at a height the replica holds.
  Block other = Blocks(*fork, 3, 3)[0];
  Status s = replica_->ApplyBlock(other.head, other.leaves);
  EXPECT_EQ(s.code(), Status::Code::kConflict) << s.ToString();
  EXPECT_NE(s.message().find("split view"), std::string::npos);
  // A fork that claims to continue from the replica's head but rewrote earlier leaves.
  auto fork2_db = dir_.File("fork2.db");
  testing::BuildChain(fork2_db, 3, 4, "rewritten");
  auto fork2 = BlockStore::OpenExisting(fork2_db).value();
  ASSERT_TRUE(fork2->Seal({MakeEntry(node, "x"), MakeEntry(node, "y")}, 9000, authority).ok());
  Block next = Blocks(*fork2, 4, 4)[0];
  next.head.header.prev_hash = replica_->Head()->header.BlockHash();  // as a lying authority would
  next.head = SignHeader(next.head.header, authority);
  s = replica_->ApplyBlock(next.head, next.leaves);
  EXPECT_EQ(s.code(), Status::Code::kConflict) << s.ToString();
  EXPECT_NE(s.message().find("does not extend"), std::string::npos) << s.ToString();
  EXPECT_EQ(replica_->Head()->header.height, 3u);
  // The honest next block still applies.
  Block honest = Blocks(*authority_, 4, 4)[0];
  EXPECT_TRUE(replica_->ApplyBlock(honest.head, honest.leaves).ok());
}

}  // namespace
}  // namespace ledger
