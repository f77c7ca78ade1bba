// An authority group with real processes (issue 22): a three-member etcd cluster, three
// authority members (each beside its own etcd member), taxpayer nodes that list all three.
// The leader is killed with SIGKILL twenty times under load; a leader cut off from etcd stops
// acknowledging within its lease; a wiped member catches up from the others.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "app/chain/node_request.h"
#include "app/http/tokens.h"
#include "app/node/node.h"
#include "cluster.h"
#include "etcd.h"

namespace cluster {
namespace {

using Poco::JSON::Object;

// What a member's /healthz says of the group: role, epoch, height ("" role when it does not answer).
struct MemberView {
  std::string role;
  int64_t epoch = 0;
  uint64_t height = 0;
  bool voter = false;
};
MemberView View(uint16_t port) {
  MemberView v;
  try {
    auto r = apptest::Http(port, "GET", "/healthz");
    auto o = Poco::JSON::Parser().parse(r.body).extract<Object::Ptr>();
    auto g = o->getObject("group");
    if (!g) return v;
    v.role = g->getValue<std::string>("role");
    v.epoch = g->getValue<int64_t>("epoch");
    v.voter = g->getValue<bool>("voter");
    v.height = o->getValue<uint64_t>("height");
  } catch (const std::exception&) {
  }
  return v;
}

class AuthorityGroup : public ::testing::Test {
 protected:
  const std::vector<std::string> kMembers = {"authority", "a2", "a3"};

  void SetUp() override {
    etcd_ = std::make_unique<EtcdCluster>(dir_.path() + "/etcd", 3);
    c_ = std::make_unique<Cluster>(dir_.path());
    std::string members;
    for (const auto& m : kMembers)
      members += (members.empty() ? "" : ",") + m + "=http://127.0.0.1:" + std::to_string(c_->Reserve(m));
    for (size_t i = 0; i < kMembers.size(); ++i)
      c_->StartAuthority("group.self = " + kMembers[i] + "\ngroup.members = " + members + "\ngroup.etcd = " +
                             etcd_->ClientUrl(static_cast<int>(i)) + "\ngroup.lease_s = 2\nchain.origin = 127.0.0.1/test-group\n",
                         kMembers[i]);
    c_->UseAuthorityGroup(kMembers, [this] { return Leader(30); });
  }
  void TearDown() override {
    if (HasFailure()) PrintLogTails(dir_.path(), {"authority", "a2", "a3"});
  }

  // The member that says it leads (waiting up to `seconds`); "" if none.
  std::string Leader(int seconds, const std::string& other_than = "") {
    std::string found;
    WaitFor(
        [&] {
          for (const auto& m : kMembers)
            if (m != other_than && c_->node(m).pid > 0 && View(c_->node(m).port).role == "leader") found = m;
          return !found.empty();
        },
        seconds);
    return found;
  }
  // The merchant the tests pay, started and waited for until it holds invoice numbers
  // (null if it got none within 60 s).
  ProcessNode* StartMerchant() {
    ProcessNode& m = c_->StartTaxpayer("merchant", "91440300MA5DQ3QP4X", "44", kApiKey, 1000);
    return WaitFor([&] { return Metric(m.port, "einvoice_invoice_numbers_left") > 0; }, 60) ? &m : nullptr;
  }
  // Waits (up to 60 s) until `m` holds exactly `n` sealed invoices.
  bool SealedAll(ProcessNode& m, size_t n) {
    return WaitFor([&] { return Metric(m.port, "einvoice_invoices{status=\"sealed\"}") == n; }, 60);
  }
  // Kills `name` and deletes its chain and group state (not its key or configuration).
  void Wipe(const std::string& name) {
    ProcessNode& v = c_->node(name);
    c_->Kill(name, SIGKILL);
    for (const auto& f : std::filesystem::directory_iterator(v.dir))
      if (f.path().filename().string().rfind("node.", 0) == 0 && f.path() != v.key_file && f.path() != v.config &&
          f.path().extension() != ".log")
        std::filesystem::remove(f.path());
  }
  int IndexOf(const std::string& m) {
    return static_cast<int>(std::find(kMembers.begin(), kMembers.end(), m) - kMembers.begin());
  }
  // Every member's chain verifies and all hold the same head; block by block the same.
  void ExpectOneChain() {
    std::vector<uint64_t> heights;
    ASSERT_TRUE(WaitFor(
        [&] {
          heights.clear();
          for (const auto& m : kMembers) heights.push_back(View(c_->node(m).port).height);
          return std::adjacent_find(heights.begin(), heights.end(), std::not_equal_to<>()) == heights.end();
        },
        30))
        << "heights " << heights[0] << " " << heights[1] << " " << heights[2];
    for (const auto& m : kMembers) c_->Kill(m, SIGTERM);
    std::vector<std::unique_ptr<ledger::BlockStore>> stores;
    for (const auto& m : kMembers) {
      auto r = apptest::RunCommand(std::string(EINVOICE_CLI) + " chain verify --node-db " + c_->node(m).db);
      EXPECT_EQ(r.exit_code, 0) << m << ": " << r.output;
      stores.push_back(ledger::BlockStore::OpenExisting(c_->node(m).db).value());
    }
    const uint64_t height = stores[0]->Head()->header.height;
    for (uint64_t h = 0; h <= height; ++h) {
      auto first = stores[0]->BlockAt(h).value();
      for (size_t i = 1; i < stores.size(); ++i)
        ASSERT_TRUE(stores[i]->BlockAt(h).value().header == first.header) << "block " << h << " differs on " << kMembers[i];
    }
  }

