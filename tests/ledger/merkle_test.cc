#include "tests/scoped_suite.h"
#include "ledger/merkle.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

namespace ledger {
namespace {

// The plain recursive MTH of RFC 9162 §2.1.1, independent of Frontier.
Hash Mth(const std::vector<Hash>& leaves, size_t lo, size_t hi) {
  if (hi == lo) return EmptyRoot();
  if (hi - lo == 1) return leaves[lo];
  size_t k = 1;
  while (k * 2 < hi - lo) k *= 2;
  return NodeHash(Mth(leaves, lo, lo + k), Mth(leaves, lo + k, hi));
}

// The README's 8-leaf tree and its roots by size.
std::vector<Hash> VectorLeaves() {
  std::vector<std::string> inputs = {"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                     "606162636465666768696a6b6c6d6e6f"};
  std::vector<Hash> out;
  for (auto& h : inputs) out.push_back(LeafHash(*FromHex(h)));
  return out;
}

const char* kRoots[] = {
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

// A tree in memory that records every completed subtree, as the block store does.
struct MemTree {
  Frontier frontier;
  std::vector<Hash> leaves;
  std::map<std::pair<int, uint64_t>, Hash> nodes;
  void Add(const Hash& leaf) {
    std::vector<Frontier::Completed> done;
    leaves.push_back(leaf);
    frontier.Append(leaf, &done);
    for (auto& c : done) nodes[{c.level, c.index}] = c.hash;
  }
  NodeReader Reader() {
    return [this](int level, uint64_t index) -> Result<Hash> {
      if (level == 0) return leaves.at(index);
      auto it = nodes.find({level, index});
      if (it == nodes.end()) return Status::NotFound("node");
      return it->second;
    };
  }
};

TEST(Merkle, KnownRootsBySize) {
  testing_suite::ScopedSuite ed25519(ledger::Suite::kEd25519Sha256);  // RFC 9162 / RFC 8032 / C2SP known answers
  auto leaves = VectorLeaves();
  for (size_t n = 0; n <= 8; ++n) {
    std::vector<Hash> prefix(leaves.begin(), leaves.begin() + n);
    EXPECT_EQ(RootOf(prefix).Hex(), kRoots[n]) << n;
    EXPECT_EQ(Mth(prefix, 0, n).Hex(), kRoots[n]) << n;
  }
}

TEST(Merkle, FrontierMatchesRecursiveRootAndStoresEveryCompleteSubtree) {
  MemTree t;
  for (uint64_t i = 0; i < 300; ++i) {
    t.Add(Sha256(AsBytes(std::to_string(i))));
    ASSERT_EQ(t.frontier.Root(), Mth(t.leaves, 0, t.leaves.size())) << i;
    auto loaded = Frontier::Load(t.Reader(), t.leaves.size());
    ASSERT_TRUE(loaded.ok());
    ASSERT_EQ(loaded->Root(), t.frontier.Root());
  }
  // 300 leaves: floor(300/2) + floor(300/4) + ... complete subtrees of level >= 1.
  EXPECT_EQ(t.nodes.size(), 150u + 75 + 37 + 18 + 9 + 4 + 2 + 1);
}

TEST(Merkle, EveryGeneratedProofVerifiesAndEveryTamperedOneFails) {
  MemTree t;
  for (uint64_t i = 0; i < 70; ++i) t.Add(Sha256(AsBytes(std::to_string(i))));
  for (uint64_t n = 1; n <= 70; ++n) {
    Hash root = Mth(t.leaves, 0, n);
    for (uint64_t m = 0; m < n; ++m) {
      auto p = InclusionProof(t.Reader(), m, n);
      ASSERT_TRUE(p.ok());
      ASSERT_TRUE(VerifyInclusion(m, n, t.leaves[m], *p, root)) << m << "/" << n;
      EXPECT_FALSE(VerifyInclusion(m, n, t.leaves[(m + 1) % 70], *p, root));
      if (!p->empty()) {
        auto bad = *p;
        bad.back().bytes[7] ^= 1;
        EXPECT_FALSE(VerifyInclusion(m, n, t.leaves[m], bad, root));
      }
      uint64_t first = m + 1;
      auto c = ConsistencyProof(t.Reader(), first, n);
      ASSERT_TRUE(c.ok());
      Hash root1 = Mth(t.leaves, 0, first);
      ASSERT_TRUE(VerifyConsistency(first, n, root1, root, *c)) << first << "->" << n;
      if (!c->empty()) {
        auto bad = *c;
        bad.front().bytes[0] ^= 0x80;
        EXPECT_FALSE(VerifyConsistency(first, n, root1, root, bad));
      }
    }
  }
}

TEST(Merkle, ProofsFromVectorTreeMatchVectorFiles) {
  testing_suite::ScopedSuite ed25519(ledger::Suite::kEd25519Sha256);  // RFC 9162 / RFC 8032 / C2SP known answers
  MemTree t;
  for (auto& l : VectorLeaves()) t.Add(l);
  auto p = InclusionProof(t.Reader(), 0, 8);
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->size(), 3u);
  EXPECT_EQ(ToBase64(p->at(0).View()), "lqKW0iTyhcZ77pPDD4owkVfw2qNdxbh+QQt4YwoJz8c=");
  auto c = ConsistencyProof(t.Reader(), 1, 8);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*c, *p);  // from size 1, the consistency path is the inclusion path of leaf 0
}

TEST(Hex, RoundTripsAndRejects) {
  EXPECT_EQ(ToHex(*FromHex("00ff10Ab")), "00ff10ab");
  EXPECT_FALSE(FromHex("0").has_value());
  EXPECT_FALSE(FromHex("zz").has_value());
  EXPECT_EQ(ToBase64(AsBytes("hello")), "aGVsbG8=");
  EXPECT_EQ(*FromBase64("aGVsbG8="), Bytes(AsBytes("hello").begin(), AsBytes("hello").end()));
  EXPECT_FALSE(FromBase64("aGVsbG8").has_value());
  EXPECT_FALSE(FromBase64("aGVsbG9=").has_value());  // non-canonical trailing bits
}

}  // namespace
}  // namespace ledger
