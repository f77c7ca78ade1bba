// Acknowledged blocks survive what an operator does beside a running authority, and an
// authority never signs a second block at a height it signed before (issue 16, finding 1).
// Real processes: the authority, a merchant, the operator CLI, kill -9.
#include <gtest/gtest.h>

#include <atomic>

#include "cluster.h"
#include "ledger/sqlite_db.h"

namespace cluster {
namespace {

uint64_t Height(uint16_t port) { return Metric(port, "einvoice_chain_height"); }

std::string Health(uint16_t port) { return apptest::Http(port, "GET", "/healthz").body; }

class Durability : public ::testing::Test {
 protected:
  void SetUp() override {
    c_ = std::make_unique<Cluster>(dir_.path());
    a_ = &c_->StartAuthority();
    m_ = &c_->StartTaxpayer("merchant", "91440300MA5DQ3QP4X", "44", kApiKey, 1000);
    ASSERT_TRUE(WaitFor([&] { return Metric(m_->port, "einvoice_invoice_numbers_left") > 0; }, 30));
  }
  // Pays `count` more orders and waits until all are sealed and the merchant's replica
  // holds the authority's head: every block up to there is acknowledged and replicated.
  void PayAndSettle(int count) {
    std::atomic<int> acked{0};
    Pay(*m_, paid_, count, &acked, kPersonBuyer);
    paid_ += count;
    ASSERT_TRUE(WaitFor([&] { return Metric(m_->port, "einvoice_invoices{status=\"sealed\"}") == uint64_t(paid_); }, 60))
        << "sealed " << Metric(m_->port, "einvoice_invoices{status=\"sealed\"}") << " of " << paid_;
    ASSERT_TRUE(WaitFor([&] { return Height(m_->port) == Height(a_->port); }, 30));
  }
  void TearDown() override {
    if (HasFailure()) PrintLogTails(dir_.path(), {"authority", "merchant"});
  }
  apptest::TempDir dir_;
  std::unique_ptr<Cluster> c_;
  ProcessNode* a_ = nullptr;
  ProcessNode* m_ = nullptr;
  int paid_ = 0;
};

// The reported sequence: the auditor's verification through HTTP, an operator's CLI command
// on the same database, more invoices, kill -9, restart. Nothing acknowledged may be lost,
// and the taxpayer node must see the same history afterwards (no split-view alarm).
TEST_F(Durability, VerifyThroughHttpThenACliCommandThenKillNineLosesNoBlock) {
  std::string auditor = app::TokenStore::Open(a_->db)->Create(app::TokenRole::kAuditor, "", "auditor", 0);
  PayAndSettle(10);
  auto v = apptest::Http(a_->port, "GET", "/v1/audit/verify", "", {{"Authorization", "Bearer " + auditor}});
  ASSERT_EQ(v.status, 200) << v.body;
  auto cli = apptest::RunCommand(std::string(EINVOICE_CLI) + " token create --node-db " + a_->db + " --role auditor");
  ASSERT_EQ(cli.exit_code, 0) << cli.output;
  PayAndSettle(30);
  uint64_t acknowledged = Height(m_->port);
  ASSERT_GT(acknowledged, 2u);
  c_->Kill("authority", SIGKILL);
  c_->Restart("authority");
  EXPECT_GE(Height(a_->port), acknowledged) << "the authority came back lower than the blocks it had acknowledged";
  PayAndSettle(5);
  EXPECT_NE(Health(m_->port).find("\"status\":\"ok\""), std::string::npos) << Health(m_->port);
  c_->Kill("merchant", SIGTERM);
  c_->Kill("authority", SIGTERM);
  auto r = apptest::RunCommand(std::string(EINVOICE_CLI) + " chain verify --node-db " + a_->db);
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

// An authority whose database is behind the newest head it signed (a restored backup, a
// lost write) refuses to seal instead of signing other blocks at heights it already signed.
TEST_F(Durability, AnAuthorityBehindItsLastSignedHeadRefusesToSeal) {
  PayAndSettle(5);
  // A backup taken now, through SQLite, as an operator would.
  std::string backup = dir_.File("backup.db");
  {
    auto db = ledger::sql::Db::Open(a_->db, ledger::sql::Db::Mode::kReadOnly).value();
    ASSERT_TRUE(db->Exec("VACUUM INTO '" + backup + "'").ok()) << db->LastError();
  }
  uint64_t backup_height = Height(a_->port);
  PayAndSettle(5);
  uint64_t signed_height = Height(a_->port);
  ASSERT_GT(signed_height, backup_height);
  // The operator restores the backup over the live database.
  c_->Kill("authority", SIGTERM);
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(a_->db + suffix);
  std::filesystem::rename(backup, a_->db);
  c_->Restart("authority");
  EXPECT_EQ(Height(a_->port), backup_height);
  std::string health = Health(a_->port);
  EXPECT_NE(health.find("\"status\":\"degraded\""), std::string::npos) << health;
  EXPECT_NE(health.find("signed"), std::string::npos) << health;
  // Sealing is refused (503, nothing signed); the merchant keeps its invoices pending.
  std::atomic<int> acked{0};
  Pay(*m_, 100, 3, &acked, kPersonBuyer);
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_EQ(Height(a_->port), backup_height);
  EXPECT_EQ(Metric(m_->port, "einvoice_invoices{status=\"pending\"}"), 3u);
  EXPECT_NE(ReadFile(a_->dir + "/node.log").find("SEALING REFUSED"), std::string::npos);
  // Its own record of the signed head gone as well, the authority still learns of it from
  // the taxpayer node that holds those blocks, and refuses.
  c_->Kill("authority", SIGTERM);
  std::filesystem::remove(a_->dir + "/node.head");
  c_->Restart("authority");
  EXPECT_TRUE(WaitFor([&] { return Health(a_->port).find("\"status\":\"degraded\"") != std::string::npos; }, 30))
      << Health(a_->port);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_EQ(Height(a_->port), backup_height);
  EXPECT_EQ(Metric(m_->port, "einvoice_invoices{status=\"pending\"}"), 3u);
  EXPECT_EQ(Metric(m_->port, "einvoice_split_view_alarm"), 0u);
}

}  // namespace
}  // namespace cluster
