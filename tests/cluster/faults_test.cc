// Faults with real processes: the authority down for 60 s under load, and kill -9 of the
// authority and of a merchant, 20 times each at random moments. Every payment that got a
// 2xx ends up in exactly one sealed invoice, and no invoice number is used twice.
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <regex>
#include <set>

#include "app/merchant/payment_sim.h"
#include "cluster.h"
#include "ledger/block_store.h"
#include "ledger/entry.h"

namespace cluster {
namespace {

class Faults : public ::testing::Test {
 protected:
  void SetUp() override {
    c_ = std::make_unique<Cluster>(dir_.path());
    c_->StartAuthority();
    m_ = &c_->StartTaxpayer("merchant", "91440300MA5DQ3QP4X", "44", kApiKey, 1000);
    ASSERT_TRUE(WaitFor([&] { return Metric(m_->port, "einvoice_invoice_numbers_left") > 0; }, 30));
  }
  void ExpectAllSealed(size_t n, int seconds) {
    EXPECT_TRUE(WaitFor([&] { return Metric(m_->port, "einvoice_invoices{status=\"sealed\"}") == n; }, seconds))
        << "sealed " << Metric(m_->port, "einvoice_invoices{status=\"sealed\"}") << " of " << n << ", pending "
        << Metric(m_->port, "einvoice_invoices{status=\"pending\"}");
    c_->Kill("merchant", SIGTERM);
    c_->Kill("authority", SIGTERM);
    for (const char* name : {"authority", "merchant"}) {
      auto r = apptest::RunCommand(std::string(EINVOICE_CLI) + " chain verify --node-db " + c_->node(name).db);
      EXPECT_EQ(r.exit_code, 0) << name << ": " << r.output;
    }
  }
  apptest::TempDir dir_;
  std::unique_ptr<Cluster> c_;
  ProcessNode* m_ = nullptr;
};

TEST_F(Faults, AuthorityDownSixtySecondsUnderLoad) {
  std::set<std::string> acked = PayWithRetries(*m_, 0, 100);
  c_->Kill("authority", SIGTERM);
  auto down = std::chrono::steady_clock::now();
  // The merchant keeps answering callbacks while the authority is away.
  std::set<std::string> during;
  while (std::chrono::steady_clock::now() - down < std::chrono::seconds(60)) {
    auto more = PayWithRetries(*m_, 100 + static_cast<int>(during.size()), 20);
    during.insert(more.begin(), more.end());
  }
  EXPECT_GT(during.size(), 100u);
  EXPECT_GT(Metric(m_->port, "einvoice_invoices{status=\"pending\"}"), 0u);
  c_->Restart("authority");
  acked.insert(during.begin(), during.end());
  ExpectAllSealed(acked.size(), 90);
  ExpectExactlyOnce(c_->node("authority").db, acked);
  std::printf("authority outage: %zu callbacks answered during 60 s without the authority; all %zu sealed once\n",
              during.size(), acked.size());
}

TEST_F(Faults, KillNineTwentyTimesEachUnderLoad) {
  // The load runs until the last kill, so every kill lands under load.
  std::atomic<bool> killing{true};
  std::set<std::string> acked;
  std::thread load([&] {
    for (int first = 0; killing || first == 0; first += 20) {
      auto more = PayWithRetries(*m_, first, 20);
      acked.insert(more.begin(), more.end());
    }
  });
  std::mt19937 rng(20261124);
  int kills = 0;
  for (int i = 0; i < 40; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50 + rng() % 250));
    const char* victim = i % 2 ? "merchant" : "authority";
    c_->Kill(victim, SIGKILL);
    ++kills;
    c_->Restart(victim);
  }
  killing = false;
  load.join();
  EXPECT_EQ(kills, 40);
  ExpectAllSealed(acked.size(), 120);
  ExpectExactlyOnce(c_->node("authority").db, acked);
  std::printf("kill -9: %d kills (authority and merchant alternately), %zu payments, all sealed exactly once\n", kills,
              acked.size());
}

}  // namespace
}  // namespace cluster
