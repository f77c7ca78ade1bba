// The table of leaf keys waiting for a sweep: a multimap, through its growth and clears.
#include <gtest/gtest.h>

#include <algorithm>

#include "ledger/leaf_keys.h"

namespace ledger {
namespace {

TEST(LeafKeyTable, FindsEveryIndexOfAKeyThroughGrowthAndClear) {
  LeafKeyTable table;
  EXPECT_TRUE(table.Find(7).empty());
  // Keys that share their value (two leaves whose hashes share 8 bytes), keys that differ
  // only in the high bits the slot is taken from, and enough of them to grow the slots a
  // few times.
  for (uint64_t i = 0; i < 10000; ++i) table.Insert({static_cast<int64_t>(i % 2500) << 40, i});
  table.Insert({-1, 10000});
  ASSERT_EQ(table.size(), 10001u);
  for (int64_t k : {int64_t{0}, int64_t{1} << 40, int64_t{2499} << 40}) {
    auto found = table.Find(k);
    std::sort(found.begin(), found.end());
    const uint64_t first = static_cast<uint64_t>(k >> 40);
    EXPECT_EQ(found, (std::vector<uint64_t>{first, first + 2500, first + 5000, first + 7500})) << k;
  }
  EXPECT_EQ(table.Find(-1), std::vector<uint64_t>{10000});
  EXPECT_TRUE(table.Find(int64_t{2500} << 40).empty());
  EXPECT_TRUE(table.Find(1).empty());
  auto keys = table.Keys();
  ASSERT_EQ(keys.size(), 10001u);
  EXPECT_EQ(keys[3], (LeafKeyTable::Key{int64_t{3} << 40, 3}));  // in the order added

  table.Clear();
  EXPECT_EQ(table.size(), 0u);
  EXPECT_TRUE(table.Find(0).empty());
  table.Reserve(100);
  table.Insert({0, 42});
  EXPECT_EQ(table.Find(0), std::vector<uint64_t>{42});
}

}  // namespace
}  // namespace ledger
