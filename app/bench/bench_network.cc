#include "app/bench/bench_network.h"

#include <Poco/JSON/Parser.h>

#include <signal.h>
#include <unistd.h>
#include <sys/wait.h>

#include <filesystem>
#include <thread>
#include <fstream>
#include <stdexcept>

#include "app/bench/cli_bench.h"
#include "app/group/etcd_client.h"
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

void Network::Start(int witnesses, bool group) {
  authority_ = Prepare("authority", "", "");
  auto key = ledger::PrivateKey::Generate().value();
  std::ofstream(authority_.dir + "/node.pem") << key.ToPem();
  std::ofstream(root_ + "/authority.pub.pem") << key.PublicPem();
  std::string authority_url = "http://127.0.0.1:" + std::to_string(authority_.port);
  if (group) {
    StartGroup();
    authority_url.clear();
    for (const BenchNode* n : {&authority_, &followers_[0], &followers_[1]})
      authority_url += (authority_url.empty() ? "" : ",") + std::string("http://127.0.0.1:") + std::to_string(n->port);
  } else {
    std::ofstream(authority_.config) << Common(authority_) << "node.role = authority\nnode.name = Bench bureau\n";
    Launch(authority_);
  }
  authority_.token = TokenStore::Open(authority_.db)->Create(TokenRole::kAdmin, "", "bench", SystemClockMs());
  merchants_.push_back(Prepare("merchant-1", "91440300MA5DQ3QP4X", "44"));
  merchants_.push_back(Prepare("merchant-2", "91310115MA1K4BHY14", "31"));
  for (auto& m : merchants_) {
    auto mkey = ledger::PrivateKey::Generate().value();
    std::ofstream(m.dir + "/node.pem") << mkey.ToPem();
    std::ofstream(m.config) << Common(m) << "node.role = taxpayer\nnode.name = " << m.name << "\nnode.tax_id = " << m.tax_id
                            << "\nnode.region_code = " << m.region << "\nauthority.url = " << authority_url
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
  for (auto& f : followers_) pids.push_back(&f.pid);
  StopNodes(pids);
  for (pid_t& p : etcd_) {
    if (p <= 0) continue;
    kill(p, SIGTERM);
    waitpid(p, nullptr, 0);
    p = -1;
  }
}

namespace {

// Debian's etcd-server, found on PATH.
std::string EtcdBinary() {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin";
  for (size_t at = 0; at <= dirs.size();) {
    size_t colon = dirs.find(':', at);
    if (colon == std::string::npos) colon = dirs.size();
    fs::path candidate = fs::path(dirs.substr(at, colon - at)) / "etcd";
    if (access(candidate.c_str(), X_OK) == 0) return candidate.string();
    at = colon + 1;
  }
  throw std::runtime_error("--group needs etcd on PATH (Debian's etcd-server)");
}

}  // namespace

void Network::StartGroup() {
  // etcd: three members on loopback, their data under the run's folder.
  std::vector<uint16_t> ports;
  for (int i = 0; i < 6; ++i) ports.push_back(FreeLoopbackPort());
  std::string cluster, endpoints;
  for (int i = 0; i < 3; ++i) {
    cluster += (i ? "," : "") + std::string("e") + std::to_string(i) + "=http://127.0.0.1:" + std::to_string(ports[2 * i + 1]);
    endpoints += (i ? "," : "") + std::string("http://127.0.0.1:") + std::to_string(ports[2 * i]);
  }
  fs::create_directories(root_ + "/etcd");
  for (int i = 0; i < 3; ++i) {
    const std::string client = "http://127.0.0.1:" + std::to_string(ports[2 * i]);
    const std::string peer = "http://127.0.0.1:" + std::to_string(ports[2 * i + 1]);
    etcd_.push_back(SpawnProcess(EtcdBinary(),
                                 {"--name", "e" + std::to_string(i), "--data-dir", root_ + "/etcd/e" + std::to_string(i),
                                  "--listen-client-urls", client, "--advertise-client-urls", client, "--listen-peer-urls", peer,
                                  "--initial-advertise-peer-urls", peer, "--initial-cluster", cluster,
                                  "--initial-cluster-state", "new", "--initial-cluster-token", "einvoice-bench"},
                                 root_ + "/etcd/e" + std::to_string(i) + ".log"));
  }
  EtcdClient etcd({"http://127.0.0.1:" + std::to_string(ports[0])}, 500);
  for (int tries = 0;; ++tries) {
    try {
      etcd.Put("/einvoice-bench/ready", "1");
      break;
    } catch (const EtcdError& e) {
      if (tries > 150) throw std::runtime_error(std::string("etcd did not start: ") + e.what() + "; see " + root_ + "/etcd/");
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  followers_ = {Prepare("authority-2", "", ""), Prepare("authority-3", "", "")};
  std::vector<BenchNode*> members = {&authority_, &followers_[0], &followers_[1]};
  std::string list;
  for (size_t i = 0; i < members.size(); ++i)
    list += (i ? "," : "") + std::string("m") + std::to_string(i + 1) + "=http://127.0.0.1:" + std::to_string(members[i]->port);
  for (size_t i = 0; i < members.size(); ++i) {
    BenchNode& m = *members[i];
    if (i > 0) fs::copy_file(authority_.dir + "/node.pem", m.dir + "/node.pem");
    std::ofstream(m.config) << Common(m) << "node.role = authority\nnode.name = Bench bureau\nnode.key_file = " << m.dir
                            << "/node.pem\nchain.origin = bench.example/group\ngroup.self = m" << i + 1
                            << "\ngroup.members = " << list << "\ngroup.etcd = " << endpoints << "\n";
    Launch(m);
  }
  // The leader takes the authority's place: the merchants register there.
  for (int tries = 0;; ++tries) {
    for (BenchNode* m : members) {
      std::string health;
      HttpStatus("127.0.0.1", m->port, "GET", "/healthz", "", "", &health);
      if (health.find("\"role\":\"leader\"") == std::string::npos) continue;
      if (m != &authority_) std::swap(*m, authority_);
      return;
    }
    if (tries > 100) throw std::runtime_error("no member of the authority group leads; see " + root_);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
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
