// einvoice demo: the demo network of `make run`. Starts the authority, merchant and company
// nodes from fixtures/demo as separate einvoiced processes, registers the two taxpayers,
// creates the demo tokens (var/demo/tokens.json), prints the URLs, and runs until Ctrl-C.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Util/OptionException.h>
#include <Poco/Util/PropertyFileConfiguration.h>
#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "app/cli/cli.h"
#include "app/base/text_file.h"
#include "app/node/config.h"
#include "app/node/node.h"
#include "app/node/node_process.h"
#include "app/http/tokens.h"

namespace app::cli {
namespace {

namespace fs = std::filesystem;
using Poco::JSON::Object;

struct DemoNode {
  std::string name;
  std::string config_file;
  NodeConfig cfg;
  pid_t pid = -1;
};

void StopAll(std::vector<DemoNode>& nodes) {
  std::vector<pid_t*> pids;
  for (auto& n : nodes) pids.push_back(&n.pid);
  StopNodes(pids);
}

int Demo(const Args& a) {
  // --suite sm2-sm3: the same network with SM2 keys and SM3 hashes, in its own data folder.
  const ledger::Suite suite = SuiteArg(a);
  const bool sm2 = suite == ledger::Suite::kSm2Sm3;
  std::string dir = a.count("fixtures") ? a.at("fixtures") : sm2 ? "fixtures/demo-sm2" : "fixtures/demo";
  std::string var = a.count("data") ? a.at("data") : sm2 ? "var/demo-sm2" : "var/demo";
  ledger::UseSuite(suite);
  std::vector<DemoNode> nodes = {{"authority", dir + "/authority.properties", {}, -1},
                                 {"merchant", dir + "/merchant.properties", {}, -1},
                                 {"company", dir + "/company.properties", {}, -1}};
  for (auto& n : nodes) {
    Poco::AutoPtr<Poco::Util::PropertyFileConfiguration> props(new Poco::Util::PropertyFileConfiguration(n.config_file));
    n.cfg = ReadNodeConfig(*props);
    if (n.cfg.suite != suite)
      throw Poco::Util::InvalidArgumentException(n.config_file + " has chain.suite = " + std::string(ledger::SuiteName(n.cfg.suite)) +
                                                 ", not the --suite " + std::string(ledger::SuiteName(suite)));
    fs::create_directories(n.cfg.data_dir);
  }
  fs::create_directories(var);
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  sigprocmask(SIG_BLOCK, &stop, nullptr);

  std::string binary = NodeBinary();
  for (auto& n : nodes) {
    n.pid = SpawnNode(binary, n.config_file, n.cfg.data_dir + "/node.log");
    if (!WaitHealthy(n.cfg.listen_host, static_cast<uint16_t>(n.cfg.listen_port), 10)) {
      std::cerr << "einvoice demo: the " << n.name << " node did not start; see " << n.cfg.data_dir << "/node.log\n";
      StopAll(nodes);
      return 3;
    }
  }

  // Tokens: created once, kept in tokens.json while the demo data lives.
  std::string tokens_file = var + "/tokens.json";
  Object::Ptr tokens;
  if (fs::exists(tokens_file)) {
    tokens = Poco::JSON::Parser().parse(ReadTextFile(tokens_file)).extract<Object::Ptr>();
  } else {
    auto create = [](const NodeConfig& c, TokenRole role, const std::string& tax_id, const std::string& name) {
      return TokenStore::Open(c.db_path)->Create(role, tax_id, name, SystemClockMs());
    };
    const NodeConfig &auth = nodes[0].cfg, &mer = nodes[1].cfg, &com = nodes[2].cfg;
    tokens = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    Object::Ptr t1 = new Object(Poco::JSON_PRESERVE_KEY_ORDER), t2 = new Object(Poco::JSON_PRESERVE_KEY_ORDER),
                t3 = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    t1->set("admin", create(auth, TokenRole::kAdmin, "", "demo admin"));
    t1->set("auditor", create(auth, TokenRole::kAuditor, "", "demo auditor"));
    t2->set("admin", create(mer, TokenRole::kAdmin, "", "demo admin"));
    t2->set("merchant", create(mer, TokenRole::kMerchant, mer.tax_id, "demo till"));
    t3->set("admin", create(com, TokenRole::kAdmin, "", "demo admin"));
    t3->set("employee", create(com, TokenRole::kEmployee, com.tax_id, "李四"));
    t3->set("finance", create(com, TokenRole::kFinance, com.tax_id, "finance office"));
    tokens->set("authority", t1);
    tokens->set("merchant", t2);
    tokens->set("company", t3);
    std::ofstream out(tokens_file);
    tokens->stringify(out, 2);
  }
  // Register the taxpayers (again is fine: 409 already_registered).
  std::string admin = tokens->getObject("authority")->getValue<std::string>("admin");
  for (size_t i = 1; i < nodes.size(); ++i) {
    auto key = ledger::PrivateKey::LoadPemFile(nodes[i].cfg.key_file);
    if (!key.ok()) throw std::runtime_error(key.status().message());
    std::string body = "{\"tax_id\":\"" + nodes[i].cfg.tax_id + "\",\"name\":\"" + nodes[i].cfg.name +
                       "\",\"node_public_key\":\"" + ledger::ToHex(key->public_key()) + "\"}";
    std::string answer;
    int st = HttpStatus(nodes[0].cfg.listen_host, nodes[0].cfg.listen_port, "POST", "/v1/taxpayers", body, admin, &answer);
    if (st != 201 && st != 409) {
      std::cerr << "einvoice demo: registering " << nodes[i].name << " failed (" << st << "): " << answer << "\n";
      StopAll(nodes);
      return 3;
    }
  }
  std::cout << "\nThe demo network is running (Ctrl-C stops it):\n";
  for (const auto& n : nodes)
    std::cout << "  " << n.name << std::string(10 - n.name.size(), ' ') << n.cfg.public_url << "/   (log: " << n.cfg.data_dir
              << "/node.log)\n";
  std::cout << "\nCheckout simulator: " << nodes[1].cfg.public_url << "/\nDemo tokens (also in " << tokens_file << "):\n";
  tokens->stringify(std::cout, 2);
  std::cout << "\n" << std::endl;

  // Until Ctrl-C, or until a node dies.
  while (true) {
    timespec tick{0, 200 * 1000 * 1000};
    int sig = sigtimedwait(&stop, nullptr, &tick);
    if (sig == SIGINT || sig == SIGTERM) break;
    for (auto& n : nodes) {
      int status;
      if (waitpid(n.pid, &status, WNOHANG) == n.pid) {
        n.pid = -1;
        std::cerr << "einvoice demo: the " << n.name << " node exited; see " << n.cfg.data_dir << "/node.log\n";
        StopAll(nodes);
        return 1;
      }
    }
  }
  std::cout << "stopping the demo network..." << std::endl;
  StopAll(nodes);
  return 0;
}

}  // namespace

void AddDemoVerbs(std::vector<Verb>& verbs) {
  Verb v{"demo", "run the 3-node demo network of `make run` until Ctrl-C", "[--suite SUITE] [--fixtures DIR] [--data DIR]", {},
         Demo};
  v.options.addOption(SuiteOption("the network's suite (sm2-sm3: fixtures/demo-sm2, var/demo-sm2)"));
  v.options.addOption(Optional("fixtures", "DIR", "the demo's properties files (default fixtures/demo)"));
  v.options.addOption(Optional("data", "DIR", "where tokens.json goes (default var/demo)"));
  verbs.push_back(std::move(v));
}

}  // namespace app::cli