  apptest::TempDir dir_;
  std::unique_ptr<EtcdCluster> etcd_;
  std::unique_ptr<Cluster> c_;
};

TEST_F(AuthorityGroup, KillTheLeaderTwentyTimesUnderLoad) {
  ASSERT_NE(Leader(30), "");
  ProcessNode& m1 = c_->StartTaxpayer("merchant", "91440300MA5DQ3QP4X", "44", kApiKey, 1000);
  ProcessNode& m2 = c_->StartTaxpayer("merchant2", "91310115MA1K4BHY14", "31", kApiKey, 1000);
  ProcessNode& company = c_->StartTaxpayer("company", "91110108MA01G7GK9M", "11", kApiKey);
  for (ProcessNode* m : {&m1, &m2})
    ASSERT_TRUE(WaitFor([&] { return Metric(m->port, "einvoice_invoice_numbers_left") > 0; }, 60));

  std::atomic<bool> killing{true};
  std::set<std::string> acked1, acked2;
  auto load = [&](ProcessNode* m, std::set<std::string>* acked, const std::string& prefix) {
    for (int first = 0; killing || first == 0; first += 20) {
      auto more = PayWithRetries(*m, first, 20, prefix);
      acked->insert(more.begin(), more.end());
    }
  };
  std::thread l1(load, &m1, &acked1, "G1-"), l2(load, &m2, &acked2, "G2-");
  // The company's employee claims merchant2's invoices as they are sealed, through the kills:
  // a claim whose answer was lost (503) is sent again and finds its own lock (409 already_locked).
  const std::string employee = app::TokenStore::Open(company.db)->Create(app::TokenRole::kEmployee, company.tax_id, "李四", 0);
  std::set<std::string> claimed;
  int claims_retried = 0;
  std::thread claimer([&] {
    for (int i = 0; killing; ++i) {
      std::string no, h;
      while (killing && no.empty()) {
        try {
          auto r = apptest::Http(m2.port, "GET", "/v1/invoices?order_id=G2-" + std::to_string(i), "",
                                 {{"Authorization", "Bearer " + m2.token}});
          auto list = Poco::JSON::Parser().parse(r.body).extract<Object::Ptr>()->getArray("invoices");
          auto inv = list && list->size() ? list->getObject(0) : nullptr;
          if (inv && inv->getObject("ledger")) {
            no = inv->getValue<std::string>("invoice_no");
            h = inv->getObject("ledger")->getValue<std::string>("leaf_hash").substr(0, 16);
          }
        } catch (const std::exception&) {
        }
        if (no.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      for (int attempt = 0; killing && attempt < 600; ++attempt) {
        int st = 0;
        std::string code;
        try {
          auto r = apptest::Http(company.port, "POST", "/v1/reimbursements", "{\"invoice_no\":\"" + no + "\",\"h\":\"" + h + "\"}",
                                 {{"Authorization", "Bearer " + employee}});
          st = r.status;
          auto body = Poco::JSON::Parser().parse(r.body).extract<Object::Ptr>();
          if (body->has("error")) code = body->getObject("error")->getValue<std::string>("code");
        } catch (const std::exception&) {
        }
        if (st == 201 || (st == 409 && code == "already_locked" && attempt > 0)) {
          claimed.insert(no);
          claims_retried += attempt > 0;
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));  // not on its replica yet, or no leader now
      }
    }
  });
  std::mt19937 rng(20261130);
  std::vector<double> failover_ms;
  for (int i = 0; i < 20; ++i) {
    std::string leader = Leader(60);
    ASSERT_NE(leader, "") << "no leader before kill " << i;
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + rng() % 700));
    auto killed_at = std::chrono::steady_clock::now();
    c_->Kill(leader, SIGKILL);
    std::string next = Leader(60, leader);
    ASSERT_NE(next, "") << "no new leader after kill " << i;
    failover_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - killed_at).count());
    c_->Restart(leader);
  }
  killing = false;
  l1.join();
  l2.join();
  claimer.join();
  for (const auto& pair : {std::pair{&m1, &acked1}, std::pair{&m2, &acked2}}) {
    ProcessNode* m = pair.first;
    const size_t want = pair.second->size();
    EXPECT_TRUE(WaitFor([&] { return Metric(m->port, "einvoice_invoices{status=\"sealed\"}") == want; }, 120))
        << m->name << ": sealed " << Metric(m->port, "einvoice_invoices{status=\"sealed\"}") << " of " << want;
  }
  // The company's replica, like the merchants', follows the group through the kills.
  const uint64_t height = View(c_->node(Leader(30)).port).height;
  for (ProcessNode* n : {&m1, &m2, &company})
    EXPECT_TRUE(WaitFor([&] { return Metric(n->port, "einvoice_chain_height") >= height; }, 60)) << n->name;
  EXPECT_EQ(Metric(company.port, "einvoice_split_view_alarm"), 0u);
  ExpectOneChain();
  std::set<std::string> all = acked1;
  all.insert(acked2.begin(), acked2.end());
  for (const auto& m : kMembers) ExpectExactlyOnce(c_->node(m).db, all);
  // Every claim the company was answered is on the chain once; no invoice is claimed twice.
  EXPECT_GT(claimed.size(), 20u);
  auto claims = ReimbursementsOnChain(c_->node("a2").db).claims;
  for (const auto& no : claimed) EXPECT_EQ(claims[no], 1) << no;
  for (const auto& [no, n] : claims) EXPECT_EQ(n, 1) << no;
  for (ProcessNode* n : {&m1, &m2, &company}) {
    c_->Kill(n->name, SIGTERM);
    auto r = apptest::RunCommand(std::string(EINVOICE_CLI) + " chain verify --node-db " + n->db);
    EXPECT_EQ(r.exit_code, 0) << n->name << ": " << r.output;
  }
  std::sort(failover_ms.begin(), failover_ms.end());
  std::printf("authority group: 20 leader kills under load, %zu payments sealed exactly once on all three members, "
              "%zu claims each sealed once (%d answered only on a retry); failover (kill to a new leader) p50 %.0f ms, "
              "max %.0f ms\n",
              all.size(), claimed.size(), claims_retried, failover_ms[failover_ms.size() / 2], failover_ms.back());
}

