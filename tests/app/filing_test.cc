// VAT filing from the chain: a month of more than 5,000 invoices across two merchants, over
// every rate, with refunds (red invoices). Each merchant files; the filed return equals a
// recomputation done here independently from the exported chain (the invoice XML's own
// per-line amounts, summed by rate); a tampered filing is refused with the differing
// figures; a second filing must amend the first.
#include <openssl/evp.h>
#include <pugixml.hpp>

#include <map>

#include "invoice/event_codec.h"
#include "ledger/entry.h"
#include "two_nodes.h"

namespace app {
namespace e2e {
namespace {

const std::string kMerchant2 = "91310115MA1K4BHY14";
constexpr uint64_t kOct15 = 1791993600000;  // 2026-10-15 00:00 in China (UTC+8)
constexpr uint64_t kNov2 = 1793577600000;   // 2026-11-02T00:00:00Z
constexpr int kOrders = 1900;  // per merchant: with every third refunded, over 5,000 invoices
const char* kRates[] = {"0.13", "0.09", "0.06", "0.03", "0.01", "0"};

struct Sums {
  std::map<std::string, std::array<int64_t, 4>> by_rate;  // net, tax, red net, red tax
  uint64_t blue = 0, red = 0;
  std::vector<std::string> hashes;
};

int64_t Fen(const std::string& yuan) { return *invoice::ParseYuan(yuan.substr(yuan[0] == '-')) * (yuan[0] == '-' ? -1 : 1); }

// From `einvoice chain export`: every issue entry of `seller`, summed from the XML itself.
Sums Recompute(const std::string& export_file, const std::string& seller) {
  Sums s;
  std::ifstream in(export_file);
  std::string line;
  while (std::getline(in, line)) {
    auto block = Parse(line);
    if (block->getValue<std::string>("type") != "block") continue;
    auto leaves = block->getArray("leaves");
    for (size_t i = 0; i < leaves->size(); ++i) {
      auto leaf = leaves->getObject(i);
      if (!leaf->has("entry")) continue;
      auto entry = ledger::Entry::Decode(*ledger::FromBase64(leaf->getValue<std::string>("entry"))).value();
      if (entry.kind != "issue") continue;
      pugi::xml_document doc;
      doc.load_buffer(entry.payload.data(), entry.payload.size());
      auto root = doc.child("EInvoice");
      if (std::string(root.child("SellerInformation").child_value("SellerIdNum")) != seller) continue;
      std::string issued = root.child("Header").child_value("IssueTime");  // UTC
      if (issued.substr(0, 7) != "2026-10") continue;  // all fixture invoices are mid-month
      bool red = std::string(root.child("Header").child_value("InvoiceType")) == "red";
      (red ? s.red : s.blue)++;
      s.hashes.push_back(leaf->getValue<std::string>("leaf_hash"));
      for (auto item : root.children("IssuItemInformation")) {
        auto& r = s.by_rate[item.child_value("TaxRate")];
        r[red ? 2 : 0] += Fen(item.child_value("Amount"));
        r[red ? 3 : 1] += Fen(item.child_value("ComTaxAm"));
      }
    }
  }
  return s;
}

std::string SetHash(std::vector<std::string> hashes) {
  std::sort(hashes.begin(), hashes.end());
  std::string raw;
  for (const auto& h : hashes) {
    auto b = ledger::FromHex(h).value();
    raw.append(b.begin(), b.end());
  }
  unsigned char md[32];
  unsigned int len = 0;
  EVP_Digest(raw.data(), raw.size(), md, &len, EVP_sha256(), nullptr);
  return ledger::ToHex(ledger::ByteView(md, 32));
}

class Filing : public TwoNodes {
 protected:
  void SetUp() override {
    clock_ = kOct15;
    TwoNodes::SetUp();
    m2_ = m_;
    m2_.name = "上海浦东贸易有限公司";
    m2_.tax_id = kMerchant2;
    m2_.region_code = "31";
    m2_.db_path = dir_.File("merchant2.db");
    m2_.key_file = dir_.File("merchant2.pem");
    merchant2_ = StartTaxpayer(m2_);
    token2_ = merchant2_->tokens().Create(TokenRole::kMerchant, kMerchant2, "till", 0);
  }
  void TearDown() override {
    if (merchant2_) merchant2_->Stop();
    TwoNodes::TearDown();
  }
  // `count` paid orders on `node`, each with 1..3 lines over the rates; every third
  // refunded, most of them in part.
  void Sell(Node& node, const std::string& token, const std::string& prefix, int count) {
    for (int i = 0; i < count; ++i) {
      std::string id = prefix + std::to_string(i), items;
      int64_t total = 0;
      for (int k = 0; k <= i % 3; ++k) {
        int64_t gross = 101 + (i * 37 + k * 1013) % 99000;
        total += gross;
        items += std::string(k ? "," : "") + "{\"name\":\"商品" + std::to_string(k) + "\",\"quantity\":\"1\",\"unit_price_fen\":" +
                 std::to_string(gross) + ",\"gross_fen\":" + std::to_string(gross) + ",\"tax_rate\":\"" + kRates[(i + k) % 6] + "\"}";
      }
      auto o = Http(node.port(), "POST", "/v1/orders",
                    "{\"order_id\":\"" + id + "\",\"items\":[" + items + "],\"buyer\":{\"name\":\"张三\"}}",
                    {{"Authorization", "Bearer " + token}});
      ASSERT_EQ(o.status, 201) << o.body;
      auto pay = payment::WechatTransaction(keys_, id, "T" + id, total, NowS());
      ASSERT_EQ(Http(node.port(), "POST", "/v1/callbacks/wechatpay", pay.body, pay.headers).status, 204);
      if (i % 3 == 1) {
        int64_t refund = i % 30 == 1 ? total : std::max<int64_t>(1, total / 3);
        auto r = payment::WechatRefund(keys_, id, "T" + id, "R" + id, total, refund, NowS());
        ASSERT_EQ(Http(node.port(), "POST", "/v1/callbacks/wechatpay", r.body, r.headers).status, 204);
      }
    }
  }
  uint64_t Sealed(Node& n) { return n.merchant()->counters().sealed; }

