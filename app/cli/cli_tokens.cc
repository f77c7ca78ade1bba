// einvoice token create: a bearer token for a node, printed once.
#include <filesystem>
#include <iostream>

#include "app/cli/cli.h"
#include "app/node/node.h"
#include "app/http/tokens.h"

namespace app::cli {
namespace {

int Create(const Args& a) {
  auto role = ParseTokenRole(a.at("role"));
  if (!role) {
    std::cerr << "einvoice token create: --role is one of admin, merchant, employee, finance, auditor\n";
    return 2;
  }
  const std::string& db = a.at("node-db");
  if (!std::filesystem::exists(db)) {
    std::cerr << "einvoice token create: " << db << " does not exist (start the node once first)\n";
    return 3;
  }
  auto store = TokenStore::Open(db);
  std::string tax_id = a.count("tax-id") ? a.at("tax-id") : "";
  std::string name = a.count("name") ? a.at("name") : "";
  try {
    std::cout << store->Create(*role, tax_id, name, SystemClockMs()) << "\n";
  } catch (const std::invalid_argument& e) {
    std::cerr << "einvoice token create: " << e.what() << "\n";
    return 2;
  }
  return 0;
}

}  // namespace

void AddTokenVerbs(std::vector<Verb>& verbs) {
  Verb v{"token create", "create a bearer token (printed once; the node stores only its hash)",
         "--node-db PATH --role ROLE [--tax-id ID] [--name N]", {}, Create};
  v.options.addOption(Required("node-db", "PATH", "the node's database file"));
  v.options.addOption(Required("role", "ROLE", "admin, merchant, employee, finance or auditor"));
  v.options.addOption(Optional("tax-id", "ID", "the taxpayer the token acts for (merchant, employee, finance)"));
  v.options.addOption(Optional("name", "N", "the employee's name, or a label"));
  verbs.push_back(std::move(v));
}

}  // namespace app::cli