TEST_F(AuthorityGroup, ALeaderCutOffFromEtcdStopsWithinItsLease) {
  std::string leader = Leader(30);
  ASSERT_NE(leader, "");
  ProcessNode* merchant = StartMerchant();
  ASSERT_NE(merchant, nullptr) << "the merchant got no invoice numbers";
  ProcessNode& m = *merchant;
  std::set<std::string> acked = PayWithRetries(m, 0, 20);
  ProcessNode& old = c_->node(leader);
  const int64_t old_epoch = View(old.port).epoch;
  ASSERT_GT(old_epoch, 0);
  auto cut_at = std::chrono::steady_clock::now();
  etcd_->Stop(IndexOf(leader));
  ASSERT_TRUE(WaitFor([&] { return View(old.port).role != "leader"; }, 10));
  const double stopped_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - cut_at).count();
  EXPECT_LT(stopped_ms, 2000 + 300) << "the lease is 2 s (and the test polls every 100 ms)";
  // It acknowledges nothing more: a registration sent to it is refused, and not sealed.
  auto r = apptest::Http(old.port, "POST", "/v1/taxpayers",
                         "{\"tax_id\":\"91440300MA5G000001\",\"name\":\"x\",\"node_public_key\":\"" +
                             ledger::ToHex(ledger::PrivateKey::Generate()->public_key()) + "\"}",
                         {{"Authorization", "Bearer " + old.token}});
  EXPECT_EQ(r.status, 503) << r.body;
  // The group goes on without it.
  std::string next = Leader(30, leader);
  ASSERT_NE(next, "");
  auto more = PayWithRetries(m, 20, 20);
  acked.insert(more.begin(), more.end());
  // A bureau's token, the same on every member (made on one, installed on the others), admits
  // a registration sent to a follower: it is passed on to the leader, which knows the token too.
  const std::string admin =
      app::TokenStore::Open(c_->node(kMembers[0]).db)->Create(app::TokenRole::kAdmin, "", "ops", app::SystemClockMs());
  for (size_t i = 1; i < kMembers.size(); ++i)
    app::TokenStore::Open(c_->node(kMembers[i]).db)->Create(app::TokenRole::kAdmin, "", "ops", app::SystemClockMs(), admin);
  std::string follower;
  for (const auto& mem : kMembers)
    if (mem != leader && mem != next) follower = mem;
  auto reg = apptest::Http(c_->node(follower).port, "POST", "/v1/taxpayers",
                           "{\"tax_id\":\"91110108MA01G7GK9M\",\"name\":\"公司\",\"node_public_key\":\"" +
                               ledger::ToHex(ledger::PrivateKey::Generate()->public_key()) + "\"}",
                           {{"Authorization", "Bearer " + admin}});
  EXPECT_EQ(reg.status, 201) << follower << ": " << reg.body;
  EXPECT_TRUE(SealedAll(m, acked.size()));
  // Fencing: a message of the old epoch, signed with the group's key as the old leader would,
  // is refused by every member that follows the new one.
  auto key = ledger::PrivateKey::LoadPemFile(old.key_file).value();
  app::NodeRequestSigner as_old("group:" + leader, key, [] { return app::SystemClockMs(); });
  const std::string stale = "{\"epoch\":" + std::to_string(old_epoch) + ",\"leader\":\"" + leader +
                            "\",\"height\":0,\"proposal\":false}\n";
  for (const auto& mem : kMembers) {
    if (mem == leader) continue;
    auto r = apptest::Http(c_->node(mem).port, "POST", "/group/v1/append", stale, as_old.Headers("POST", "/group/v1/append", stale));
    EXPECT_EQ(r.status, 409) << mem << ": " << r.body;
    EXPECT_NE(r.body.find("stale_epoch"), std::string::npos) << r.body;
  }
  const uint64_t old_height = View(old.port).height;
  EXPECT_LT(old_height, View(c_->node(next).port).height) << "the cut-off member holds what it held";
  std::printf("cut off from etcd: the leader stopped leading %.0f ms after its etcd member stopped (lease 2 s); "
              "%s leads now\n", stopped_ms, next.c_str());
  // Back in touch, it follows and catches up.
  etcd_->Start(IndexOf(leader));
  ExpectOneChain();
  for (const auto& mem : kMembers) ExpectExactlyOnce(c_->node(mem).db, acked);
}

