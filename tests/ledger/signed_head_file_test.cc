// The authority's record of its newest signed head: durable, never going back, and readable
// after a write torn by a crash (the other slot still holds the previous head).
#include <gtest/gtest.h>

#include <fstream>

#include "ledger/signed_head_file.h"
#include "test_chain.h"

namespace ledger {
namespace {

SignedHeader Head(uint64_t height) {
  BlockHeader h;
  h.height = height;
  h.time_ms = 1000 + height;
  h.tree_size = 10 * height;
  h.prev_hash.bytes.fill(static_cast<uint8_t>(height));
  return SignHeader(h, testing::KeyFromByte(1));
}

void Overwrite(const std::string& path, size_t at, const std::string& bytes) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(at));
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

TEST(SignedHeadFile, KeepsTheNewestHeadAcrossReopeningAndNeverGoesBack) {
  testing::TempDir dir;
  std::string path = dir.File("node.head");
  const SignedHeader third = Head(3);
  {
    auto f = SignedHeadFile::Open(path).value();
    EXPECT_FALSE(f->last());
    for (uint64_t h : {1, 2}) ASSERT_TRUE(f->Record(Head(h)).ok());
    ASSERT_TRUE(f->Record(third).ok());
    ASSERT_TRUE(f->Record(Head(2)).ok());  // lower: not recorded
    EXPECT_EQ(f->last()->header.height, 3u);
  }
  auto f = SignedHeadFile::Open(path).value();
  ASSERT_TRUE(f->last());
  EXPECT_EQ(f->last()->header, third.header);
  EXPECT_EQ(f->last()->signature, third.signature);  // (SM2 signs anew each time: keep the one recorded)
  EXPECT_TRUE(f->last()->SignatureValid(testing::KeyFromByte(1).public_key()));
}

TEST(SignedHeadFile, ATornWriteLeavesThePreviousHead) {
  testing::TempDir dir;
  std::string path = dir.File("node.head");
  {
    auto f = SignedHeadFile::Open(path).value();
    for (uint64_t h : {1, 2, 3, 4}) ASSERT_TRUE(f->Record(Head(h)).ok());
  }
  // Head 4 went to slot 0 (even sequence numbers), head 3 to slot 1 (offset 512).
  Overwrite(path, 40, "garbage");
  auto f = SignedHeadFile::Open(path).value();
  EXPECT_EQ(f->last()->header.height, 3u);
  ASSERT_TRUE(f->Record(Head(5)).ok());  // goes over the damaged slot
  auto again = SignedHeadFile::Open(path).value();
  EXPECT_EQ(again->last()->header.height, 5u);
  // Both slots damaged: not silently taken for "nothing signed yet".
  Overwrite(path, 40, "garbage");
  Overwrite(path, 512 + 40, "garbage");
  auto bad = SignedHeadFile::Open(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Status::Code::kCorruption);
}

}  // namespace
}  // namespace ledger
