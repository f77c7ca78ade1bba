#include "app/bench/bench_network.h"

#include <Poco/JSON/Parser.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "app/bench/cli_bench.h"
#include "app/node/node.h"
#include "app/node/node_process.h"
#include "app/http/tokens.h"
#include "ledger/keys.h"

namespace app::cli {

namespace fs = std::filesystem;

Network::Network(std::string root, int http_threads) : root_(std::move(root)), http_threads_(http_threads) {
  auto [priv, pub] = PlatformKeyPair();
  platform_private_pem_ = priv;
  std::ofstream(root_ + "/platform.pub.pem") << pub;
}

void Network::Start(int witnesses) {
  authority_ = Prepare("authority", "", "");
  auto key = ledger::PrivateKey::Generate().value();
  std::ofstream(authority_.dir + "/node.pem") << key.ToPem();
  std::ofstream(root_ + "/authority.pub.pem") << key.PublicPem();
  std::ofstream(authority_.config) << Common(authority_) << "node.role = authority\nnode.name = Bench bureau\n";
  Launch(authority_);
  authority_.token = TokenStore::Open(authority_.db)->Create(TokenRole::kAdmin, "", "bench", SystemClockMs());
  merchants_.push_back(Prepare("merchant-1", "91440300MA5DQ3QP4X", "44"));
  merchants_.push_back(Prepare("merchant-2", "91310115MA1K4BHY14", "31"));
  for (auto& m : merchants_) {
    auto mkey = ledger::PrivateKey::Generate().value();
    std::ofstream(m.dir + "/node.pem") << mkey.ToPem();
    std::ofstream(m.config) << Common(m) << "node.role = taxpayer\nnode.name = " << m.name << "\nnode.tax_id = " << m.tax_id
                            << "\nnode.region_code = " << m.region << "\nauthority.url = http://127.0.0.1:" << authority_.port
                            << "\nauthority.public_key_file = " << root_ << "/authority.pub.pem"
                            << "\ninvoice.range_size = 10000000\npayment.wechatpay.mchid = 1900000109"
                            << "\npayment.wechatpay.platform_serial = " << kSerial
                            << "\npayment.wechatpay.platform_public_key_file = " << root_ << "/platform.pub.pem"
                            << "\npayment.wechatpay.api_v3_key = " << kApiKey << "\npayment.timestamp_tolerance_s = 3600\n";
    std::string answer;
    int st = HttpStatus("127.0.0.1", authority_.port, "POST", "/v1/taxpayers",
                        "{\"tax_id\":\"" + m.tax_id + "\",\"name\":\"" + m.name + "\",\"node_public_key\":\"" +
                            ledger::ToHex(mkey.public_key()) + "\"}",
                        authority_.token, &answer);
    if (st != 201) throw std::runtime_error("registering " + m.name + " failed (" + std::to_string(st) + "): " + answer);
    Launch(m);
    m.token = TokenStore::Open(m.db)->Create(TokenRole::kMerchant, m.tax_id, "bench till", SystemClockMs());
  }
  if (witnesses > 0) AddWitnesses(witnesses);
}

void Network::AddWitnesses(int witnesses) {
  if (witnesses > static_cast<int>(merchants_.size())) throw std::invalid_argument("at most 2 witnesses (the merchants')");
  std::string lines;
  for (int i = 0; i < witnesses; ++i) {
    const BenchNode& m = merchants_[static_cast<size_t>(i)];
    std::string health;
    HttpStatus("127.0.0.1", m.port, "GET", "/healthz", "", "", &health);
    auto key = Poco::JSON::Parser().parse(health).extract<Poco::JSON::Object::Ptr>()->optValue<std::string>("witness_key", "");
    if (key.empty()) throw std::runtime_error(m.name + " shows no witness key");
    const std::string n = "witness." + std::to_string(i + 1);
    lines += n + ".key = " + key + "\n" + n + ".url = http://127.0.0.1:" + std::to_string(m.port) + "\n";
  }
  lines += "witness.quorum = " + std::to_string(witnesses) + "\n";
  // The network's policy in every node's configuration: the merchants' replicas then hold
  // only what is final.
  std::vector<pid_t*> pids = {&authority_.pid};
  for (auto& m : merchants_) pids.push_back(&m.pid);
  StopNodes(pids);
  std::ofstream(authority_.config, std::ios::app) << lines;
  Launch(authority_);
  for (auto& m : merchants_) {
    std::ofstream(m.config, std::ios::app) << lines;
    Launch(m);
  }
}

void Network::Stop() {
  std::vector<pid_t*> pids = {&authority_.pid};
  for (auto& m : merchants_) pids.push_back(&m.pid);
  StopNodes(pids);
}

BenchNode Network::Prepare(const std::string& name, const std::string& tax_id, const std::string& region) {
  BenchNode n;
  n.name = name;
  n.tax_id = tax_id;
  n.region = region;
  n.dir = root_ + "/" + name;
  fs::create_directories(n.dir);
  n.config = n.dir + "/node.properties";
  n.db = n.dir + "/node.db";
  n.port = FreeLoopbackPort();
  return n;
}

std::string Network::Common(const BenchNode& n) const {
  return "node.listen = 127.0.0.1:" + std::to_string(n.port) + "\nnode.data_dir = " + n.dir +
         "\nhttp.threads = " + std::to_string(http_threads_) +
         "\nhttp.max_keep_alive_requests = 1000000\nhttp.keep_alive_timeout_s = 30"
         // The load generator is one peer with many connections, by design.
         "\nhttp.max_connections_per_peer = 0\nchain.suite = " + std::string(ledger::SuiteName(ledger::ActiveSuite())) + "\n";
}

void Network::Launch(BenchNode& n) {
  n.pid = SpawnNode(NodeBinary(), n.config, n.dir + "/node.log");
  if (!WaitHealthy("127.0.0.1", n.port, 15)) throw std::runtime_error(n.name + " did not start; see " + n.dir + "/node.log");
}

}  // namespace app::cli