TEST_F(AuthorityGroup, AWipedMemberCatchesUpAndRejoins) {
  std::string leader = Leader(30);
  ASSERT_NE(leader, "");
  ProcessNode* merchant = StartMerchant();
  ASSERT_NE(merchant, nullptr) << "the merchant got no invoice numbers";
  ProcessNode& m = *merchant;
  std::set<std::string> acked = PayWithRetries(m, 0, 200);
  ASSERT_TRUE(SealedAll(m, acked.size()));
  std::string victim = leader == "a3" ? "a2" : "a3";
  ProcessNode& v = c_->node(victim);
  Wipe(victim);
  c_->Restart(victim);
  auto more = PayWithRetries(m, 200, 50);
  acked.insert(more.begin(), more.end());
  const uint64_t want = View(c_->node(Leader(30)).port).height;
  ASSERT_TRUE(WaitFor([&] { return View(v.port).height >= want; }, 60)) << "at " << View(v.port).height << " of " << want;
  // It holds every entry again: it may lead. Kill the others' leader until it does.
  std::string now = Leader(30);
  ASSERT_NE(now, "");
  if (now != victim) {
    c_->Kill(now, SIGKILL);
    std::string next = Leader(30, now);
    ASSERT_NE(next, "");
    c_->Restart(now);
  }
  auto after = PayWithRetries(m, 250, 20);
  acked.insert(after.begin(), after.end());
  EXPECT_TRUE(SealedAll(m, acked.size()));
  ExpectOneChain();
  for (const auto& mem : kMembers) ExpectExactlyOnce(c_->node(mem).db, acked);
}

