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

// Pays orders first..first+count-1 as a payment provider would: every request is retried
// until it is answered (the node may be down); returns the acknowledged payment ids.
std::set<std::string> PayWithRetries(ProcessNode& m, int first, int count) {
  app::payment::WechatSimKeys keys{"1900000109", "SERIAL1",
                                   ReadFile(std::string(EINVOICE_SOURCE_DIR) + "/fixtures/keys/wechatpay_platform.pem"),
                                   kApiKey};
  std::set<std::string> acked;
  for (int i = first; i < first + count; ++i) {
    std::string id = "F-" + std::to_string(i);
    int64_t gross = 100 + i;
    std::string body = "{\"order_id\":\"" + id + "\",\"items\":[{\"name\":\"item\",\"quantity\":\"1\",\"unit_price_fen\":" +
                       std::to_string(gross) + ",\"gross_fen\":" + std::to_string(gross) +
                       ",\"tax_rate\":\"0.06\"}],\"buyer\":{\"name\":\"张三\"}}";
    for (int attempt = 0;; ++attempt) {
      try {
        int st = apptest::Http(m.port, "POST", "/v1/orders", body, {{"Authorization", "Bearer " + m.token}}).status;
        if (st == 201 || st == 409) break;  // 409: created before the node went down
      } catch (const std::exception&) {
      }
      if (attempt > 600) throw std::runtime_error("the merchant never came back");
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    for (int attempt = 0;; ++attempt) {
      auto n = app::payment::WechatTransaction(keys, id, "T" + id, gross, time(nullptr));
      try {
        if (apptest::Http(m.port, "POST", "/v1/callbacks/wechatpay", n.body, n.headers).status == 204) break;
      } catch (const std::exception&) {
      }
      if (attempt > 600) throw std::runtime_error("the merchant never came back");
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    acked.insert("T" + id);
  }
  return acked;
}

// Every acknowledged payment is in exactly one issue entry; numbers are unique.
void ExpectExactlyOnce(const std::string& authority_db, const std::set<std::string>& acked) {
  auto issued = IssuedOnChain(authority_db);
  std::map<std::string, int> per_payment;
  std::set<std::string> numbers;
  for (const auto& i : issued) {
    EXPECT_TRUE(numbers.insert(i.number).second) << "number used twice: " << i.number;
    ++per_payment[i.payment_id];
  }
  size_t issues = issued.size();
  for (const auto& p : acked) EXPECT_EQ(per_payment[p], 1) << "payment " << p;
  EXPECT_EQ(issues, acked.size());
}

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
