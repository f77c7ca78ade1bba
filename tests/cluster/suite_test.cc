// Issue 21: a network has one suite, and a node of the other one is refused with a message
// naming both, whichever way they meet: a key offered for registration, an einvoiced whose
// pinned authority key is of the other suite, one whose replica is pointed at this authority,
// and one started on this authority's database. Runs on both suites (the other one is the
// suite this run is not: tests/CMakeLists.txt).
#include <gtest/gtest.h>

#include <Poco/JSON/Parser.h>

#include <chrono>
#include <thread>

#include "cluster.h"

namespace cluster {
namespace {

TEST(Suites, ANodeOfTheOtherSuiteIsRefusedNamingBoth) {
  const ledger::Suite mine = ledger::ActiveSuite();
  const ledger::Suite other = mine == ledger::Suite::kSm2Sm3 ? ledger::Suite::kEd25519Sha256 : ledger::Suite::kSm2Sm3;
  const std::string mine_name(ledger::SuiteName(mine)), other_name(ledger::SuiteName(other));
  apptest::TempDir dir;
  Cluster c(dir.path());
  ProcessNode& a = c.StartAuthority();
  EXPECT_NE(apptest::Http(a.port, "GET", "/healthz").body.find("\"suite\":\"" + mine_name + "\""), std::string::npos);

  // A key of the other suite is not registered: 422, naming this network's suite.
  auto key = *ledger::PrivateKey::Generate(other);
  auto r = apptest::Http(a.port, "POST", "/v1/taxpayers",
                         "{\"tax_id\":\"91440300MA5DQ3QP4X\",\"name\":\"x\",\"node_public_key\":\"" +
                             ledger::ToHex(key.public_key()) + "\"}",
                         {{"Authorization", "Bearer " + a.token}});
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_NE(r.body.find("\"invalid_key\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(mine_name), std::string::npos) << r.body;

  // A taxpayer node of the other suite that pins this authority's key does not start.
  std::ofstream(dir.File("other.pem")) << key.ToPem();
  const uint16_t port = FreePort();
  auto config = [&](const std::string& authority_key) {
    std::ofstream(dir.File("other.properties"))
        << "node.role = taxpayer\nnode.name = other\nnode.tax_id = 91440300MA5DQ3QP4X\nnode.listen = 127.0.0.1:"
        << port << "\nnode.data_dir = " << dir.File("other") << "\nnode.key_file = " << dir.File("other.pem")
        << "\nauthority.url = " << a.Url() << "\nauthority.public_key_file = " << authority_key
        << "\nchain.suite = " << other_name << "\n";
  };
  const std::string node = std::string(EINVOICE_NODE) + " --config " + dir.File("other.properties");
  config(dir.path() + "/authority.pub.pem");
  auto pinned = apptest::RunCommand("timeout 20 " + node);
  EXPECT_NE(pinned.exit_code, 0);
  EXPECT_NE(pinned.output.find("the authority key is " + mine_name + ", this node's chain is " + other_name),
            std::string::npos) << pinned.output;

  // Pinning a key of its own suite, it starts, and its replica refuses this authority's head:
  // the split-view alarm, naming both.
  std::ofstream(dir.File("pinned.pub.pem")) << ledger::PrivateKey::Generate(other)->PublicPem();
  config(dir.File("pinned.pub.pem"));
  ASSERT_EQ(std::system((node + " > " + dir.File("other.log") + " 2>&1 & echo $! > " + dir.File("other.pid")).c_str()), 0);
  std::string alarm;
  for (int i = 0; i < 200 && alarm.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    try {
      auto h = Poco::JSON::Parser().parse(apptest::Http(port, "GET", "/healthz").body).extract<Poco::JSON::Object::Ptr>();
      alarm = h->optValue<std::string>("alarm", "");
    } catch (const std::exception&) {
    }
  }
  std::system(("kill $(cat " + dir.File("other.pid") + ")").c_str());
  EXPECT_NE(alarm.find("the block is " + mine_name + ", this node's chain is " + other_name), std::string::npos)
      << alarm << "\n" << ReadFile(dir.File("other.log"));

  // An einvoiced of the other suite on this authority's database (stopped) does not open it.
  c.Kill("authority", SIGTERM);
  std::ofstream(dir.File("db.properties")) << "node.role = authority\nnode.listen = 127.0.0.1:0\nnode.data_dir = "
                                            << dir.File("db") << "\nnode.db = " << a.db << "\nchain.suite = " << other_name
                                            << "\n";
  auto opened = apptest::RunCommand("timeout 20 " + std::string(EINVOICE_NODE) + " --config " + dir.File("db.properties"));
  EXPECT_NE(opened.exit_code, 0);
  EXPECT_NE(opened.output.find("node.db's chain is " + mine_name + ", this node's chain is " + other_name),
            std::string::npos) << opened.output;
}

}  // namespace
}  // namespace cluster
