// Taxpayer nodes replicate the authority's chain: every header and leaf hash, full entries
// only where they are party, verified as they go; a forked authority raises the alarm.
#include <sqlite3.h>

#include "app/cli/rebuild.h"
#include "ledger/entry.h"
#include "ledger/verifier.h"
#include "two_nodes.h"

namespace app {
namespace e2e {
namespace {

const std::string kCompany = "91110108MA01G7GK9M";

class Replication : public TwoNodes {
 protected:
  std::unique_ptr<Node> StartCompany(const std::string& authority_url, const std::string& db) {
    NodeConfig c = m_;
    c.name = "北京海淀科技有限公司";
    c.tax_id = kCompany;
    c.db_path = dir_.File(db);
    c.key_file = dir_.File("company.pem");
    c.authority_url = authority_url;
    auto node = std::make_unique<Node>(c, [this] { return Now(); });
    node->Start();
    return node;
  }
  void Register(const std::string& tax_id, const std::string& name, const Node& node) {
    auto r = Http(authority_->port(), "POST", "/v1/taxpayers",
                  "{\"tax_id\":\"" + tax_id + "\",\"name\":\"" + name + "\",\"node_public_key\":\"" +
                      ledger::ToHex(node.key().public_key()) + "\"}",
                  {{"Authorization", "Bearer " + admin_}});
    ASSERT_EQ(r.status, 201) << r.body;
  }
  // The invoice numbers whose issue entry the replica holds in full.
  std::set<std::string> HeldInvoices(Node& node) {
    std::set<std::string> out;
    auto head = node.store().Head();
    auto leaves = node.store().Leaves(0, head->header.tree_size);  // kept alive for the loop
    for (const auto& l : *leaves) {
      if (!l.entry) continue;
      auto e = ledger::Entry::Decode(*l.entry);
      if (e->kind != "issue") continue;
      std::string xml(e->payload.begin(), e->payload.end());
      size_t p = xml.find("<InvoiceNumber>") + 15;
      out.insert(xml.substr(p, 20));
    }
    return out;
  }
};

TEST_F(Replication, ReplicasHoldEveryHashButOnlyTheirOwnDocuments) {
  auto company = StartCompany(authority_->BaseUrl(), "company.db");
  Register(kCompany, "北京海淀科技有限公司", *company);
  CreateOrder("ORD-C", 5000, true);   // to the company
  CreateOrder("ORD-P", 3000, false);  // to an individual (applies later)
  ASSERT_EQ(Deliver(payment::WechatTransaction(keys_, "ORD-C", "4200000101", 5000, NowS())).status, 204);
  ASSERT_EQ(Deliver(payment::WechatTransaction(keys_, "ORD-P", "4200000102", 3000, NowS())).status, 204);
  std::string token = Order("ORD-P")->getValue<std::string>("apply_url");
  ASSERT_TRUE(merchant_->merchant()->ApplyBuyer(token.substr(token.rfind('/') + 1), {"张三", "", ""}));
  std::string to_company = BlueOf("ORD-C"), to_person = BlueOf("ORD-P");
  WaitInvoice(to_company, "sealed");
  WaitInvoice(to_person, "sealed");
  WaitLevel(*merchant_);
  WaitLevel(*company);
  EXPECT_EQ(HeldInvoices(*merchant_), (std::set<std::string>{to_company, to_person}));
  EXPECT_EQ(HeldInvoices(*company), (std::set<std::string>{to_company}));
  for (const std::string& db : {m_.db_path, dir_.File("company.db")}) {
    ledger::VerifyOptions strict;
    strict.entry_signatures = true;
    auto r = ledger::VerifyChain(db, strict);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->ok) << db << ": " << r->bad_item << ": " << r->problem;
    EXPECT_EQ(r->entries, authority_->store().Head()->header.tree_size);
  }
  // Strangers get hashes only; the bureau gets everything.
  auto anon = Http(authority_->port(), "GET", "/v1/chain/blocks?from=0&limit=1000", "", {});
  // An entry's base64 starts with its magic's: "EIE1" or "EIE2" (sm2-sm3).
  const std::string entry = ledger::ActiveSuite() == ledger::Suite::kSm2Sm3 ? "\"entry\":\"RUlFMg" : "\"entry\":\"RUlFMQ";
  EXPECT_EQ(anon.body.find(entry), std::string::npos);
  std::string auditor = authority_->tokens().Create(TokenRole::kAuditor, "", "bureau", 0);
  auto full = Http(authority_->port(), "GET", "/v1/chain/blocks?from=0&limit=1000", "", {{"Authorization", "Bearer " + auditor}});
  EXPECT_NE(full.body.find(entry), std::string::npos);
  EXPECT_EQ(Parse(Http(company->port(), "GET", "/healthz", "", {}).body)->getValue<std::string>("status"), "ok");
  company->Stop();
}

TEST_F(Replication, AForkedAuthorityRaisesTheAlarm) {
  CreateOrder("ORD-F", 1000, true);
  ASSERT_EQ(Deliver(payment::WechatTransaction(keys_, "ORD-F", "4200000201", 1000, NowS())).status, 204);
  WaitInvoice(BlueOf("ORD-F"), "sealed");
  WaitLevel(*merchant_);
  // A second authority with the same key but its own history: register, apply, issue differ.
  NodeConfig f;
  f.role = Role::kAuthority;
  f.listen_port = 0;
  f.db_path = dir_.File("fork.db");
  f.key_file = dir_.File("authority.pem");
  auto fork = std::make_unique<Node>(f, [this] { return Now() + 7; });
  fork->Start();
  // It knows the merchant's real key (so the merchant's requests authenticate) but its
  // blocks hold other entries than the ones the merchant has seen.
  const char* others[] = {"91310115MA1K4BHY14", "91350100M000100Y43", "91310000MA1FL1MMXL", "91110000802100433B"};
  fork->authority()->Register({{"fork-0", Now()}, kMerchant, "fork", ledger::ToHex(merchant_->key().public_key())}, Now());
  for (int i = 0; i < 2; ++i)
    fork->authority()->Register({{"fork-" + std::to_string(i + 1), Now()}, others[i], "fork", std::string(64, 'b')}, Now());
  // A shorter forked head (height 3, which the merchant holds differently) is caught by the head check.
  PeerLink fork_link(fork->BaseUrl());
  NodeRequestSigner signer(kMerchant, merchant_->key(), [this] { return Now(); });
  {
    Replicator misled(merchant_->store(), fork_link, signer);
    ASSERT_LE(fork->store().Head()->header.height, merchant_->store().Head()->header.height);
    EXPECT_EQ(misled.SyncOnce(0), 0u);
    EXPECT_TRUE(misled.alarm());
    EXPECT_NE(misled.alarm_reason().find("split view"), std::string::npos) << misled.alarm_reason();
  }
  // A longer forked chain: its next block does not extend the merchant's chain.
  for (int i = 2; i < 4; ++i)
    fork->authority()->Register({{"fork-" + std::to_string(i + 1), Now()}, others[i], "fork", std::string(64, 'c')}, Now());
  Replicator misled(merchant_->store(), fork_link, signer);
  uint64_t before = merchant_->store().Head()->header.height;
  EXPECT_EQ(misled.SyncOnce(0), 0u);
  EXPECT_TRUE(misled.alarm());
  EXPECT_NE(misled.alarm_reason().find("split view"), std::string::npos) << misled.alarm_reason();
  EXPECT_EQ(merchant_->store().Head()->header.height, before);  // nothing from the fork was applied
  EXPECT_EQ(misled.SyncOnce(0), 0u);                            // and nothing ever will be
  // Each alarm was reported, node-signed, to the authority it came from: the bureau's audit
  // lists them.
  std::string auditor = fork->tokens().Create(TokenRole::kAuditor, "", "bureau", 0);
  auto anomalies = Parse(Http(fork->port(), "GET", "/v1/audit/anomalies?rule=split_view_alarm", "",
                              {{"Authorization", "Bearer " + auditor}}).body);
  EXPECT_EQ(anomalies->getArray("anomalies")->size(), 2u);
  fork->Stop();
}

TEST_F(Replication, RebuildRestoresTheInvoiceTablesFromTheReplica) {
  CreateOrder("ORD-R1", 4000, true);
  CreateOrder("ORD-R2", 2500, true);
  auto pay1 = payment::WechatTransaction(keys_, "ORD-R1", "4200000301", 4000, NowS());
  ASSERT_EQ(Deliver(pay1).status, 204);
  ASSERT_EQ(Deliver(payment::WechatTransaction(keys_, "ORD-R2", "4200000302", 2500, NowS())).status, 204);
  ASSERT_EQ(Deliver(payment::WechatRefund(keys_, "ORD-R2", "4200000302", "50300009", 2500, 2500, NowS())).status, 204);
  auto order2 = Order("ORD-R2");
  ASSERT_EQ(order2->getArray("invoices")->size(), 2u);
  std::string red = order2->getArray("invoices")->getObject(1)->getValue<std::string>("invoice_no");
  WaitInvoice(red, "sealed");
  WaitLevel(*merchant_);  // the lifecycle in each invoice comes from the replica
  std::string before = Api("GET", "/v1/invoices?limit=1000").body;
  merchant_->Stop();
  merchant_.reset();
  // Lose the node's tables (not the replica), then rebuild them from the replica.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(m_.db_path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "DROP TABLE app_invoice; DROP TABLE app_order; DROP TABLE app_payment; DROP TABLE app_refund;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  RebuildReport report = RebuildFromReplica(m_.db_path, kMerchant);
  EXPECT_EQ(report.invoices, 3u);
  EXPECT_EQ(report.orders, 2u);
  EXPECT_EQ(report.payments, 2u);
  EXPECT_EQ(report.refunds, 1u);
  merchant_ = std::make_unique<Node>(m_, [this] { return Now(); });
  merchant_->Start();
  // The view of the lifecycle was saved, not folded from the replica again.
  EXPECT_GT(merchant_->view()->restored_height(), 0u);
  EXPECT_EQ(Api("GET", "/v1/invoices?limit=1000").body, before);
  EXPECT_EQ(Order("ORD-R2")->getValue<std::string>("status"), "refunded");
  // A re-delivered notification is still a duplicate; a new payment gets a fresh range.
  EXPECT_EQ(Deliver(pay1).status, 204);
  EXPECT_EQ(InvoiceCount(), 3u);
  merchant_->merchant()->PumpOnce();
  CreateOrder("ORD-R3", 100, true);
  ASSERT_EQ(Deliver(payment::WechatTransaction(keys_, "ORD-R3", "4200000303", 100, NowS())).status, 204);
  std::string fresh = BlueOf("ORD-R3");
  WaitInvoice(fresh, "sealed");
  EXPECT_EQ(fresh, (invoice::InvoiceNumber{{26, 44, 1}, 1001}.ToString()));  // the first range was 1..1000
}

}  // namespace
}  // namespace e2e
}  // namespace app
