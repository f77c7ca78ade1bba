// The contract's hardest invariant, with real processes: an invoice is claimed (and
// settled) at most once in the whole network. 1,000 races in which two company nodes claim
// the same individual-buyer invoice at the same instant, and 1,000 in which one company's
// node gets two concurrent claims for the same invoice. Each time exactly one claim is
// sealed, the loser gets 409 with the winning claim's block height, and the chain holds
// one claim and at most one settlement per invoice.
#include <gtest/gtest.h>

#include <barrier>
#include <map>

#include "app/http/tokens.h"
#include "cluster.h"

namespace cluster {
namespace {

using Poco::JSON::Object;

Object::Ptr Parse(const std::string& s) { return Poco::JSON::Parser().parse(s).extract<Object::Ptr>(); }

struct Claimer {
  uint16_t port;
  std::string token;
};

struct Outcome {
  int status = 0;
  int height = -1;   // 201: the sealing block; 409: the winner's block
  std::string code;  // 409
};

Outcome Claim(const Claimer& who, const std::string& no, const std::string& h) {
  auto r = apptest::Http(who.port, "POST", "/v1/reimbursements", "{\"invoice_no\":\"" + no + "\",\"h\":\"" + h + "\"}",
                         {{"Authorization", "Bearer " + who.token}});
  Outcome o{r.status, -1, ""};
  auto body = Parse(r.body);
  if (r.status == 201) o.height = body->getObject("ledger")->getValue<int>("height");
  else if (body->has("error")) {
    o.code = body->getObject("error")->getValue<std::string>("code");
    o.height = body->getObject("error")->optValue<int>("height", -1);
  }
  return o;
}

TEST(Race, EveryInvoiceIsClaimedAndSettledAtMostOnceNetworkWide) {
  apptest::TempDir dir;
  Cluster c(dir.path());
  ProcessNode& authority = c.StartAuthority();
  ProcessNode& merchant = c.StartTaxpayer("merchant", "91440300MA5DQ3QP4X", "44", kApiKey);
  ProcessNode& a = c.StartTaxpayer("companyA", "91110108MA01G7GK9M", "11", kApiKey);
  ProcessNode& b = c.StartTaxpayer("companyB", "91310115MA1K4BHY14", "31", kApiKey);
  ASSERT_TRUE(WaitFor([&] { return Metric(merchant.port, "einvoice_invoice_numbers_left") > 0; }, 30));

  const int kRaces = 1000;
  std::atomic<int> paid{0};
  std::thread p1(Pay, std::ref(merchant), 0, kRaces, &paid, kPersonBuyer);
  std::thread p2(Pay, std::ref(merchant), kRaces, kRaces, &paid, kPersonBuyer);
  p1.join();
  p2.join();
  ASSERT_EQ(paid.load(), 2 * kRaces);
  ASSERT_TRUE(WaitFor([&] { return Metric(merchant.port, "einvoice_invoices{status=\"sealed\"}") == 2u * kRaces; }, 120));
  // The QR's h of each invoice, as an employee would scan it.
  std::vector<std::pair<std::string, std::string>> invoices;
  for (int i = 0; i < 2 * kRaces; ++i) {
    auto r = apptest::Http(merchant.port, "GET", "/v1/invoices?order_id=merchant-" + std::to_string(i), "",
                           {{"Authorization", "Bearer " + merchant.token}});
    auto inv = Parse(r.body)->getArray("invoices")->getObject(0);
    invoices.emplace_back(inv->getValue<std::string>("invoice_no"),
                          inv->getObject("ledger")->getValue<std::string>("leaf_hash").substr(0, 16));
  }
  auto token = [](ProcessNode& n, app::TokenRole role, const std::string& name) {
    return app::TokenStore::Open(n.db)->Create(role, n.tax_id, name, 0);
  };
  Claimer a1{a.port, token(a, app::TokenRole::kEmployee, "李四")}, a2{a.port, token(a, app::TokenRole::kEmployee, "王五")};
  Claimer b1{b.port, token(b, app::TokenRole::kEmployee, "赵六")};
  std::string fin_a = token(a, app::TokenRole::kFinance, "finance"), fin_b = token(b, app::TokenRole::kFinance, "finance");

  // Two workers start each race together at a barrier.
  std::vector<Outcome> first(2 * kRaces), second(2 * kRaces);
  std::barrier sync(2);
  auto worker = [&](bool is_first) {
    for (int i = 0; i < 2 * kRaces; ++i) {
      const Claimer& who = is_first ? a1 : (i < kRaces ? b1 : a2);  // first 1,000: two nodes; then one node
      sync.arrive_and_wait();
      (is_first ? first : second)[i] = Claim(who, invoices[i].first, invoices[i].second);
    }
  };
  auto start = std::chrono::steady_clock::now();
  std::thread w1(worker, true), w2(worker, false);
  w1.join();
  w2.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  int a_won = 0, b_won = 0;
  for (int i = 0; i < 2 * kRaces; ++i) {
    const Outcome& x = first[i];
    const Outcome& y = second[i];
    ASSERT_TRUE((x.status == 201) != (y.status == 201)) << "race " << i << ": " << x.status << " and " << y.status;
    const Outcome& winner = x.status == 201 ? x : y;
    const Outcome& loser = x.status == 201 ? y : x;
    ASSERT_EQ(loser.status, 409) << "race " << i;
    ASSERT_EQ(loser.code, "already_locked") << "race " << i;
    ASSERT_EQ(loser.height, winner.height) << "race " << i;
    if (i < kRaces) (x.status == 201 ? a_won : b_won)++;
  }
  std::printf("race: %d claims in %d races in %.1f s; across nodes A won %d, B won %d\n", 4 * kRaces, 2 * kRaces, secs,
              a_won, b_won);

  // Finance settles its company's claims; settling a lost one is refused (not the claimant).
  auto settle = [&](ProcessNode& n, const std::string& fin, const std::string& no) {
    return apptest::Http(n.port, "POST", "/v1/reimbursements/" + no + "/settle", "", {{"Authorization", "Bearer " + fin}})
        .status;
  };
  for (int i = 0; i < kRaces; ++i) {
    bool a_holds = first[i].status == 201;
    ASSERT_EQ(settle(a_holds ? a : b, a_holds ? fin_a : fin_b, invoices[i].first), 200);
    ASSERT_EQ(settle(a_holds ? b : a, a_holds ? fin_b : fin_a, invoices[i].first), 403);
    ASSERT_EQ(settle(a_holds ? a : b, a_holds ? fin_a : fin_b, invoices[i].first), 409);
  }

  // The chain agrees: one claim per invoice, at most one settlement, and every chain verifies.
  for (const char* name : {"merchant", "companyA", "companyB", "authority"}) c.Kill(name, SIGTERM);
  auto [claims, settles] = ReimbursementsOnChain(authority.db);
  EXPECT_EQ(claims.size(), 2u * kRaces);
  for (const auto& [no, n] : claims) EXPECT_EQ(n, 1) << no;
  EXPECT_EQ(settles.size(), static_cast<size_t>(kRaces));
  for (const auto& [no, n] : settles) EXPECT_EQ(n, 1) << no;
  for (const char* name : {"authority", "companyA", "companyB"}) {
    auto r = apptest::RunCommand(std::string(EINVOICE_CLI) + " chain verify --node-db " + c.node(name).db);
    EXPECT_EQ(r.exit_code, 0) << name << ": " << r.output;
  }
}

}  // namespace
}  // namespace cluster