  NodeConfig m2_;
  std::unique_ptr<Node> merchant2_;
  std::string token2_;
};

TEST_F(Filing, AMonthOfFiveThousandInvoicesFiledEqualsTheChainAndTamperingIsRefused) {
  std::thread a([&] { Sell(*merchant_, token_, "A-", kOrders); });
  std::thread b([&] { Sell(*merchant2_, token2_, "B-", kOrders); });
  a.join();
  b.join();
  static_assert(2 * kOrders * 4 / 3 >= 5000, "the fixture month holds at least 5,000 invoices");
  uint64_t issued = 0;
  for (int i = 0; i < 600; ++i) {
    issued = merchant_->merchant()->counters().issued + merchant2_->merchant()->counters().issued;
    if (Sealed(*merchant_) + Sealed(*merchant2_) == issued) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(Sealed(*merchant_) + Sealed(*merchant2_), issued);
  ASSERT_GE(issued, 2u * kOrders * 4 / 3);
  std::printf("filing: %llu invoices sealed for October over two merchants\n", static_cast<unsigned long long>(issued));

  // Too early: October is not over on the 15th.
  ExpectError(Api("POST", "/v1/filings", "{\"period\":\"2026-10\"}"), 422, "period_not_over");
  ExpectError(Api("POST", "/v1/filings", "{\"period\":\"2026-13\"}"), 422, "invalid_period");
  clock_ = kNov2;
  WaitLevel(*merchant_);
  WaitLevel(*merchant2_);
  auto f1 = Api("POST", "/v1/filings", "{\"period\":\"2026-10\"}");
  ASSERT_EQ(f1.status, 201) << f1.body;
  auto f2 = Http(merchant2_->port(), "POST", "/v1/filings", "{\"period\":\"2026-10\"}", {{"Authorization", "Bearer " + token2_}});
  ASSERT_EQ(f2.status, 201) << f2.body;

  std::string out = dir_.File("chain.jsonl");
  auto exported = apptest::RunCommand(std::string(EINVOICE_CLI) + " chain export --node-db " + dir_.File("authority.db") +
                                      " --out " + out);
  ASSERT_EQ(exported.exit_code, 0) << exported.output;
  for (auto [filed, seller] : {std::pair{Parse(f1.body), kMerchant}, std::pair{Parse(f2.body), kMerchant2}}) {
    Sums s = Recompute(out, seller);
    auto fig = filed->getObject("figures");
    EXPECT_EQ(fig->getValue<uint64_t>("invoice_count"), s.blue);
    EXPECT_EQ(fig->getValue<uint64_t>("red_count"), s.red);
    EXPECT_GT(s.red, static_cast<uint64_t>(kOrders / 4));
    EXPECT_EQ(fig->getValue<std::string>("set_hash"), SetHash(s.hashes));
    auto rates = fig->getArray("rates");
    ASSERT_EQ(rates->size(), 6u) << "every rate occurs";
    int64_t tax = 0;
    for (size_t i = 0; i < rates->size(); ++i) {
      auto r = rates->getObject(i);
      const auto& want = s.by_rate.at(r->getValue<std::string>("tax_rate") == "0" ? "0" : r->getValue<std::string>("tax_rate"));
      EXPECT_EQ(r->getValue<int64_t>("net_fen"), want[0]) << seller << " " << r->getValue<std::string>("tax_rate");
      EXPECT_EQ(r->getValue<int64_t>("tax_fen"), want[1]);
      EXPECT_EQ(r->getValue<int64_t>("red_net_fen"), want[2]);
      EXPECT_EQ(r->getValue<int64_t>("red_tax_fen"), want[3]);
      tax += want[1] + want[3];
    }
    EXPECT_EQ(fig->getValue<int64_t>("tax_fen"), tax);
  }

  // The XML form of the filing.
  std::string id = Parse(f1.body)->getValue<std::string>("filing_id");
  auto xml = Api("GET", "/v1/filings/" + id + ".xml");
  ASSERT_EQ(xml.status, 200);
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(xml.body.c_str()));
  EXPECT_EQ(std::string(doc.child("VatReturn").child_value("Period")), "2026-10");

  // A tampered filing, signed by the merchant's own key, straight to the authority.
  invoice::FileEvent bad;
  bad.meta = {"file-tampered", Now()};
  bad.filing_id = "F-tampered";
  bad.seller = kMerchant;
  bad.period = "2026-Q4";
  bad.figures = invoice::FilingFigures{};
  auto real = Parse(f1.body)->getObject("figures");
  // Q4 so far is October: the same figures, with the 13% tax lowered by one fen and one invoice hidden.
  {
    auto rates = real->getArray("rates");
    for (size_t i = 0; i < rates->size(); ++i) {
      auto r = rates->getObject(i);
      bad.figures.rates.push_back({*invoice::TaxRate::Parse(r->getValue<std::string>("tax_rate")), r->getValue<int64_t>("net_fen"),
                                   r->getValue<int64_t>("tax_fen") - (i == 0 ? 1 : 0), r->getValue<int64_t>("red_net_fen"),
                                   r->getValue<int64_t>("red_tax_fen")});
    }
    bad.figures.invoice_count = real->getValue<uint64_t>("invoice_count") - 1;
    bad.figures.red_count = real->getValue<uint64_t>("red_count");
    bad.figures.first_no = real->getValue<std::string>("first_no");
    bad.figures.last_no = real->getValue<std::string>("last_no");
    bad.figures.set_hash = real->getValue<std::string>("set_hash");
  }
  std::string payload = invoice::EncodeEvent(bad);
  auto entry = ledger::Entry::Make("file", kMerchant, ledger::Bytes(payload.begin(), payload.end()), merchant_->key()).value();
  std::string body = "{\"entries\":[\"" + ledger::ToBase64(entry.Encode()) + "\"]}";
  auto refused = Http(authority_->port(), "POST", "/v1/events", body,
                      apptest::NodeSigned(kMerchant, merchant_->key(), "POST", "/v1/events", body, Now()));
  ASSERT_EQ(refused.status, 200) << refused.body;
  auto result = Parse(refused.body)->getArray("results")->getObject(0);
  EXPECT_EQ(result->getValue<std::string>("status"), "refused");
  EXPECT_EQ(result->getValue<std::string>("code"), "filing_mismatch");
  EXPECT_EQ(result->getValue<int>("http_status"), 409);
  ASSERT_TRUE(result->has("differences")) << refused.body;
  auto diffs = result->getArray("differences");
  ASSERT_EQ(diffs->size(), 2u) << refused.body;
  EXPECT_EQ(diffs->getObject(0)->getValue<std::string>("figure"), "rates[0.13].tax_fen");
  EXPECT_EQ(diffs->getObject(1)->getValue<std::string>("figure"), "invoice_count");

  // Filing October again must amend the first filing.
  ExpectError(Api("POST", "/v1/filings", "{\"period\":\"2026-10\"}"), 409, "already_filed");
  ExpectError(Api("POST", "/v1/filings", "{\"period\":\"2026-10\",\"amends\":\"F-nope\"}"), 409, "bad_amendment");
  auto amended = Api("POST", "/v1/filings", "{\"period\":\"2026-10\",\"amends\":\"" + id + "\"}");
  ASSERT_EQ(amended.status, 201) << amended.body;
  EXPECT_EQ(Parse(amended.body)->getValue<std::string>("amends"), id);
  EXPECT_EQ(Parse(Api("GET", "/v1/filings/" + id).body)->getValue<std::string>("amended_by"),
            Parse(amended.body)->getValue<std::string>("filing_id"));
}

}  // namespace
}  // namespace e2e
}  // namespace app
