// einvoice token create: a bearer token for a node, printed once; or one made on another
// node installed here (--value-file).
#include <filesystem>
#include <fstream>
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
  std::string value;
  if (a.count("value-file")) {
    std::ifstream in(a.at("value-file"));
    if (!in || !std::getline(in, value) || value.empty()) {
      std::cerr << "einvoice token create: --value-file " << a.at("value-file") << " cannot be read or is empty\n";
      return 2;
    }
    while (!value.empty() && (value.back() == '\r' || value.back() == ' ')) value.pop_back();
  }
  try {
    std::string token = store->Create(*role, tax_id, name, SystemClockMs(), value);
    if (value.empty()) std::cout << token << "\n";  // an installed token is not printed again
  } catch (const std::invalid_argument& e) {
    std::cerr << "einvoice token create: " << e.what() << "\n";
    return 2;
  }
  return 0;
}

}  // namespace

void AddTokenVerbs(std::vector<Verb>& verbs) {
  Verb v{"token create", "create a bearer token (printed once; the node stores only its hash)",
         "--node-db PATH --role ROLE [--tax-id ID] [--name N] [--value-file FILE]", {}, Create};
  v.options.addOption(Required("node-db", "PATH", "the node's database file"));
  v.options.addOption(Required("role", "ROLE", "admin, merchant, employee, finance or auditor"));
  v.options.addOption(Optional("tax-id", "ID", "the taxpayer the token acts for (merchant, employee, finance)"));
  v.options.addOption(Optional("name", "N", "the employee's name, or a label"));
  v.options.addOption(Optional("value-file", "FILE",
                               "install the token in FILE (made by token create on another member of an authority "
                               "group) instead of a new one; nothing is printed"));
  verbs.push_back(std::move(v));
}

}  // namespace app::cli
