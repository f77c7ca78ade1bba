// app::EtcdClient against a real three-member etcd cluster (tests/cluster/etcd.h): leases,
// the create-if-absent transaction and its revision (the authority group's fencing epoch),
// conditional deletes, and a member stopped.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <thread>

#include "../app/test_util.h"
#include "etcd.h"

namespace cluster {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// One cluster for the suite (CTest runs each test in its own process: one cluster each).
class Etcd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new apptest::TempDir();
    etcd_ = new EtcdCluster(dir_->path() + "/etcd", 3);
  }
  static void TearDownTestSuite() {
    delete etcd_;
    delete dir_;
  }
  // A key of this test's own.
  static std::string Key(const std::string& name) {
    return std::string("/test/") + ::testing::UnitTest::GetInstance()->current_test_info()->name() + "/" + name;
  }
  static inline apptest::TempDir* dir_ = nullptr;
  static inline EtcdCluster* etcd_ = nullptr;
};

TEST(EtcdEndpoints, OnlyHttpHostPort) {
  EXPECT_NO_THROW(app::EtcdClient({"http://127.0.0.1:2379", "http://localhost:2380/"}));
  for (const char* bad : {"https://127.0.0.1:2379", "127.0.0.1:2379", "http://127.0.0.1", "http://:2379",
                          "http://127.0.0.1:2379/v3", "not a url"})
    EXPECT_THROW(app::EtcdClient({bad}), std::invalid_argument) << bad;
  EXPECT_THROW(app::EtcdClient({}), std::invalid_argument);
}

TEST_F(Etcd, GrantAndKeepAlive) {
  app::EtcdClient client(etcd_->Endpoints());
  app::EtcdClient::Lease lease = client.Grant(5);
  EXPECT_NE(lease.id, 0);
  EXPECT_EQ(lease.ttl_s, 5);
  int64_t ttl = client.KeepAlive(lease.id);
  EXPECT_GT(ttl, 0);
  EXPECT_LE(ttl, 5);
  // etcd raises a TTL below its minimum, 1.5 election timeouts rounded up to a second: 1 s here.
  EXPECT_EQ(client.Grant(0).ttl_s, 1);
  EXPECT_EQ(client.Grant(1).ttl_s, 1);
}

TEST_F(Etcd, CreateIfAbsentOnceAndItsRevisionIsTheCreateRevision) {
  app::EtcdClient client(etcd_->Endpoints());
  app::EtcdClient::Lease lease = client.Grant(10);
  int64_t rev = client.CreateIfAbsent(Key("leader"), "a1", lease.id);
  EXPECT_GT(rev, 0);
  EXPECT_EQ(client.CreateIfAbsent(Key("leader"), "a2", lease.id), 0);
  auto kv = client.Get(Key("leader"));
  ASSERT_TRUE(kv);
  EXPECT_EQ(kv->value, "a1");
  EXPECT_EQ(kv->create_revision, rev);
  EXPECT_EQ(kv->mod_revision, rev);
  EXPECT_EQ(kv->lease, lease.id);
  // Revisions only grow, over every key of the cluster.
  EXPECT_GT(client.CreateIfAbsent(Key("other"), std::string("\0\xff bytes", 8), 0), rev);
  EXPECT_EQ(client.Get(Key("other"))->value, std::string("\0\xff bytes", 8));
  EXPECT_FALSE(client.Get(Key("absent")));
  client.Put(Key("empty"), "");
  EXPECT_EQ(client.Get(Key("empty"))->value, "");  // the gateway leaves an empty value out
  // A gone lease: etcd refuses the put.
  EXPECT_THROW(client.CreateIfAbsent(Key("orphan"), "x", 12345), app::EtcdError);
}

TEST_F(Etcd, OneWinnerAmongConcurrentCreators) {
  app::EtcdClient client(etcd_->Endpoints());  // one client, shared by the threads
  std::mutex mu;
  std::vector<std::pair<int, int64_t>> wins;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      int64_t rev = client.CreateIfAbsent(Key("leader"), "m" + std::to_string(t), 0);
      std::lock_guard<std::mutex> lock(mu);
      if (rev > 0) wins.push_back({t, rev});
    });
  for (auto& th : threads) th.join();
  ASSERT_EQ(wins.size(), 1u);
  auto kv = client.Get(Key("leader"));
  EXPECT_EQ(kv->value, "m" + std::to_string(wins[0].first));
  EXPECT_EQ(kv->create_revision, wins[0].second);
}

