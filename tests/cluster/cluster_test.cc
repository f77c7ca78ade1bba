// Replication with real processes: 1 authority and 3 taxpayer nodes (two merchants and a
// company), each its own einvoiced with its own database. 2,000 payments over the two
// merchants: every invoice is sealed exactly once, every node ends on the same head, and
// `einvoice chain verify` passes on every node's database.
#include <gtest/gtest.h>

#include <atomic>
#include <regex>
#include <set>

#include "cluster.h"
#include "ledger/block_store.h"
#include "ledger/entry.h"

namespace cluster {
namespace {

std::string HeadHash(uint16_t port) {
  auto r = apptest::Http(port, "GET", "/v1/chain/head");
  if (r.status != 200) return "";
  return Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Object::Ptr>()->getValue<std::string>("block_hash");
}

TEST(Cluster, TwoThousandPaymentsSealedOnceEveryHeadEqualEveryChainVerifies) {
  apptest::TempDir dir;
  Cluster c(dir.path());
  ProcessNode& authority = c.StartAuthority();
  ProcessNode& m1 = c.StartTaxpayer("merchant1", "91440300MA5DQ3QP4X", "44", kApiKey);
  ProcessNode& m2 = c.StartTaxpayer("merchant2", "91310115MA1K4BHY14", "31", kApiKey);
  ProcessNode& company = c.StartTaxpayer("company", "91110108MA01G7GK9M", "11", kApiKey);
  ASSERT_TRUE(WaitFor([&] { return Metric(m1.port, "einvoice_invoice_numbers_left") > 0 &&
                                   Metric(m2.port, "einvoice_invoice_numbers_left") > 0; }, 30));

  auto start = std::chrono::steady_clock::now();
  std::atomic<int> acknowledged{0};
  std::vector<std::thread> clients;
  for (ProcessNode* m : {&m1, &m2})
    for (int t = 0; t < 2; ++t) clients.emplace_back(Pay, std::ref(*m), t * 500, 500, &acknowledged, kCompanyBuyer);
  for (auto& t : clients) t.join();
  ASSERT_EQ(acknowledged.load(), 2000);
  ASSERT_TRUE(WaitFor([&] { return Metric(m1.port, "einvoice_invoices{status=\"sealed\"}") == 1000 &&
                                   Metric(m2.port, "einvoice_invoices{status=\"sealed\"}") == 1000; }, 120))
      << "sealed: " << Metric(m1.port, "einvoice_invoices{status=\"sealed\"}") << " + "
      << Metric(m2.port, "einvoice_invoices{status=\"sealed\"}");
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(WaitFor([&] {
    std::string h = HeadHash(authority.port);
    return h == HeadHash(m1.port) && h == HeadHash(m2.port) && h == HeadHash(company.port);
  }, 60)) << "the heads differ";
  std::printf("cluster: 2000 payments acknowledged, sealed and replicated to 3 nodes in %.1f s\n", secs);

  for (const char* name : {"merchant1", "merchant2", "company", "authority"}) c.Kill(name, SIGTERM);
  for (const char* name : {"authority", "merchant1", "merchant2", "company"}) {
    auto r = apptest::RunCommand(std::string(EINVOICE_CLI) + " chain verify --entry-signatures --node-db " + c.node(name).db);
    EXPECT_EQ(r.exit_code, 0) << name << ": " << r.output;
  }
  // Exactly once: 2,000 issue entries on the chain, 2,000 numbers, 2,000 payments.
  auto issued = IssuedOnChain(authority.db);
  std::set<std::string> numbers, payments;
  for (const auto& i : issued) {
    numbers.insert(i.number);
    payments.insert(i.payment_id);
  }
  size_t issues = issued.size();
  EXPECT_EQ(issues, 2000u);
  EXPECT_EQ(numbers.size(), 2000u);
  EXPECT_EQ(payments.size(), 2000u);
}

}  // namespace
}  // namespace cluster
