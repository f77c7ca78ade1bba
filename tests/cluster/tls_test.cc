// Issue 16, finding 4: HTTPS end to end. Every node serves TLS with a certificate of a test
// CA made by openssl here, and verifies its peers against that CA: a payment, its claim and
// its settlement go over HTTPS only; a node given another CA refuses the authority.
#include <gtest/gtest.h>

#include <atomic>

#include "cluster.h"

namespace cluster {
namespace {

Poco::JSON::Object::Ptr Json(const apptest::HttpResult& r) {
  return Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Object::Ptr>();
}

TEST(Tls, PaymentClaimAndSettlementRunOverHttpsAndAPeerThatDoesNotVerifyIsRefused) {
  apptest::TempDir dir;
  Cluster c(dir.path());
  const TestPki& pki = c.UseTls();
  ProcessNode& authority = c.StartAuthority();
  ProcessNode& merchant = c.StartTaxpayer("merchant", "91440300MA5DQ3QP4X", "44", kApiKey, 1000);
  ProcessNode& company = c.StartTaxpayer("company", "91110108MA01G7GK9M", "11", kApiKey);
  ASSERT_TRUE(WaitFor([&] { return Metric(merchant.port, "einvoice_invoice_numbers_left") > 0; }, 30));
  EXPECT_EQ(merchant.Url().rfind("https://", 0), 0u);

  // The payment provider's callback, over HTTPS; the invoice is sealed through the authority.
  std::atomic<int> acked{0};
  Pay(merchant, 0, 1, &acked, kCompanyBuyer);
  ASSERT_EQ(acked.load(), 1);
  auto bearer = std::map<std::string, std::string>{{"Authorization", "Bearer " + merchant.token}};
  std::string no;
  ASSERT_TRUE(WaitFor([&] {
    auto o = Json(apptest::Http(merchant.port, "GET", "/v1/orders/merchant-0", "", bearer));
    auto invoices = o->getArray("invoices");
    if (!invoices || invoices->size() == 0 || invoices->getObject(0)->getValue<std::string>("status") != "sealed") return false;
    no = invoices->getObject(0)->getValue<std::string>("invoice_no");
    return true;
  }, 30));
  std::string h = Json(apptest::Http(merchant.port, "GET", "/v1/invoices/" + no, "", bearer))
                      ->getObject("ledger")->getValue<std::string>("leaf_hash").substr(0, 16);

  // The buyer company's employee claims it and finance settles it, over HTTPS.
  auto tokens = app::TokenStore::Open(company.db);
  std::string employee = tokens->Create(app::TokenRole::kEmployee, company.tax_id, "李四", 0);
  std::string finance = tokens->Create(app::TokenRole::kFinance, company.tax_id, "财务", 0);
  ASSERT_TRUE(WaitFor([&] { return Metric(company.port, "einvoice_chain_height") == Metric(authority.port, "einvoice_chain_height"); }, 30));
  auto claim = apptest::Http(company.port, "POST", "/v1/reimbursements", "{\"invoice_no\":\"" + no + "\",\"h\":\"" + h + "\"}",
                             {{"Authorization", "Bearer " + employee}});
  ASSERT_EQ(claim.status, 201) << claim.body;
  auto settle = apptest::Http(company.port, "POST", "/v1/reimbursements/" + no + "/settle", "", {{"Authorization", "Bearer " + finance}});
  ASSERT_EQ(settle.status, 200) << settle.body;
  EXPECT_TRUE(WaitFor([&] {
    return Json(apptest::Http(merchant.port, "GET", "/v1/invoices/" + no, "", bearer))->getValue<std::string>("reimbursement") ==
           "settled";
  }, 30));

  // Plain HTTP to a node that serves TLS gets nothing.
  auto tls = apptest::ClientTls();
  apptest::ClientTls() = nullptr;
  EXPECT_THROW(apptest::Http(authority.port, "GET", "/healthz"), std::exception);
  apptest::ClientTls() = tls;

  // A node that trusts another CA will not talk to the authority: nothing replicates, its
  // claims are refused as the authority unreachable, and its log says why.
  ProcessNode& rogue = c.StartTaxpayer("rogue", "91310115MA1K4BHY14", "31", kApiKey, 1000, pki.other_ca);
  std::string rogue_employee = app::TokenStore::Open(rogue.db)->Create(app::TokenRole::kEmployee, rogue.tax_id, "王五", 0);
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_EQ(Metric(rogue.port, "einvoice_chain_height"), 0u);
  auto refused = apptest::Http(rogue.port, "POST", "/v1/reimbursements", "{\"invoice_no\":\"" + no + "\",\"h\":\"" + h + "\"}",
                               {{"Authorization", "Bearer " + rogue_employee}});
  EXPECT_EQ(refused.status, 503) << refused.body;
  std::string log = ReadFile(rogue.dir + "/node.log");
  EXPECT_NE(log.find("certificate verify failed"), std::string::npos) << log.substr(0, 2000);
}

}  // namespace
}  // namespace cluster
