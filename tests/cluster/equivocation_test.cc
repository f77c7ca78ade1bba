// Issue 20's equivocation: an impostor authority process with the authority's own key and a
// history of its own shows its checkpoint to one taxpayer node's witness. That witness
// refuses it (it cosigned the honest history) and keeps the refusal as evidence; every
// taxpayer node reads the witnesses' state and raises the split-view alarm within a round;
// their witnesses stop cosigning, so no checkpoint of either history gathers the quorum from
// then on, and a claim on an invoice sealed since (not final) does not succeed.
#include <gtest/gtest.h>

#include <Poco/JSON/Parser.h>

#include <atomic>
#include <chrono>

#include "cluster.h"
#include "invoice/credit_code.h"

namespace cluster {
namespace {

Poco::JSON::Object::Ptr Health(const ProcessNode& n) {
  return Poco::JSON::Parser().parse(apptest::Http(n.port, "GET", "/healthz").body).extract<Poco::JSON::Object::Ptr>();
}

// The tree size of the checkpoint an authority serves with its cosignatures (0: none yet).
uint64_t CosignedSize(const ProcessNode& a) {
  auto r = apptest::Http(a.port, "GET", "/checkpoint");
  if (r.status != 200) return 0;
  size_t l1 = r.body.find('\n'), l2 = r.body.find('\n', l1 + 1);
  return std::stoull(r.body.substr(l1 + 1, l2 - l1 - 1));
}

TEST(Equivocation, AnImpostorsCheckpointIsRefusedAndEveryNodeAlarms) {
  apptest::TempDir dir;
  Cluster c(dir.path());
  ProcessNode& authority = c.StartAuthority();
  const std::vector<std::string> names = {"merchant", "companyA", "companyB"};
  ProcessNode& merchant = c.StartTaxpayer("merchant", "91440300MA5DQ3QP4X", "44", kApiKey, 100000, "",
                                          "witness.name = merchant.test/witness\n");
  ProcessNode& a = c.StartTaxpayer("companyA", "91110108MA01G7GK9M", "11", kApiKey, 100000, "",
                                   "witness.name = companya.test/witness\n");
  ProcessNode& b = c.StartTaxpayer("companyB", "91310115MA1K4BHY14", "31", kApiKey, 100000, "",
                                   "witness.name = companyb.test/witness\n");

  // The network's policy, the same lines in every node's configuration: the three taxpayer
  // nodes' witnesses, two of them needed.
  std::string policy;
  for (size_t i = 0; i < names.size(); ++i) {
    const ProcessNode& n = c.node(names[i]);
    const std::string w = "witness." + std::to_string(i + 1);
    policy += w + ".key = " + Health(n)->getValue<std::string>("witness_key") + "\n" + w + ".url = " + n.Url() + "\n";
  }
  policy += "witness.quorum = 2\n";
  for (const char* n : {"authority", "merchant", "companyA", "companyB"}) {
    c.Kill(n, SIGTERM);
    c.AppendConfig(n, policy);
  }
  for (const char* n : {"authority", "merchant", "companyA", "companyB"}) c.Restart(n);

  // An honest history, final on every node.
  std::atomic<int> acked{0};
  Pay(merchant, 0, 5, &acked, kCompanyBuyer);
  ASSERT_TRUE(WaitFor([&] { return Metric(merchant.port, "einvoice_invoices{status=\"sealed\"}") == 5; }, 30));
  uint64_t honest = 0;
  ASSERT_TRUE(WaitFor([&] {
    honest = Metric(authority.port, "einvoice_chain_tree_size");
    if (CosignedSize(authority) != honest) return false;
    for (const auto& n : names)
      if (Health(c.node(n))->optValue<uint64_t>("final_tree_size", 0) != honest) return false;
    return true;
  }, 30)) << "the honest history never became final everywhere";

  // The impostor: the authority's key, a longer history of its own, shown to companyA's witness.
  const std::string checkpoint = apptest::Http(authority.port, "GET", "/checkpoint").body;
  const std::string origin = checkpoint.substr(0, checkpoint.find('\n'));  // the same log name, too
  ProcessNode& impostor = c.StartAuthority("chain.origin = " + origin + "\nwitness.1.key = " + Health(a)->getValue<std::string>("witness_key") +
                                               "\nwitness.1.url = " + a.Url() + "\nwitness.quorum = 1\n",
                                           "impostor");
  // As many entries as the honest tree: a checkpoint of the same size with another root,
  // which any node holding that size sees contradicts its chain.
  for (uint64_t i = 0; Metric(impostor.port, "einvoice_chain_tree_size") < honest; ++i) {
    std::string code = "91440300MA" + std::string(7 - std::to_string(i).size(), '0') + std::to_string(i);
    code += invoice::CreditCodeCheckChar(code);
    auto key = ledger::PrivateKey::Generate();
    auto r = apptest::Http(impostor.port, "POST", "/v1/taxpayers",
                           "{\"tax_id\":\"" + code + "\",\"name\":\"影子企业" + std::to_string(i) + "\",\"node_public_key\":\"" +
                               ledger::ToHex(key->public_key()) + "\"}",
                           {{"Authorization", "Bearer " + impostor.token}});
    ASSERT_EQ(r.status, 201) << r.body;
  }
  const auto shown = std::chrono::steady_clock::now();
  if (!WaitFor([&] { return Metric(impostor.port, "einvoice_witness_refusals_total{witness=\"companya.test/witness\"}") > 0; }, 15)) {
    PrintLogTails(dir.path(), {"impostor", "companyA"});
    FAIL() << "companyA's witness never refused the impostor's checkpoint";
  }
  EXPECT_EQ(apptest::Http(impostor.port, "GET", "/checkpoint").status, 503) << "the impostor's history gathers no quorum";

  // The alarm on every taxpayer node within a round.
  bool all = WaitFor([&] {
    for (const auto& n : names)
      if (Health(c.node(n))->optValue<std::string>("alarm", "").find("refused a checkpoint of another history") ==
          std::string::npos)
        return false;
    return true;
  }, 15);
  const auto alarmed_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - shown).count();
  if (!all) {
    PrintLogTails(dir.path(), {"merchant", "companyA"});
    for (const auto& n : names) std::printf("%s: %s\n", n.c_str(), apptest::Http(c.node(n).port, "GET", "/healthz").body.c_str());
    std::printf("companyA's witness: %s\n", apptest::Http(a.port, "GET", "/witness/state").body.substr(0, 3000).c_str());
  }
  ASSERT_TRUE(all) << "not every node raised the alarm";
  std::printf("the alarm was up on all three taxpayer nodes %lld ms after the impostor started offering\n",
              static_cast<long long>(alarmed_ms));

