#include "invoice/money.h"

#include <gtest/gtest.h>

#include "tax/vat_return.h"
#include "invoice/time_format.h"

namespace invoice {
namespace {

TaxRate R(const char* s) { return *TaxRate::Parse(s); }

TEST(TaxRate, ParsesOnlyContractRates) {
  for (const char* s : {"0.13", "0.09", "0.06", "0.03", "0.01", "0"}) {
    ASSERT_TRUE(TaxRate::Parse(s).has_value()) << s;
    EXPECT_EQ(TaxRate::Parse(s)->ToString(), s);
  }
  EXPECT_EQ(TaxRate::Parse("0.00")->percent(), 0);
  for (const char* s : {"0.17", "13", "0.130", ".13", "", "0.1", "-0.13", "0.13 "})
    EXPECT_FALSE(TaxRate::Parse(s).has_value()) << s;
}

TEST(SplitGross, KnownValues) {
  EXPECT_EQ(SplitGross(11300, R("0.13")).tax_fen, 1300);  // 113.00 at 13%: exactly 13.00
  EXPECT_EQ(SplitGross(11300, R("0.13")).net_fen, 10000);
  EXPECT_EQ(SplitGross(100, R("0.13")).tax_fen, 12);      // 11.504 -> 12
  EXPECT_EQ(SplitGross(226, R("0.13")).tax_fen, 26);      // exactly 26
  EXPECT_EQ(SplitGross(53, R("0.06")).tax_fen, 3);        // exactly 3
  EXPECT_EQ(SplitGross(51, R("0.03")).tax_fen, 1);        // 1.485 -> 1
  EXPECT_EQ(SplitGross(151, R("0.01")).tax_fen, 1);       // 1.495 -> 1
  EXPECT_EQ(SplitGross(152, R("0.01")).tax_fen, 2);       // 1.505 -> 2
  EXPECT_EQ(SplitGross(0, R("0.13")).tax_fen, 0);
  EXPECT_EQ(SplitGross(99999, R("0")).tax_fen, 0);
  EXPECT_EQ(SplitGross(99999, R("0")).net_fen, 99999);
}

// An exact tie (g*p/(100+p) == k + 1/2) needs 2gp == (2k+1)(100+p), which has no integer
// solution for the contract's rates; so check the rounding error bound on every gross.
TEST(SplitGross, NearestFenForEveryGross) {
  for (int p : {13, 9, 6, 3, 1}) {
    TaxRate r = *TaxRate::FromPercent(p);
    for (Fen g = 1; g < 20000; ++g) {
      Fen tax = SplitGross(g, r).tax_fen;
      Fen twice_diff = 2 * g * p - 2 * tax * (100 + p);  // 2 * (exact - tax) * (100 + p)
      EXPECT_LE(twice_diff, 100 + p) << g << " at " << p;
      EXPECT_GT(twice_diff, -(100 + p)) << g << " at " << p;
    }
  }
}

TEST(SplitGross, RedLinesMirrorBlueLines) {
  for (Fen g : {1, 100, 11300, 123457, 999999999}) {
    VatSplit blue = SplitGross(g, R("0.13")), red = SplitGross(-g, R("0.13"));
    EXPECT_EQ(red.tax_fen, -blue.tax_fen);
    EXPECT_EQ(red.net_fen, -blue.net_fen);
  }
}

TEST(Yuan, FormatsAndParses) {
  EXPECT_EQ(FormatYuan(140950), "1409.50");
  EXPECT_EQ(FormatYuan(1), "0.01");
  EXPECT_EQ(FormatYuan(0), "0.00");
  EXPECT_EQ(FormatYuan(-1200), "-12.00");
  EXPECT_EQ(ParseYuan("1409.50"), 140950);
  EXPECT_EQ(ParseYuan("1409.5"), 140950);
  EXPECT_EQ(ParseYuan("1409"), 140900);
  EXPECT_EQ(ParseYuan("0.01"), 1);
  for (const char* bad : {"", ".5", "1.", "1.234", "-1", "+1", "1e3", "1,000", "abc"})
    EXPECT_FALSE(ParseYuan(bad).has_value()) << bad;
}

TEST(RateAccumulator, SumsByRate) {
  tax::RateAccumulator acc;
  acc.Add(11300, R("0.13"));
  acc.Add(100, R("0.13"));
  acc.Add(10900, R("0.09"));
  acc.Add(-11300, R("0.13"));
  EXPECT_EQ(acc.totals().at(R("0.13")).gross_fen, 100);
  EXPECT_EQ(acc.totals().at(R("0.13")).tax_fen, 12);
  EXPECT_EQ(acc.totals().at(R("0.09")).tax_fen, 900);
  EXPECT_EQ(acc.Sum().net_fen, 88 + 10000);
}

}  // namespace
}  // namespace invoice

namespace invoice {
namespace {

// People read China Standard Time (UTC+8) to the second; the API's UTC stays as it is.
TEST(TimeFormat, ChinaStandardTimeForPeople) {
  const uint64_t ms = *ParseUtcMs("2026-11-30T01:53:12.394Z");
  EXPECT_EQ(ChinaDateTime(ms), "2026-11-30 09:53:12");
  EXPECT_EQ(ChinaDateTime(*ParseUtcMs("2026-12-31T16:00:00.000Z")), "2027-01-01 00:00:00");  // a new year in China
  EXPECT_EQ(FormatUtcMs(ms), "2026-11-30T01:53:12.394Z");
}

}  // namespace
}  // namespace invoice