TEST_F(Etcd, RevokeDeletesTheKeysAndEndsTheLease) {
  app::EtcdClient client(etcd_->Endpoints());
  app::EtcdClient::Lease lease = client.Grant(10);
  ASSERT_GT(client.CreateIfAbsent(Key("leader"), "a1", lease.id), 0);
  client.Revoke(lease.id);
  EXPECT_FALSE(client.Get(Key("leader")));
  EXPECT_EQ(client.KeepAlive(lease.id), 0);
  EXPECT_NO_THROW(client.Revoke(lease.id));  // gone already: not an error
  EXPECT_EQ(client.KeepAlive(987654321), 0);  // never granted
}

TEST_F(Etcd, ALeaseNotKeptAliveExpires) {
  app::EtcdClient client(etcd_->Endpoints());
  auto start = Clock::now();
  app::EtcdClient::Lease lease = client.Grant(2);
  ASSERT_EQ(lease.ttl_s, 2);
  ASSERT_GT(client.CreateIfAbsent(Key("leader"), "a1", lease.id), 0);
  while (client.Get(Key("leader")) && SecondsSince(start) < 5)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  double gone_after = SecondsSince(start);
  std::printf("a 2 s lease's key was gone %.2f s after the grant\n", gone_after);
  EXPECT_FALSE(client.Get(Key("leader")));
  EXPECT_GE(gone_after, 1.9);
  EXPECT_LE(gone_after, 3.0);
  EXPECT_EQ(client.KeepAlive(lease.id), 0);
  // Gone too for a new creator: the key is free again.
  EXPECT_GT(client.CreateIfAbsent(Key("leader"), "a2", 0), 0);
}

TEST_F(Etcd, DeleteIfOnlyWithItsCreateRevision) {
  app::EtcdClient client(etcd_->Endpoints());
  int64_t rev = client.CreateIfAbsent(Key("leader"), "a1", 0);
  ASSERT_GT(rev, 0);
  client.Put(Key("leader"), "a1 again");  // a later put keeps the create revision
  EXPECT_FALSE(client.DeleteIf(Key("leader"), rev + 1000));
  EXPECT_FALSE(client.DeleteIf(Key("leader"), 0));
  ASSERT_TRUE(client.Get(Key("leader")));
  EXPECT_TRUE(client.DeleteIf(Key("leader"), rev));
  EXPECT_FALSE(client.Get(Key("leader")));
  EXPECT_FALSE(client.DeleteIf(Key("leader"), rev));
  EXPECT_FALSE(client.DeleteIf(Key("leader"), 0));  // absent: nothing to delete
}

TEST_F(Etcd, AMemberStopped) {
  app::EtcdClient all(etcd_->Endpoints(), 2000);
  app::EtcdClient only0({etcd_->ClientUrl(0)}, 500);
  all.Put(Key("before"), "1");
  etcd_->Stop(0);
  EXPECT_FALSE(etcd_->running(0));
  // If member 0 led, the first call may wait out one timeout at a member that passed it to
  // the dead leader; the rest elect a leader within about a second.
  auto start = Clock::now();
  all.Put(Key("during"), "2");
  std::printf("the first put with member 0 stopped took %.2f s\n", SecondsSince(start));
  EXPECT_EQ(all.Get(Key("during"))->value, "2");
  EXPECT_GT(all.CreateIfAbsent(Key("leader"), "a1", all.Grant(5).id), 0);

  start = Clock::now();
  try {
    only0.Get(Key("before"));
    ADD_FAILURE() << "a stopped member answered";
  } catch (const app::EtcdError& e) {
    EXPECT_NE(std::string(e.what()).find(etcd_->ClientUrl(0)), std::string::npos) << e.what();
  }
  EXPECT_LT(SecondsSince(start), 1.0);

  etcd_->Start(0);
  EXPECT_TRUE(etcd_->running(0));
  EXPECT_EQ(only0.Get(Key("during"))->value, "2");  // rejoined on its data dir, caught up
}

}  // namespace
}  // namespace cluster