  // The honest authority keeps sealing, but nothing is cosigned by the quorum any more: the
  // witnesses of alarmed nodes refuse (403), and a claim on a newer invoice does not succeed.
  const uint64_t cosigned = CosignedSize(authority);
  Pay(merchant, 5, 2, &acked, kCompanyBuyer);
  ASSERT_TRUE(WaitFor([&] { return Metric(merchant.port, "einvoice_invoices{status=\"sealed\"}") == 7; }, 30));
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_GT(Metric(authority.port, "einvoice_chain_tree_size"), cosigned);
  EXPECT_EQ(CosignedSize(authority), cosigned) << "a checkpoint gathered the quorum after both histories were shown";
  EXPECT_EQ(apptest::Http(impostor.port, "GET", "/checkpoint").status, 503);

  auto order = Poco::JSON::Parser()
                   .parse(apptest::Http(merchant.port, "GET", "/v1/orders/merchant-6", "",
                                        {{"Authorization", "Bearer " + merchant.token}}).body)
                   .extract<Poco::JSON::Object::Ptr>();
  const std::string no = order->getArray("invoices")->getObject(0)->getValue<std::string>("invoice_no");
  auto inv = Poco::JSON::Parser()
                 .parse(apptest::Http(merchant.port, "GET", "/v1/invoices/" + no, "",
                                      {{"Authorization", "Bearer " + merchant.token}}).body)
                 .extract<Poco::JSON::Object::Ptr>();
  const std::string h = inv->getObject("ledger")->getValue<std::string>("leaf_hash").substr(0, 16);
  const std::string employee = app::TokenStore::Open(a.db)->Create(app::TokenRole::kEmployee, a.tax_id, "李四", 0);
  auto claim = apptest::Http(a.port, "POST", "/v1/reimbursements", "{\"invoice_no\":\"" + no + "\",\"h\":\"" + h + "\"}",
                             {{"Authorization", "Bearer " + employee}});
  EXPECT_NE(claim.status, 201) << claim.body;
  std::printf("a claim on %s (sealed, not final): %d %s\n", no.c_str(), claim.status, claim.body.c_str());
  (void)b;
}

}  // namespace
}  // namespace cluster
