// The operator CLI as a user runs it: real binaries, real files, exit codes and output.
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "../ledger/test_chain.h"
#include "ledger/hash.h"
#include "ledger/merkle.h"
#include "test_util.h"

namespace app {
namespace {

using apptest::RunCommand;
using Poco::JSON::Object;

const std::string kCli = EINVOICE_CLI;

TEST(Cli, HelpEverywhere) {
  auto top = RunCommand(kCli + " --help");
  EXPECT_EQ(top.exit_code, 0);
  for (const char* verb : {"keygen", "chain verify", "chain export"}) {
    EXPECT_NE(top.output.find(verb), std::string::npos) << verb;
    auto h = RunCommand(kCli + " " + verb + " --help");
    EXPECT_EQ(h.exit_code, 0) << verb << ": " << h.output;
    EXPECT_NE(h.output.find("usage"), std::string::npos) << h.output;
  }
  EXPECT_EQ(RunCommand(kCli + " chain --help").exit_code, 0);
  EXPECT_EQ(RunCommand(kCli).exit_code, 2);
  EXPECT_EQ(RunCommand(kCli + " frobnicate").exit_code, 2);
  auto missing = RunCommand(kCli + " chain verify");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.output.find("node-db"), std::string::npos) << missing.output;
  EXPECT_EQ(RunCommand(kCli + " chain verify --node-db x --bogus").exit_code, 2);
}

TEST(Cli, KeygenWritesAPrivateKeyOnlyItsOwnerCanRead) {
  apptest::TempDir dir;
  auto r = RunCommand(kCli + " keygen --out " + dir.File("node"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  struct stat st;
  ASSERT_EQ(stat(dir.File("node.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto pub = ledger::LoadPublicKeyFile(dir.File("node.pub.pem"));
  auto priv = ledger::PrivateKey::LoadPemFile(dir.File("node.pem"));
  ASSERT_TRUE(pub.ok() && priv.ok());
  EXPECT_EQ(*pub, priv->public_key());
  EXPECT_NE(r.output.find(ledger::ToHex(*pub)), std::string::npos);
  EXPECT_EQ(RunCommand(kCli + " keygen --out " + dir.File("node")).exit_code, 3);  // no silent overwrite
  EXPECT_EQ(RunCommand(kCli + " keygen --out " + dir.File("node") + " --force").exit_code, 0);
}

TEST(Cli, VerifyPassesAndNamesTheFirstBadItem) {
  apptest::TempDir dir;
  std::string db = dir.File("node.db");
  ledger::testing::BuildChain(db, 3, 10);
  auto ok = RunCommand(kCli + " chain verify --node-db " + db);
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_NE(ok.output.find("chain OK: 4 blocks (height 3), 30 entries"), std::string::npos) << ok.output;
  EXPECT_EQ(ok.output.find("\r"), std::string::npos) << "progress drawn although stderr is not a terminal";

  auto strict = RunCommand(kCli + " chain verify --entry-signatures --node-db " + db);
  EXPECT_EQ(strict.exit_code, 0) << strict.output;

  sqlite3* h;
  ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(h, "UPDATE chain_leaf SET entry = CAST(entry AS TEXT) || 'x' WHERE idx = 17", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(h);
  auto bad = RunCommand(kCli + " chain verify --node-db " + db);
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.output.find("FAILED at entry 17"), std::string::npos) << bad.output;

  // Another authority's key: the first signed block fails.
  ASSERT_EQ(RunCommand(kCli + " keygen --out " + dir.File("other") + " --suite " +
                       std::string(ledger::SuiteName(ledger::ActiveSuite()))).exit_code, 0);
  auto other = RunCommand(kCli + " chain verify --node-db " + db + " --authority-key " + dir.File("other.pub.pem"));
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_NE(other.output.find("FAILED at block 0: authority signature does not verify"), std::string::npos) << other.output;

  auto garbage = dir.File("garbage.db");
  std::ofstream(garbage) << std::string(8192, 'x');
  EXPECT_EQ(RunCommand(kCli + " chain verify --node-db " + garbage).exit_code, 1);
  EXPECT_EQ(RunCommand(kCli + " chain verify --node-db " + dir.File("absent.db")).exit_code, 3);
}

std::string BigEndian(uint64_t v) {
  std::string out;
  for (int s = 56; s >= 0; s -= 8) out += ledger::ToHex(ledger::Bytes{static_cast<uint8_t>(v >> s)});
  return out;
}

// Verifies an export the way ledger/README.md "Export format" tells a third party to: the header
// rebuilt from the documented fields, the suite's hash (SHA-256 or SM3), and the openssl CLI for
// signatures (an SM2 signature's r || s made DER with `openssl asn1parse -genconf`, and the
// distinguishing ID given to pkeyutl). Runs on both suites (tests/CMakeLists.txt).
TEST(Cli, ExportCanBeVerifiedByAThirdPartyWithOpenssl) {
  const bool sm2 = ledger::ActiveSuite() == ledger::Suite::kSm2Sm3;
  auto hash = [sm2](const ledger::Bytes& b) { return sm2 ? ledger::Sm3(b) : ledger::Sha256(b); };
  apptest::TempDir dir;
  std::string db = dir.File("node.db");
  ledger::testing::BuildChain(db, 4, 6);
  ASSERT_EQ(RunCommand(kCli + " chain export --node-db " + db + " --out " + dir.File("chain.jsonl")).exit_code, 0);
  std::ifstream in(dir.File("chain.jsonl"));
  std::string line;
  std::getline(in, line);
  auto chain = Poco::JSON::Parser().parse(line).extract<Object::Ptr>();
  EXPECT_EQ(chain->getValue<std::string>("type"), "chain");
  EXPECT_EQ(chain->getValue<std::string>("format"), "einvoice-chain/1");
  EXPECT_EQ(chain->getValue<std::string>("suite"), sm2 ? "sm2-sm3" : "ed25519-sha256");
  std::ofstream(dir.File("authority.pub.pem")) << chain->getValue<std::string>("authority_public_key_pem");
  std::vector<ledger::Hash> leaves;
  std::string prev_hash(64, '0');
  int blocks = 0;
  while (std::getline(in, line)) {
    auto b = Poco::JSON::Parser().parse(line).extract<Object::Ptr>();
    std::string header = std::string(sm2 ? "45494232" : "45494231") + BigEndian(b->getValue<uint64_t>("height")) + b->getValue<std::string>("prev_hash") +
                         BigEndian(b->getValue<uint64_t>("time_ms")) + BigEndian(b->getValue<uint64_t>("tree_size")) +
                         b->getValue<std::string>("tree_root");
    ASSERT_EQ(header, b->getValue<std::string>("header"));
    EXPECT_EQ(hash(*ledger::FromHex(header)).Hex(), b->getValue<std::string>("block_hash"));
    EXPECT_EQ(b->getValue<std::string>("prev_hash"), prev_hash);
    prev_hash = b->getValue<std::string>("block_hash");
    auto arr = b->getArray("leaves");
    for (size_t i = 0; i < arr->size(); ++i) {
      auto leaf = arr->getObject(i);
      EXPECT_EQ(leaf->getValue<uint64_t>("index"), leaves.size());
      auto entry = ledger::FromBase64(leaf->getValue<std::string>("entry"));
      ASSERT_TRUE(entry.has_value());
      ledger::Bytes prefixed{0x00};
      prefixed.insert(prefixed.end(), entry->begin(), entry->end());
      EXPECT_EQ(hash(prefixed).Hex(), leaf->getValue<std::string>("leaf_hash"));
      leaves.push_back(*ledger::HashFromHex(leaf->getValue<std::string>("leaf_hash")));
    }
    EXPECT_EQ(ledger::RootOf(leaves).Hex(), b->getValue<std::string>("tree_root"));
    std::ofstream(dir.File("h.bin"), std::ios::binary) << std::string(
        reinterpret_cast<const char*>(ledger::FromHex(header)->data()), header.size() / 2);
    const std::string sig_hex = b->getValue<std::string>("signature");
    auto sig = ledger::FromHex(sig_hex);
    std::ofstream(dir.File("s.bin"), std::ios::binary) << std::string(reinterpret_cast<const char*>(sig->data()), sig->size());
    std::string sm2_options;
    if (sm2) {  // ledger/README.md: r || s as DER, SM3 and the ID 1234567812345678
      std::ofstream(dir.File("sig.cnf")) << "asn1=SEQUENCE:sig\n[sig]\nr=INTEGER:0x" << sig_hex.substr(0, 64)
                                         << "\ns=INTEGER:0x" << sig_hex.substr(64, 64) << "\n";
      ASSERT_EQ(RunCommand("openssl asn1parse -genconf " + dir.File("sig.cnf") + " -out " + dir.File("s.bin") + " -noout").exit_code, 0);
      sm2_options = " -digest sm3 -pkeyopt distid:1234567812345678";
    }
    auto v = RunCommand("openssl pkeyutl -verify -pubin -inkey " + dir.File("authority.pub.pem") + " -rawin" + sm2_options +
                        " -in " + dir.File("h.bin") + " -sigfile " + dir.File("s.bin"));
    EXPECT_EQ(v.exit_code, 0) << v.output;
    EXPECT_NE(v.output.find("Signature Verified Successfully"), std::string::npos) << v.output;
    ++blocks;
  }
  EXPECT_EQ(blocks, 5);
  EXPECT_EQ(leaves.size(), 24u);
}

TEST(Einvoiced, StartsServesAndStopsOnSigterm) {
  apptest::TempDir dir;
  std::ofstream(dir.File("node.properties")) << "node.role = authority\nnode.name = Test bureau\n"
                                                "node.listen = 127.0.0.1:0\nnode.data_dir = " + dir.path() + "\n";
  std::string log = dir.File("out.log");
  std::string pidfile = dir.File("pid");
  ASSERT_EQ(std::system((std::string(EINVOICE_NODE) + " --config " + dir.File("node.properties") + " > " + log +
                         " 2>&1 & echo $! > " + pidfile).c_str()), 0);
  std::smatch m;
  std::string out;
  for (int i = 0; i < 100; ++i) {
    std::ifstream f(log);
    std::stringstream ss;
    ss << f.rdbuf();
    out = ss.str();
    if (std::regex_search(out, m, std::regex("listening on http://127\\.0\\.0\\.1:(\\d+)"))) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(m.size() == 2) << out;
  uint16_t port = static_cast<uint16_t>(std::stoi(m[1].str()));
  auto h = apptest::Request(port, "GET", "/v1/chain/head");
  EXPECT_EQ(h.status, 200);
  EXPECT_NE(h.body.find("\"height\":0"), std::string::npos) << h.body;
  int pid = 0;
  std::ifstream(pidfile) >> pid;
  ASSERT_GT(pid, 0);
  kill(pid, SIGTERM);
  for (int i = 0; i < 100 && kill(pid, 0) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_NE(kill(pid, 0), 0) << "einvoiced did not stop on SIGTERM";
  // The node created its key (0600) and a chain that verifies.
  struct stat st;
  ASSERT_EQ(stat(dir.File("node.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(RunCommand(kCli + " chain verify --node-db " + dir.File("node.db")).exit_code, 0);

  auto bad = RunCommand(std::string(EINVOICE_NODE) + " --config " + dir.File("absent.properties"));
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_EQ(RunCommand(std::string(EINVOICE_NODE) + " --help").exit_code, 0);
}

}  // namespace
}  // namespace app
