// The bureau's anomaly rules, each triggered once and shown not to fire on its honest
// counterpart: an authority, a merchant and a buyer company, real nodes over loopback.
#include <cctype>

#include "invoice/event_codec.h"
#include "ledger/entry.h"
#include "three_nodes.h"

namespace app {
namespace e2e {
namespace {

constexpr uint64_t kOct15 = 1791993600000;  // 2026-10-15 00:00 China time
constexpr uint64_t kDay = 86400000;

class Audit : public ThreeNodes {
 protected:
  void SetUp() override {
    clock_ = kOct15;
    ThreeNodes::SetUp();
  }
  apptest::HttpResult Auditor(const std::string& method, const std::string& uri, const std::string& body = "") {
    return Http(authority_->port(), method, uri, body, {{"Authorization", "Bearer " + auditor_}});
  }
  // The anomalies of one rule, as the auditor sees them.
  std::vector<Object::Ptr> Rule(const std::string& rule) {
    auto r = Auditor("GET", "/v1/audit/anomalies?rule=" + rule);
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<Object::Ptr> out;
    auto arr = Parse(r.body)->getArray("anomalies");
    for (size_t i = 0; i < arr->size(); ++i) out.push_back(arr->getObject(i));
    return out;
  }
  // A sealed blue invoice for a new paid order; returns {invoice_no, h}.
  std::pair<std::string, std::string> Sold(const std::string& order_id, int64_t fen, bool company_buyer = true) {
    CreateOrder(order_id, fen, company_buyer);
    EXPECT_EQ(Deliver(payment::WechatTransaction(keys_, order_id, "T" + order_id, fen, NowS())).status, 204);
    if (!company_buyer) {
      std::string apply = Order(order_id)->getValue<std::string>("apply_url");
      Http(merchant_->port(), "POST", apply.substr(apply.find("/apply/")), "title=%E5%BC%A0%E4%B8%89",
           {{"Content-Type", "application/x-www-form-urlencoded"}});
    }
    std::string no = BlueOf(order_id);
    auto inv = WaitInvoice(no, "sealed");
    WaitLevel(*company_);
    WaitLevel(*merchant_);
    return {no, inv->getObject("ledger")->getValue<std::string>("leaf_hash").substr(0, 16)};
  }
  std::string ReportPayment(const std::string& payment_id, int64_t fen, uint64_t paid_ms) {
    auto r = Auditor("POST", "/v1/audit/payments",
                     "{\"payments\":[{\"seller\":\"" + kMerchant + "\",\"payment_id\":\"" + payment_id +
                         "\",\"amount_fen\":" + std::to_string(fen) + ",\"paid_at\":\"" + Rfc3339(paid_ms) + "\"}]}");
    EXPECT_EQ(r.status, 200) << r.body;
    return r.body;
  }
  // Submits an event signed by the merchant's key straight to the authority.
  Object::Ptr SubmitAsMerchant(const invoice::Event& e) {
    std::string payload = invoice::EncodeEvent(e);
    auto entry = ledger::Entry::Make(std::string(invoice::EventKind(e)), kMerchant,
                                     ledger::Bytes(payload.begin(), payload.end()), merchant_->key()).value();
    std::string body = "{\"entries\":[\"" + ledger::ToBase64(entry.Encode()) + "\"]}";
    auto r = Http(authority_->port(), "POST", "/v1/events", body,
                  apptest::NodeSigned(kMerchant, merchant_->key(), "POST", "/v1/events", body, Now()));
    return Parse(r.body)->getArray("results")->getObject(0);
  }
};

TEST_F(Audit, PaymentsWithoutAnInvoiceOrWithAnotherAmount) {
  Sold("ORD-A1", 5000);
  ReportPayment("TORD-A1", 5000, Now() - kDay);          // invoiced, same amount: fine
  ReportPayment("T-NEVER", 1234, Now() - 3 * kDay);       // never invoiced, 3 days on
  ReportPayment("T-FRESH", 999, Now() - 3600000);         // not invoiced yet, but only an hour ago
  auto missing = Rule("payment_without_invoice");
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0]->getObject("evidence")->getValue<std::string>("payment_id"), "T-NEVER");
  EXPECT_EQ(missing[0]->getValue<std::string>("taxpayer"), kMerchant);
  EXPECT_TRUE(Rule("payment_amount_differs").empty());
  ReportPayment("TORD-A1", 5001, Now() - kDay);           // the platform says 50.01 was paid
  auto differs = Rule("payment_amount_differs");
  ASSERT_EQ(differs.size(), 1u);
  EXPECT_EQ(differs[0]->getObject("evidence")->getValue<std::string>("invoice_fen"), "5000");
  ExpectError(Auditor("POST", "/v1/audit/payments", "{\"payments\":[{\"seller\":\"x\"}]}"), 400, "missing_field");
  ExpectError(Http(authority_->port(), "POST", "/v1/audit/payments", "{\"payments\":[]}"), 401, "unauthenticated");
}

TEST_F(Audit, RefusedDoubleClaimsAndRefundsOfSettledInvoices) {
  auto [a, ha] = Sold("ORD-A2", 3000);
  auto [b, hb] = Sold("ORD-A3", 4000);
  ASSERT_EQ(Claim(employee_, a, ha).status, 201);
  ASSERT_EQ(Claim(employee_, b, hb).status, 201);
  EXPECT_TRUE(Rule("refused_double_claim").empty());
  ExpectError(Claim(employee2_, a, ha), 409, "already_locked");
  auto doubles = Rule("refused_double_claim");
  ASSERT_EQ(doubles.size(), 1u);
  EXPECT_EQ(doubles[0]->getValue<std::string>("invoice_no"), a);
  EXPECT_EQ(doubles[0]->getValue<std::string>("taxpayer"), kCompany);

  // A refund of the locked invoice b asks for confirmation: not an anomaly. A refund of the
  // settled invoice a is.
  ASSERT_EQ(As(finance_, "POST", "/v1/reimbursements/" + a + "/settle").status, 200);
  WaitLevel(*merchant_);
  for (const char* order : {"ORD-A2", "ORD-A3"}) {
    ASSERT_EQ(Deliver(payment::WechatRefund(keys_, order, std::string("T") + order, std::string("R") + order, 3000, 1000, NowS()))
                  .status, 204);
  }
  for (int i = 0; i < 100 && Parse(Api("GET", "/v1/confirmations").body)->getArray("confirmations")->size() < 2; ++i) {
    merchant_->merchant()->PumpOnce();
    WaitLevel(*merchant_);
  }
  auto refunds = Rule("refund_of_settled_invoice");
  ASSERT_EQ(refunds.size(), 1u);
  EXPECT_EQ(refunds[0]->getValue<std::string>("invoice_no"), a);
  EXPECT_EQ(refunds[0]->getObject("evidence")->getValue<std::string>("company"), kCompany);
}

TEST_F(Audit, NumbersOutsideTheGrantedRangesAndFilingsThatDiffer) {
  auto [no, h] = Sold("ORD-A4", 2600);
  EXPECT_TRUE(Rule("number_outside_range").empty());
  // An invoice under a number never granted, signed by the merchant itself.
  invoice::Invoice forged;
  {
    std::string xml = Api("GET", "/v1/invoices/" + no + ".xml").body;
    forged = std::get<invoice::IssueEvent>(std::get<invoice::Event>(invoice::DecodeEvent("issue", xml))).invoice;
  }
  forged.invoice_no = "26441000000099999999";
  forged.payment_id = "T-FORGED";
  auto refused = SubmitAsMerchant(invoice::IssueEvent{forged});
  EXPECT_EQ(refused->getValue<std::string>("code"), "outside_granted_range");
  auto outside = Rule("number_outside_range");
  ASSERT_EQ(outside.size(), 1u);
  EXPECT_EQ(outside[0]->getValue<std::string>("invoice_no"), "26441000000099999999");

  // Filing: the honest one is sealed and no anomaly; a tampered one is refused and is one.
  clock_ = kOct15 + 20 * kDay;  // November 4th
  ASSERT_EQ(Api("POST", "/v1/filings", "{\"period\":\"2026-10\"}").status, 201);
  EXPECT_TRUE(Rule("filing_differs").empty());
  invoice::FileEvent bad{{"file-bad", Now()}, "F-bad", kMerchant, "2026-Q4", "", {}};
  bad.figures.invoice_count = 7;
  bad.figures.set_hash = std::string(64, '0');
  EXPECT_EQ(SubmitAsMerchant(bad)->getValue<std::string>("code"), "filing_mismatch");
  auto differs = Rule("filing_differs");
  ASSERT_EQ(differs.size(), 1u);
  EXPECT_NE(differs[0]->getObject("evidence")->getValue<std::string>("detail").find("invoice_count"), std::string::npos);
  (void)h;
}

TEST_F(Audit, PeriodsNotFiled) {
  Sold("ORD-A5", 1500);  // October 15th
  clock_ = kOct15 + 25 * kDay;  // November 9th: October is due by the 15th
  EXPECT_TRUE(Rule("period_not_filed").empty());
  clock_ = kOct15 + 33 * kDay;  // November 17th: overdue
  auto overdue = Rule("period_not_filed");
  ASSERT_EQ(overdue.size(), 1u);
  EXPECT_EQ(overdue[0]->getObject("evidence")->getValue<std::string>("period"), "2026-10");
  auto filed = Api("POST", "/v1/filings", "{\"period\":\"2026-10\"}");
  ASSERT_EQ(filed.status, 201) << filed.body;
  EXPECT_TRUE(Rule("period_not_filed").empty());
  EXPECT_TRUE(Rule("late_invoice_for_filed_period").empty());
}

// The authority seals an invoice up to 72 hours after its date (an outage), so one dated
// October 31st can be sealed after October was filed on November 1st.
TEST_F(Audit, LateInvoicesForAFiledPeriod) {
  Sold("ORD-A5", 1500);  // October 15th
  clock_ = kOct15 + 17 * kDay + 1800000;  // November 1st, 00:30: October filed at once
  auto filed = Api("POST", "/v1/filings", "{\"period\":\"2026-10\"}");
  ASSERT_EQ(filed.status, 201) << filed.body;
  EXPECT_TRUE(Rule("late_invoice_for_filed_period").empty());

  // A payment of October 31st, 23:00, whose invoice is sealed only after the filing.
  clock_ = kOct15 + 16 * kDay + 23 * 3600000;
  auto [late, h] = Sold("ORD-A6", 700);
  clock_ = kOct15 + 17 * kDay + 2 * 3600000;
  auto lates = Rule("late_invoice_for_filed_period");
  ASSERT_EQ(lates.size(), 1u);
  EXPECT_EQ(lates[0]->getValue<std::string>("invoice_no"), late);
  // The amendment covers it.
  std::string id = Parse(filed.body)->getValue<std::string>("filing_id");
  ASSERT_EQ(Api("POST", "/v1/filings", "{\"period\":\"2026-10\",\"amends\":\"" + id + "\"}").status, 201);
  EXPECT_TRUE(Rule("late_invoice_for_filed_period").empty());
  // The drill-down shows the filings with the chain's figures beside them.
  auto t = Parse(Auditor("GET", "/v1/audit/taxpayers/" + kMerchant).body);
  EXPECT_EQ(t->getArray("invoices")->size(), 2u);
  ASSERT_EQ(t->getArray("filings")->size(), 2u);
  auto first = t->getArray("filings")->getObject(0)->getValue<std::string>("filing_id") == id ? t->getArray("filings")->getObject(0)
                                                                                               : t->getArray("filings")->getObject(1);
  // The first filing, beside the chain as it is now: the late invoice is missing from it.
  std::vector<std::string> figures;
  for (size_t i = 0; i < first->getArray("differences")->size(); ++i)
    figures.push_back(first->getArray("differences")->getObject(i)->getValue<std::string>("figure"));
  EXPECT_EQ(figures, (std::vector<std::string>{"rates[0.13].net_fen", "rates[0.13].tax_fen", "invoice_count", "last_no",
                                               "set_hash"}));
  (void)h;
}

TEST_F(Audit, SplitViewAlarmsReportedByNodes) {
  EXPECT_TRUE(Rule("split_view_alarm").empty());
  std::string body = "{\"reason\":\"block 7 differs from the one held\"}";
  ExpectError(Http(authority_->port(), "POST", "/v1/alarms", body, {{"X-Node-Id", kMerchant}, {"X-Node-Signature", "00"}}),
              401, "unauthenticated");
  EXPECT_TRUE(Rule("split_view_alarm").empty());
  auto r = Http(authority_->port(), "POST", "/v1/alarms", body,
                apptest::NodeSigned(kMerchant, merchant_->key(), "POST", "/v1/alarms", body, Now()));
  EXPECT_EQ(r.status, 204) << r.body;
  auto alarms = Rule("split_view_alarm");
  ASSERT_EQ(alarms.size(), 1u);
  EXPECT_EQ(alarms[0]->getValue<std::string>("taxpayer"), kMerchant);
}

TEST_F(Audit, VerifyReportsTheChain) {
  Sold("ORD-A7", 900);
  auto r = Auditor("GET", "/v1/audit/verify");
  ASSERT_EQ(r.status, 200) << r.body;
  auto v = Parse(r.body);
  EXPECT_TRUE(v->getValue<bool>("ok"));
  EXPECT_GT(v->getValue<uint64_t>("entries"), 0u);
  ExpectError(Http(authority_->port(), "GET", "/v1/audit/verify", "", {{"Authorization", "Bearer " + admin_}}), 403, "forbidden");
}

// The auditor's pages: in Chinese by default, anomalies in words with their evidence as
// readable items (never the API's JSON or English), a search that goes to the invoice or the
// taxpayer, a refused period explained on the page, and the taxpayer's invoices as CSV.
TEST_F(Audit, AuditorPagesSearchExplainAndExport) {
  auto [no, h] = Sold("ORD-A8", 5000);
  ReportPayment("T-NEVER", 1234, Now() - 3 * kDay);
  std::string alarm = "{\"reason\":\"block 7 differs from the one held\",\"local_height\":7}";
  EXPECT_EQ(Http(authority_->port(), "POST", "/v1/alarms", alarm,
                 apptest::NodeSigned(kMerchant, merchant_->key(), "POST", "/v1/alarms", alarm, Now())).status, 204);
  auto login = Http(authority_->port(), "POST", "/login", "token=" + auditor_,
                    {{"Content-Type", "application/x-www-form-urlencoded"}});
  ASSERT_EQ(login.status, 303) << login.body;
  const std::map<std::string, std::string> cookie = {{"Cookie", login.set_cookie.substr(0, login.set_cookie.find(';'))}};
  auto page = [&](const std::string& uri) { return Http(authority_->port(), "GET", uri, "", cookie); };

  auto audit = page("/audit");
  ASSERT_EQ(audit.status, 200) << audit.body;
  EXPECT_NE(audit.body.find("收款未开票"), std::string::npos) << audit.body;
  EXPECT_NE(audit.body.find("账本分叉告警"), std::string::npos);
  EXPECT_NE(audit.body.find("收款金额：¥12.34"), std::string::npos) << "evidence in words, money in yuan";
  EXPECT_NE(audit.body.find("节点的区块高度：第 7 号区块"), std::string::npos) << "the alarm's JSON as readable items";
  EXPECT_EQ(audit.body.find("{&quot;"), std::string::npos) << "no JSON on the page";
  EXPECT_EQ(audit.body.find("payment_id"), std::string::npos) << "no API names on the page";
  EXPECT_NE(audit.body.find("<table id=\"anomalies\" class=\"cards\">"), std::string::npos);

  // The search: an invoice number or a tax id (in any case) to its page; otherwise why not.
  auto invoice = page("/audit/search?q=" + no);
  EXPECT_EQ(invoice.status, 303);
  EXPECT_EQ(invoice.location, "/audit/invoices/" + no);
  std::string lower = kMerchant;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto taxpayer = page("/audit/search?q=%20" + lower);
  EXPECT_EQ(taxpayer.status, 303);
  EXPECT_EQ(taxpayer.location, "/audit/taxpayers/" + kMerchant);
  auto unknown = page("/audit/search?q=26441000000099999999");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_NE(unknown.body.find("账本中没有号码为 26441000000099999999 的发票"), std::string::npos) << unknown.body;
  auto neither = page("/audit/search?q=hello");
  EXPECT_EQ(neither.status, 422);
  EXPECT_NE(neither.body.find("既不是 20 位发票号码"), std::string::npos) << neither.body;

  // A period that is not one: the page says so (not the API's JSON).
  auto period = page("/audit?period=2026-13");
  EXPECT_EQ(period.status, 422);
  EXPECT_NE(period.content_type.find("text/html"), std::string::npos);
  EXPECT_NE(period.body.find("所属期“2026-13”无效"), std::string::npos) << period.body;
  EXPECT_NE(page("/audit?period=2026-10").body.find("2026 年 10 月"), std::string::npos);

  // The invoice: its proof in words, the hashes under 技术信息.
  auto shown = page("/audit/invoices/" + no);
  ASSERT_EQ(shown.status, 200);
  EXPECT_NE(shown.body.find("蓝字发票 " + no), std::string::npos);
  EXPECT_NE(shown.body.find("<details id=\"technical\">"), std::string::npos);
  EXPECT_NE(shown.body.find("✔"), std::string::npos);

  // The taxpayer: invoices a page at a time and all of them as CSV, with a BOM for Excel.
  auto drill = page("/audit/taxpayers/" + kMerchant + "?page=9");
  ASSERT_EQ(drill.status, 200);
  EXPECT_NE(drill.body.find(no), std::string::npos) << "a page past the last shows the last";
  EXPECT_NE(drill.body.find("/audit/taxpayers/" + kMerchant + "/invoices.csv"), std::string::npos);
  auto csv = page("/audit/taxpayers/" + kMerchant + "/invoices.csv");
  ASSERT_EQ(csv.status, 200);
  EXPECT_EQ(csv.content_type, "text/csv; charset=utf-8");
  EXPECT_EQ(csv.body.rfind("\xEF\xBB\xBFinvoice_no,type,date,total_yuan,tax_yuan,reimbursement,block\r\n", 0), 0u) << csv.body;
  EXPECT_NE(csv.body.find(no + ",蓝字发票,"), std::string::npos) << csv.body;
  EXPECT_NE(csv.body.find(",50.00,"), std::string::npos) << csv.body;
  EXPECT_EQ(page("/audit/taxpayers/" + kCompany.substr(0, 17) + "0/invoices.csv").status, 404);
  EXPECT_EQ(Http(authority_->port(), "GET", "/audit/taxpayers/" + kMerchant + "/invoices.csv").status, 303)
      << "signed-in auditors only";
}

}  // namespace
}  // namespace e2e
}  // namespace app
