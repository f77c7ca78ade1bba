// 10,000 random orders become invoices through the lifecycle: per-rate sums of the lines
// equal the totals, the documents round-trip, and refunds that reverse everything (in one
// or several red invoices) leave exactly 0 remaining.
#include <gtest/gtest.h>

#include <random>

#include "invoice/lifecycle.h"
#include "invoice/national_xml.h"
#include "invoice/order.h"

namespace invoice {
namespace {

const std::string kMerchant = "91440300MA5DQ3QP4X";

TEST(Property, TenThousandRandomOrders) {
  std::mt19937_64 rng(20261124);
  Lifecycle lc;
  ASSERT_TRUE(lc.Apply(std::string(kAuthoritySubmitter), RegisterEvent{{}, kMerchant, "m", std::string(64, 'a')}).ok());
  ASSERT_TRUE(lc.Apply(kMerchant, ApplyEvent{{}, kMerchant, {26, 44, 1}, 100000}).ok());
  NumberAllocator numbers;
  numbers.Grant(lc.RangesOf(kMerchant)[0]);
  const int kRates[] = {13, 9, 6, 3, 1, 0};
  Party seller{"深圳市前海咖啡有限公司", kMerchant, ""};
  Party buyer{"张三", "", ""};
  int reds = 0;
  for (int n = 0; n < 10000; ++n) {
    Order o;
    o.order_id = "R" + std::to_string(n);
    int lines = 1 + static_cast<int>(rng() % 6);
    for (int i = 0; i < lines; ++i) {
      Line l;
      l.name = "item " + std::to_string(i);
      int64_t qty_milli = 1 + static_cast<int64_t>(rng() % 20000);  // 0.001 .. 20
      int64_t price = 1 + static_cast<int64_t>(rng() % 5000000);     // 0.01 .. 50,000 yuan
      l.quantity = Decimal{qty_milli, 3};
      l.unit_price_fen = Decimal{price, 0};
      __int128 exact = static_cast<__int128>(qty_milli) * price;
      l.gross_fen = static_cast<Fen>((exact + 500) / 1000);  // the nearest fen
      if (l.gross_fen == 0) l.gross_fen = 1;
      l.rate = *TaxRate::FromPercent(kRates[rng() % 6]);
      o.items.push_back(l);
    }
    ASSERT_FALSE(ValidateOrder(o).has_value()) << n;
    Invoice blue = MakeBlue(o, seller, buyer, numbers.Take(1).numbers.at(0).ToString(), 1795483800000 + n, "P" + std::to_string(n));
    ASSERT_TRUE(lc.Apply(kMerchant, IssueEvent{blue}).ok()) << n;

    // Per-rate sums of lines equal the invoice's totals.
    Fen gross = 0, net = 0, tax = 0;
    for (const auto& [rate, t] : blue.TotalsByRate()) {
      EXPECT_EQ(t.net_fen + t.tax_fen, t.gross_fen);
      gross += t.gross_fen;
      net += t.net_fen;
      tax += t.tax_fen;
    }
    ASSERT_EQ(gross, blue.TotalFen());
    ASSERT_EQ(net, blue.NetFen());
    ASSERT_EQ(tax, blue.TaxFen());
    if (n % 10 == 0) {
      auto back = DecodeInvoiceXml(EncodeInvoiceXml(blue));
      ASSERT_TRUE(std::holds_alternative<Invoice>(back)) << std::get<Problem>(back).message;
      ASSERT_EQ(std::get<Invoice>(back), blue);
    }

    // Reverse it all: sometimes in one red invoice, sometimes in a partial one and the rest.
    Fen reversed = 0;
    while (reversed < blue.TotalFen()) {
      Fen left = blue.TotalFen() - reversed;
      Fen amount = (rng() % 2 == 0 || left == 1) ? left : 1 + static_cast<Fen>(rng() % (left - 1));
      Invoice red = MakeRed(blue, reversed, amount, numbers.Take(1).numbers.at(0).ToString(), 1795483900000 + n,
                            "F" + std::to_string(n) + "-" + std::to_string(reversed), "02");
      ASSERT_EQ(red.TotalFen(), -amount);
      Verdict v = lc.Apply(kMerchant, IssueEvent{red});
      ASSERT_TRUE(v.ok()) << n << ": " << v.message << " " << v.field;
      reversed += amount;
      ++reds;
    }
    ASSERT_EQ(lc.FindInvoice(blue.invoice_no)->remaining_fen, 0) << n;
    // Nothing more can be reversed.
    Invoice extra = MakeRed(blue, 0, 1, numbers.Take(1).numbers.at(0).ToString(), 1795483900000, "X" + std::to_string(n), "02");
    ASSERT_EQ(lc.Apply(kMerchant, IssueEvent{extra}).refusal, Refusal::kReversesMoreThanRemains);
  }
  EXPECT_GT(reds, 10000);
}

}  // namespace
}  // namespace invoice
