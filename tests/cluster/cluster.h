// A cluster of real einvoiced processes on loopback, each with its own config, database
// and log in a temp folder: one authority and any number of taxpayer nodes. For the
// replication and fault tests.
#pragma once

#include <Poco/JSON/Parser.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <initializer_list>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include <atomic>

#include "../app/test_util.h"
#include "app/node/node_process.h"
#include "app/http/peer_link.h"
#include "app/merchant/payment_sim.h"
#include "app/http/tokens.h"
#include "invoice/event_codec.h"
#include "ledger/block_store.h"
#include "ledger/entry.h"
#include "ledger/keys.h"

extern char** environ;

namespace cluster {

inline const std::string kApiKey = "cluster-api-v3-key-0123456789abc";

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A value from a node's /metrics, e.g. Metric(port, "einvoice_invoices{status=\"sealed\"}");
// 0 when the node does not answer.
inline uint64_t Metric(uint16_t port, const std::string& name) {
  try {
    auto body = apptest::Http(port, "GET", "/metrics").body;
    std::smatch m;
    // At the start of a line: "# HELP <name> 1 when ..." is not the value.
    if (!std::regex_search(body, m, std::regex("(^|\n)" + std::regex_replace(name, std::regex(R"([{}"])"), R"(\$&)") + " (\\d+)")))
      return 0;
    return std::stoull(m[2].str());
  } catch (const std::exception&) {
    return 0;
  }
}

// Prints the end of each named node's log under `root` (for a failed test).
inline void PrintLogTails(const std::string& root, std::initializer_list<const char*> names) {
  for (const char* n : names) {
    std::string log = ReadFile(root + "/" + n + "/node.log");
    if (log.size() > 6000) log = log.substr(log.size() - 6000);
    std::printf("---- %s/node.log (tail)\n%s\n", n, log.c_str());
  }
}

// Polls `done` every 100 ms for up to `seconds`.
template <typename F>
bool WaitFor(F done, int seconds) {
  for (int i = 0; i < seconds * 10; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return done();
}

inline uint16_t FreePort() { return app::cli::FreeLoopbackPort(); }

inline const std::string kCompanyBuyer = "{\"name\":\"北京海淀科技有限公司\",\"tax_id\":\"91110108MA01G7GK9M\"}";
inline const std::string kPersonBuyer = "{\"name\":\"张三\"}";

struct IssuedInvoice {
  std::string number, payment_id;
};

// Every issue entry on the chain in `db` (the authority's: it holds them all), in order.
inline std::vector<IssuedInvoice> IssuedOnChain(const std::string& db) {
  auto store = ledger::BlockStore::OpenExisting(db).value();
  auto leaves = store->Leaves(0, store->Head()->header.tree_size).value();
  std::vector<IssuedInvoice> out;
  for (const auto& l : leaves) {
    auto e = ledger::Entry::Decode(*l.entry);
    if (!e.ok() || e->kind != "issue") continue;
    auto event = invoice::DecodeEvent("issue", std::string(e->payload.begin(), e->payload.end()));
    const invoice::Invoice& inv = std::get<invoice::IssueEvent>(std::get<invoice::Event>(event)).invoice;
    out.push_back({inv.invoice_no, inv.payment_id});
  }
  return out;
}

// The reimburse entries on the chain in `db` (an authority's: it holds them all), counted per
// invoice number: claims, and settlements (with releases).
struct Reimbursements {
  std::map<std::string, int> claims, settles;
};
inline Reimbursements ReimbursementsOnChain(const std::string& db) {
  auto store = ledger::BlockStore::OpenExisting(db).value();
  auto leaves = store->Leaves(0, store->Head()->header.tree_size).value();
  Reimbursements out;
  for (const auto& l : leaves) {
    auto e = ledger::Entry::Decode(*l.entry);
    if (e->kind != "reimburse") continue;
    auto ev = invoice::DecodeEvent("reimburse", std::string(e->payload.begin(), e->payload.end()));
    const auto& r = std::get<invoice::ReimburseEvent>(std::get<invoice::Event>(ev));
    (r.action == invoice::ReimburseAction::kClaim ? out.claims : out.settles)[r.invoice_no]++;
  }
  return out;
}

struct ProcessNode {
  std::string name, tax_id, dir, config, db, key_file;
  uint16_t port = 0;
  pid_t pid = -1;
  std::string token;  // merchant token (merchants) or admin token (authority)
  bool tls = false;
  std::string Url() const { return (tls ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(port); }
};

using apptest::MakeTestPki;
using apptest::TestPki;

// Creates `count` orders on `merchant` (order ids "<name>-<i>") for `buyer_json` and pays
// each with a signed WeChat notification.
inline void Pay(ProcessNode& merchant, int first, int count, std::atomic<int>* acknowledged,
                const std::string& buyer_json) {
  app::payment::WechatSimKeys keys{"1900000109", "SERIAL1",
                                   ReadFile(std::string(EINVOICE_SOURCE_DIR) + "/fixtures/keys/wechatpay_platform.pem"),
                                   kApiKey};
  for (int i = first; i < first + count; ++i) {
    std::string id = merchant.name + "-" + std::to_string(i);
    int64_t gross = 100 + i % 9900;
    auto o = apptest::Http(merchant.port, "POST", "/v1/orders",
                           "{\"order_id\":\"" + id + "\",\"items\":[{\"name\":\"item\",\"quantity\":\"1\",\"unit_price_fen\":" +
                               std::to_string(gross) + ",\"gross_fen\":" + std::to_string(gross) +
                               ",\"tax_rate\":\"0.13\"}],\"buyer\":" + buyer_json + "}",
                           {{"Authorization", "Bearer " + merchant.token}});
    ASSERT_EQ(o.status, 201) << o.body;
    auto n = app::payment::WechatTransaction(keys, id, "T" + id, gross, time(nullptr));
    auto r = apptest::Http(merchant.port, "POST", "/v1/callbacks/wechatpay", n.body, n.headers);
    ASSERT_EQ(r.status, 204) << r.body;
    ++*acknowledged;
  }
}

// Pays orders <prefix><first>..<prefix><first+count-1> as a payment provider would: every
// request is retried until it is answered (the node may be down); returns the acknowledged
// payment ids ("T" + order id).
inline std::set<std::string> PayWithRetries(ProcessNode& m, int first, int count, const std::string& prefix = "F-") {
  app::payment::WechatSimKeys keys{"1900000109", "SERIAL1",
                                   ReadFile(std::string(EINVOICE_SOURCE_DIR) + "/fixtures/keys/wechatpay_platform.pem"),
                                   kApiKey};
  std::set<std::string> acked;
  for (int i = first; i < first + count; ++i) {
    std::string id = prefix + std::to_string(i);
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

// Every acknowledged payment is in exactly one issue entry of the chain in `authority_db`;
// invoice numbers are unique.
inline void ExpectExactlyOnce(const std::string& authority_db, const std::set<std::string>& acked) {
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

class Cluster {
 public:
  explicit Cluster(const std::string& root) : root_(root) {}
  ~Cluster() {
    for (auto& [name, n] : nodes_) Kill(name, SIGKILL);
    if (pki_) apptest::ClientTls() = nullptr;
  }

  // Every node started from here on serves HTTPS only, with a certificate of the test CA,
  // and verifies its peers against that CA; the test's own requests do too.
  const TestPki& UseTls() {
    pki_ = MakeTestPki(root_);
    apptest::ClientTls() = app::TlsClientContext(pki_->ca);
    return *pki_;
  }

  // `extra`: more lines for its properties file. Another `name`: a second authority process
  // (an impostor) with the first one's key and a history of its own.
  ProcessNode& StartAuthority(const std::string& extra = "", const std::string& name = "authority") {
    ProcessNode& a = nodes_.count(name) ? nodes_.at(name) : Prepare(name, "");  // Reserve()d, or new
    if (name != "authority")
      std::filesystem::copy_file(nodes_.at("authority").key_file, a.key_file, std::filesystem::copy_options::overwrite_existing);
    std::ofstream(a.config) << "node.role = authority\nnode.name = Test bureau\nnode.listen = 127.0.0.1:" << a.port
                            << "\nnode.data_dir = " << a.dir << "\nnode.key_file = " << a.key_file << "\n"
                            << SuiteLine() << TlsLines("") << extra;
    Launch(a);
    a.token = app::TokenStore::Open(a.db)->Create(app::TokenRole::kAdmin, "", "test", 0);
    if (name == "authority")
      std::ofstream(root_ + "/authority.pub.pem") << ledger::PrivateKey::LoadPemFile(a.key_file)->PublicPem();
    return a;
  }

  // A taxpayer node, registered at the authority. Merchants get payment settings and a token.
  // Taxpayer nodes started from here on reach the authority at `url` (its proxy), verifying
  // it against `ca_file`, and leave limits per client address to the proxy.
  void ReachAuthorityThrough(const std::string& url, const std::string& ca_file) {
    authority_url_ = url;
    proxy_ca_file_ = ca_file;
  }

  // `ca_file`: the CA it verifies the authority with (default: the test CA, with UseTls);
  // `extra`: more lines for its properties file.
  ProcessNode& StartTaxpayer(const std::string& name, const std::string& tax_id, const std::string& region,
                             const std::string& api_v3_key, uint64_t range_size = 100000, const std::string& ca_file = "",
                             const std::string& extra = "") {
    ProcessNode& n = Prepare(name, tax_id);
    std::string authority_url = authority_url_.empty() ? nodes_.at("authority").Url() : authority_url_;
    if (!group_.empty()) {
      authority_url.clear();
      for (const auto& m : group_) authority_url += (authority_url.empty() ? "" : ",") + nodes_.at(m).Url();
    }
    const ProcessNode& a = nodes_.at(group_.empty() ? std::string("authority") : group_leader_());
    std::ofstream(n.config) << "node.role = taxpayer\nnode.name = " << name << "\nnode.tax_id = " << tax_id
                            << "\nnode.listen = 127.0.0.1:" << n.port << "\nnode.data_dir = " << n.dir
                            << "\nnode.key_file = " << n.key_file << "\nnode.region_code = " << region
                            << "\nauthority.url = " << authority_url
                            << "\nauthority.public_key_file = " << root_
                            << "/authority.pub.pem\ninvoice.range_size = " << range_size
                            << "\npayment.wechatpay.mchid = 1900000109\npayment.wechatpay.platform_serial = SERIAL1"
                            << "\npayment.wechatpay.platform_public_key_file = " << EINVOICE_SOURCE_DIR
                            << "/fixtures/keys/wechatpay_platform.pub.pem\npayment.wechatpay.api_v3_key = " << api_v3_key
                            << "\n" << SuiteLine() << TlsLines(ca_file) << extra;
    if (!authority_url_.empty())
      std::ofstream(n.config, std::ios::app) << "tls.ca_file = " << proxy_ca_file_ << "\nhttp.max_connections_per_peer = 0\n";
    auto key = ledger::PrivateKey::Generate();
    std::ofstream(n.key_file) << key->ToPem();
    auto r = apptest::Http(a.port, "POST", "/v1/taxpayers",
                           "{\"tax_id\":\"" + tax_id + "\",\"name\":\"" + name + "\",\"node_public_key\":\"" +
                               ledger::ToHex(key->public_key()) + "\"}",
                           {{"Authorization", "Bearer " + a.token}});
    if (r.status != 201) throw std::runtime_error("registering " + name + ": " + r.body);
    Launch(n);
    n.token = app::TokenStore::Open(n.db)->Create(app::TokenRole::kMerchant, tax_id, "test", 0);
    return n;
  }

  ProcessNode& node(const std::string& name) { return nodes_.at(name); }
  // A node's folder and port, before it is started (the members of an authority group list
  // each other's URLs).
  uint16_t Reserve(const std::string& name) { return Prepare(name, "").port; }
  // Taxpayer nodes started from here on list these authority members' URLs (an authority
  // group) and are registered through its leader, as `leader()` names it.
  void UseAuthorityGroup(std::vector<std::string> members, std::function<std::string()> leader) {
    group_ = std::move(members);
    group_leader_ = std::move(leader);
  }

  void Kill(const std::string& name, int sig) {
    ProcessNode& n = nodes_.at(name);
    if (n.pid <= 0) return;
    kill(n.pid, sig);
    int status;
    waitpid(n.pid, &status, 0);
    n.pid = -1;
  }
  void Restart(const std::string& name) { Launch(nodes_.at(name)); }
  // More lines for a node's properties file (read at its next start).
  void AppendConfig(const std::string& name, const std::string& lines) {
    std::ofstream(nodes_.at(name).config, std::ios::app) << lines;
  }

 private:
  // Every process of the network on the tests' suite (tests/suite_main.cc).
  static std::string SuiteLine() { return "chain.suite = " + std::string(ledger::SuiteName(ledger::ActiveSuite())) + "\n"; }

  ProcessNode& Prepare(const std::string& name, const std::string& tax_id) {
    ProcessNode n;
    n.name = name;
    n.tax_id = tax_id;
    n.dir = root_ + "/" + name;
    std::filesystem::create_directories(n.dir);
    n.config = n.dir + "/node.properties";
    n.db = n.dir + "/node.db";
    n.key_file = n.dir + "/node.pem";
    n.port = FreePort();
    n.tls = pki_.has_value();
    return nodes_[name] = n;
  }
  std::string TlsLines(const std::string& ca_file) const {
    if (!pki_) return "";
    return "tls.cert_file = " + pki_->cert + "\ntls.key_file = " + pki_->key + "\ntls.ca_file = " +
           (ca_file.empty() ? pki_->ca : ca_file) + "\n";
  }

  void Launch(ProcessNode& n) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    std::string log = n.dir + "/node.log";
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    std::string bin = EINVOICE_NODE;
    std::vector<std::string> args = {bin, "--config", n.config};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&n.pid, bin.c_str(), &fa, nullptr, argv.data(), environ) != 0)
      throw std::runtime_error("cannot start einvoiced");
    posix_spawn_file_actions_destroy(&fa);
    for (int i = 0; i < 200; ++i) {
      try {
        if (apptest::Http(n.port, "GET", "/healthz").status == 200) return;
      } catch (const std::exception&) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    throw std::runtime_error(n.name + " did not start; see " + log);
  }

  std::string root_;
  std::map<std::string, ProcessNode> nodes_;
  std::optional<TestPki> pki_;
  std::string authority_url_, proxy_ca_file_;
  std::vector<std::string> group_;
  std::function<std::string()> group_leader_;
};

}  // namespace cluster
