// Amounts in words, credit codes, invoice numbers and the allocator, line rules.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

#include "invoice/amount_words.h"
#include "invoice/credit_code.h"
#include "invoice/invoice.h"
#include "invoice/invoice_number.h"

namespace invoice {
namespace {

TEST(AmountInWords, ContractAndPbocExamples) {
  const std::pair<Fen, const char*> cases[] = {
      {140950, "壹仟肆佰零玖元伍角"},            // contract
      {10000, "壹佰元整"},                       // contract
      {1640902, "壹万陆仟肆佰零玖元零贰分"},     // contract
      {1, "壹分"},
      {10, "壹角"},
      {1000, "壹拾元整"},
      {10000000, "壹拾万元整"},
      {10000000000, "壹亿元整"},
      {100000000101, "壹拾亿零壹元零壹分"},
      {0, "零元整"},
      {600714, "陆仟零柒元壹角肆分"},           // PBOC: one 零 for a run of zeros
      {32504, "叁佰贰拾伍元零肆分"},            // PBOC: 零 after 元 when 角 is zero
      {168032, "壹仟陆佰捌拾元叁角贰分"},        // 元 digit zero, 角 not: 零 may be left out
      {10700053, "壹拾万零柒仟元伍角叁分"},      // zero at 万: one 零
      {100100000, "壹佰万零壹仟元整"},
      {1001000000, "壹仟零壹万元整"},
      {1000000100, "壹仟万零壹元整"},
      {2000000000000, "贰佰亿元整"},
      {kMaxAmountFen, "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"},
      {-10000, "负壹佰元整"},
  };
  for (const auto& [fen, words] : cases) {
    auto w = AmountInWords(fen);
    ASSERT_TRUE(w.has_value()) << fen;
    EXPECT_EQ(*w, words) << fen;
  }
  EXPECT_FALSE(AmountInWords(kMaxAmountFen + 1).has_value());
  EXPECT_FALSE(AmountInWords(-kMaxAmountFen - 1).has_value());
}

// Real-format codes: three published ones and the fixtures' own.
const char* kValidCodes[] = {"91350100M000100Y43", "91110000802100433B", "91310000MA1FL1MMXL",
                             "91440300MA5DQ3QP4X", "91110108MA01G7GK9M", "91310115MA1K4BHY14"};

TEST(CreditCode, AcceptsRealFormatCodes) {
  for (const char* c : kValidCodes) EXPECT_EQ(CheckCreditCode(c), CreditCodeError::kOk) << c;
}

// A code with the right check character for its first 17 characters.
std::string WithCheckChar(const std::string& first17) { return first17 + CreditCodeCheckChar(first17); }

TEST(CreditCode, RefusesImpossibleAuthorityKindAndRegionNamingThePart) {
  // The check character holds for each of these; the parts before it do not exist.
  EXPECT_EQ(CheckCreditCode("000000000000000000"), CreditCodeError::kAuthority);
  EXPECT_EQ(CheckCreditCode(WithCheckChar("01440300MA5DQ3QP4")), CreditCodeError::kAuthority);
  EXPECT_EQ(CheckCreditCode(WithCheckChar("B1440300MA5DQ3QP4")), CreditCodeError::kAuthority);
  EXPECT_EQ(CheckCreditCode(WithCheckChar("94440300MA5DQ3QP4")), CreditCodeError::kKind);  // 工商 has 1-3
  EXPECT_EQ(CheckCreditCode(WithCheckChar("90440300MA5DQ3QP4")), CreditCodeError::kKind);
  EXPECT_EQ(CheckCreditCode(WithCheckChar("Y2440300MA5DQ3QP4")), CreditCodeError::kKind);  // 其他: only 1
  EXPECT_EQ(CheckCreditCode(WithCheckChar("91000000MA5DQ3QP4")), CreditCodeError::kRegion);
  EXPECT_EQ(CheckCreditCode(WithCheckChar("91990000MA5DQ3QP4")), CreditCodeError::kRegion);  // no province 99
  EXPECT_EQ(CheckCreditCode(WithCheckChar("91440399MA5DQ3QP4")), CreditCodeError::kRegion);  // no such county
  EXPECT_EQ(CheckCreditCode(WithCheckChar("91440300MA5DQ3QP4")), CreditCodeError::kOk);
  // Each error names its part.
  EXPECT_NE(DescribeCreditCodeError(CreditCodeError::kAuthority).find("1st character"), std::string::npos);
  EXPECT_NE(DescribeCreditCodeError(CreditCodeError::kKind).find("2nd character"), std::string::npos);
  EXPECT_NE(DescribeCreditCodeError(CreditCodeError::kRegion).find("GB/T 2260"), std::string::npos);
  EXPECT_EQ(CreditCodeErrorName(CreditCodeError::kRegion), "region");
}

TEST(CreditCode, EveryAuthorityAndKindOfTheStandardPasses) {
  const std::pair<char, const char*> kinds[] = {{'1', "1239"}, {'2', "19"}, {'3', "123459"}, {'4', "19"},
                                                {'5', "1239"}, {'6', "129"}, {'7', "129"},  {'8', "19"},
                                                {'9', "123"},  {'A', "19"}, {'N', "1239"}, {'Y', "1"}};
  for (const auto& [authority, list] : kinds)
    for (const char* k = list; *k; ++k) {
      std::string code = WithCheckChar(std::string{authority, *k} + "110108MA01G7GK9");
      EXPECT_EQ(CheckCreditCode(code), CreditCodeError::kOk) << code;
    }
}

// Every code in fixtures/ whose check character holds (so, meant as a code) passes the full rules.
TEST(CreditCode, EveryCodeInTheFixturesPasses) {
  const std::regex token("(^|[^0-9A-Z])([0-9A-HJ-NPQRTUWXY]{18})($|[^0-9A-Z])");
  int checked = 0;
  for (const auto& f : std::filesystem::recursive_directory_iterator(std::string(EINVOICE_SOURCE_DIR) + "/fixtures")) {
    if (!f.is_regular_file()) continue;
    std::ifstream in(f.path());
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (std::sregex_iterator it(text.begin(), text.end(), token), end; it != end; ++it) {
      std::string code = (*it)[2];
      if (CreditCodeCheckChar(code.substr(0, 17)) != code[17]) continue;
      EXPECT_EQ(CheckCreditCode(code), CreditCodeError::kOk) << code << " in " << f.path();
      ++checked;
    }
  }
  EXPECT_GE(checked, 3);
}

TEST(CreditCode, RegionsAreGbT2260WithTheirNames) {
  EXPECT_EQ(RegionName("440300").value_or(""), "深圳市");
  EXPECT_EQ(RegionName("110108").value_or(""), "海淀区");
  EXPECT_EQ(RegionName("310115").value_or(""), "浦东新区");
  EXPECT_FALSE(RegionName("000000").has_value());
  EXPECT_FALSE(RegionName("44030").has_value());
  // An abolished code stays valid: a code keeps the region it was issued under (崇文区, 2010).
  EXPECT_EQ(RegionName("110103").value_or(""), "崇文区");
}

TEST(CreditCode, RejectsEverySingleCharacterCorruption) {
  const std::string code = "91440300MA5DQ3QP4X";
  const std::string alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz- ";
  int tried = 0;
  for (size_t i = 0; i < code.size(); ++i) {
    for (char c : alphabet) {
      if (c == code[i]) continue;
      std::string bad = code;
      bad[i] = c;
      EXPECT_NE(CheckCreditCode(bad), CreditCodeError::kOk) << bad;
      ++tried;
    }
  }
  EXPECT_EQ(tried, 18 * 63);
  EXPECT_EQ(CheckCreditCode("91440300MA5DQ3QP4"), CreditCodeError::kLength);
  EXPECT_EQ(CheckCreditCode("91440300MA5DQ3QP4XX"), CreditCodeError::kLength);
  EXPECT_EQ(CheckCreditCode("914403O0MA5DQ3QP4X"), CreditCodeError::kCharset);
  EXPECT_EQ(CheckCreditCode("9144A300MA5DQ3QP4X"), CreditCodeError::kRegion);
  EXPECT_EQ(CheckCreditCode("91440300MA5DQ3QP4Y"), CreditCodeError::kCheckCharacter);
  EXPECT_EQ(CreditCodeCheckChar("91440300MA5DQ3QP4"), 'X');
}

TEST(InvoiceNumber, FormatAndParse) {
  InvoiceNumber n{{26, 44, 1}, 123};
  EXPECT_EQ(n.ToString(), "26441000000000000123");
  EXPECT_EQ(InvoiceNumber::Parse("26441000000000000123"), n);
  EXPECT_EQ(InvoiceNumber::Parse("99999999999999999999")->sequence, kMaxSequence);
  for (const char* bad : {"2644100000000000012", "264410000000000001234", "2644100000000000012a", "", "-6441000000000000123"})
    EXPECT_FALSE(InvoiceNumber::Parse(bad).has_value()) << bad;
}

TEST(NumberAllocator, OnlyInsideGrantedRanges) {
  NumberAllocator a;
  EXPECT_TRUE(a.Take(1).numbers.empty());  // nothing granted: nothing to hand out
  EXPECT_TRUE(a.Grant({{26, 44, 1}, 100, 3}));
  EXPECT_TRUE(a.Grant({{26, 44, 1}, 500, 2}));
  EXPECT_FALSE(a.Grant({{26, 44, 1}, 100, 3}));  // the same grant twice is refused
  EXPECT_FALSE(a.Grant({{26, 44, 1}, 501, 9}));  // as is any overlap
  EXPECT_FALSE(a.Grant({{26, 44, 2}, 100, 0}));  // an empty range
  auto lease = a.Take(10);
  ASSERT_EQ(lease.numbers.size(), 5u);
  EXPECT_EQ(lease.numbers[0].ToString(), "26441000000000000100");
  EXPECT_EQ(lease.numbers[2].ToString(), "26441000000000000102");
  EXPECT_EQ(lease.numbers[3].ToString(), "26441000000000000500");
  EXPECT_EQ(lease.numbers[4].ToString(), "26441000000000000501");
  EXPECT_TRUE(a.Take(1).numbers.empty());
  EXPECT_EQ(a.Remaining(), 0u);
}

// The caller's protocol: persist State() before using the numbers of a lease. Simulated
// crashes at every point lose some numbers but never hand one out twice.
TEST(NumberAllocator, NeverReusesANumberAcrossRestarts) {
  std::string persisted;  // what the caller's database holds
  {
    NumberAllocator a;
    a.Grant({{26, 44, 1}, 1, 1000});
    a.Grant({{26, 44, 2}, 7, 1000});
    persisted = a.State();
  }
  std::set<std::string> used;
  int restarts = 0;
  for (int round = 0; round < 200; ++round) {
    auto a = NumberAllocator::FromState(persisted);  // a restart reads the persisted state
    ASSERT_TRUE(a.has_value()) << persisted;
    ++restarts;
    auto lease = a->Take(1 + round % 17);
    if (lease.numbers.empty()) break;
    persisted = a->State();  // 1. persist the lease ...
    size_t use = round % 3 == 0 ? lease.numbers.size() / 2 : lease.numbers.size();  // crash midway sometimes
    for (size_t i = 0; i < use; ++i)  // 2. ... then use its numbers
      EXPECT_TRUE(used.insert(lease.numbers[i].ToString()).second) << "reused " << lease.numbers[i].ToString();
  }
  EXPECT_GT(used.size(), 1000u);
  EXPECT_EQ(restarts, 200);
  EXPECT_FALSE(NumberAllocator::FromState("v2 0 0").has_value());
  EXPECT_FALSE(NumberAllocator::FromState("v1 0 0; 26441 5 0").has_value());
  EXPECT_FALSE(NumberAllocator::FromState("v1 3 0; 26441 5 10").has_value());
}

TEST(Decimal, ParsesExactly) {
  EXPECT_EQ(Decimal::Parse("1.50")->ToString(), "1.5");
  EXPECT_EQ(Decimal::Parse("-0.125")->units, -125);
  EXPECT_EQ(Decimal::Parse("-0.125")->scale, 3);
  EXPECT_EQ(Decimal::Parse("12")->ToString(), "12");
  EXPECT_EQ(Decimal::Parse("0.000001")->ToString(), "0.000001");
  EXPECT_TRUE(*Decimal::Parse("2.50") == *Decimal::Parse("2.5"));
  for (const char* bad : {"", ".5", "1.", "1.0000001", "1e3", "+1", "1,5", "1234567890123", "--1"})
    EXPECT_FALSE(Decimal::Parse(bad).has_value()) << bad;
}

Line MakeLine(const char* qty, const char* price, Fen gross) {
  Line l;
  l.name = "Coffee";
  l.quantity = *Decimal::Parse(qty);
  l.unit_price_fen = *Decimal::Parse(price);
  l.gross_fen = gross;
  return l;
}

TEST(Line, QuantityTimesPriceWithinOneFen) {
  EXPECT_FALSE(ValidateLine(MakeLine("3", "3333.333333", 10000), Color::kBlue, "items[0]"));  // 9999.999999
  EXPECT_FALSE(ValidateLine(MakeLine("3", "3333.33", 10000), Color::kBlue, "items[0]"));      // 9999.99
  EXPECT_FALSE(ValidateLine(MakeLine("3", "3333", 10000), Color::kBlue, "items[0]"));         // off by exactly 1
  auto off = ValidateLine(MakeLine("3", "3332.99", 10000), Color::kBlue, "items[0]");          // off by 1.03
  ASSERT_TRUE(off.has_value());
  EXPECT_EQ(off->code, "amount_mismatch");
  EXPECT_EQ(off->field, "items[0].gross_fen");
  EXPECT_FALSE(ValidateLine(MakeLine("0.5", "1999", 1000), Color::kBlue, "x"));  // 999.5 -> within 1
  EXPECT_EQ(ValidateLine(MakeLine("1", "100", -100), Color::kBlue, "x")->field, "x.gross_fen");
  EXPECT_FALSE(ValidateLine(MakeLine("-1", "100", -100), Color::kRed, "x"));
  EXPECT_EQ(ValidateLine(MakeLine("1", "100", -100), Color::kRed, "x")->field, "x.quantity");
  EXPECT_EQ(ValidateLine(MakeLine("1", "0", 0), Color::kBlue, "x")->field, "x.gross_fen");
  Line l = MakeLine("1", "100", 100);
  l.name = "";
  EXPECT_EQ(ValidateLine(l, Color::kBlue, "x")->field, "x.name");
  l.name = "a\nb";
  EXPECT_EQ(ValidateLine(l, Color::kBlue, "x")->code, "invalid_text");
}

}  // namespace
}  // namespace invoice
