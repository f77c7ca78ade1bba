// einvoice rebuild: a taxpayer node's invoice tables from its replica (node stopped).
#include <Poco/Util/PropertyFileConfiguration.h>

#include <iostream>

#include "app/cli/cli.h"
#include "app/node/config.h"
#include "app/cli/rebuild.h"

namespace app::cli {
namespace {

int Rebuild(const Args& a) {
  Poco::AutoPtr<Poco::Util::PropertyFileConfiguration> props(new Poco::Util::PropertyFileConfiguration(a.at("config")));
  NodeConfig cfg = ReadNodeConfig(*props);
  ledger::UseSuite(cfg.suite);
  if (cfg.role != Role::kTaxpayer) {
    std::cerr << "einvoice rebuild: only a taxpayer node rebuilds from its replica\n";
    return 2;
  }
  RebuildReport r = RebuildFromReplica(cfg.db_path, cfg.tax_id);
  std::cout << "rebuilt from the replica: " << r.invoices << " invoices, " << r.orders << " orders, " << r.payments
            << " payments, " << r.refunds << " refunds; number ranges are applied for afresh\n";
  return 0;
}

}  // namespace

void AddRebuildVerbs(std::vector<Verb>& verbs) {
  Verb v{"rebuild", "rebuild a taxpayer node's invoice tables from its replica of the chain (node stopped)",
         "--config NODE.properties", {}, Rebuild};
  v.options.addOption(Required("config", "FILE", "the node's properties (database, tax id)"));
  verbs.push_back(std::move(v));
}

}  // namespace app::cli