// A wiped member has forgotten the blocks it acknowledged: until it holds every block again it
// must not answer a new leader's question "what do you hold?", or a block held only by it and
// a dead leader would be overwritten. Here the leader commits with y while x is down; then the
// leader dies and y is wiped: x and y together must not lead; with the old leader back they do.
TEST_F(AuthorityGroup, AWipedMemberDoesNotVoteAwayWhatItHeld) {
  std::string leader = Leader(30);
  ASSERT_NE(leader, "");
  ProcessNode* merchant = StartMerchant();
  ASSERT_NE(merchant, nullptr) << "the merchant got no invoice numbers";
  ProcessNode& m = *merchant;
  std::set<std::string> acked = PayWithRetries(m, 0, 20);
  ASSERT_TRUE(SealedAll(m, acked.size()));
  std::vector<std::string> others;
  for (const auto& mem : kMembers)
    if (mem != leader) others.push_back(mem);
  const std::string x = others[0], y = others[1];
  ASSERT_TRUE(View(c_->node(y).port).voter);
  c_->Kill(x, SIGKILL);
  auto more = PayWithRetries(m, 20, 50);
  acked.insert(more.begin(), more.end());
  ASSERT_TRUE(SealedAll(m, acked.size()));
  const uint64_t held = View(c_->node(leader).port).height;  // held by the leader and y only
  c_->Kill(leader, SIGKILL);
  Wipe(y);
  c_->Restart(y);
  c_->Restart(x);
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(6);  // three leases
  bool y_answered = false;
  while (std::chrono::steady_clock::now() < until) {
    for (const std::string& mem : {x, y}) {
      MemberView v = View(c_->node(mem).port);
      ASSERT_NE(v.role, "leader") << mem << " leads at height " << v.height << " without the blocks up to " << held;
      if (mem == y && !v.role.empty()) {
        y_answered = true;
        EXPECT_FALSE(v.voter) << "the wiped member votes";
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(y_answered);
  c_->Restart(leader);
  ASSERT_NE(Leader(30), "");
  auto after = PayWithRetries(m, 70, 20);
  acked.insert(after.begin(), after.end());
  EXPECT_TRUE(SealedAll(m, acked.size()));
  EXPECT_TRUE(WaitFor([&] { return View(c_->node(y).port).voter; }, 30)) << "caught up, it votes again";
  EXPECT_GT(View(c_->node(y).port).height, held);
  ExpectOneChain();
  for (const auto& mem : kMembers) ExpectExactlyOnce(c_->node(mem).db, acked);
}

}  // namespace
}  // namespace cluster
