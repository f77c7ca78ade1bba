#include "app/cli/cli.h"

#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/OptionException.h>
#include <Poco/Util/OptionProcessor.h>

#include <filesystem>
#include <iostream>

#include "ledger/block_store.h"

namespace app::cli {

Poco::Util::Option Required(const std::string& name, const std::string& arg, const std::string& desc) {
  return Poco::Util::Option(name, "", desc, true).argument(arg).repeatable(false);
}
Poco::Util::Option Optional(const std::string& name, const std::string& arg, const std::string& desc) {
  return Poco::Util::Option(name, "", desc, false).argument(arg).repeatable(false);
}
Poco::Util::Option Flag(const std::string& name, const std::string& desc) {
  return Poco::Util::Option(name, "", desc, false).repeatable(false);
}

Poco::Util::Option SuiteOption(const std::string& what) {
  return Optional("suite", "SUITE", what + ": ed25519-sha256 (default) or sm2-sm3 (ledger/README.md, Suites)");
}

ledger::Suite SuiteArg(const Args& a) {
  if (!a.count("suite")) return ledger::kDefaultSuite;
  std::optional<ledger::Suite> s = ledger::ParseSuite(a.at("suite"));
  if (!s) throw Poco::Util::InvalidArgumentException("--suite must be ed25519-sha256 or sm2-sm3, not '" + a.at("suite") + "'");
  return *s;
}

void UseSuiteOfStore(const std::string& db_path) {
  if (!std::filesystem::exists(db_path)) return;  // the verb says so itself
  auto suite = ledger::BlockStore::SuiteOf(db_path);
  if (suite.ok()) ledger::UseSuite(*suite);
}

void UseSuiteOfKey(const ledger::PublicKeyBytes& authority_key) {
  if (auto suite = ledger::SuiteOfKey(authority_key)) ledger::UseSuite(*suite);
}

std::vector<Verb> OperatorVerbs() {
  std::vector<Verb> verbs;
  AddKeyVerbs(verbs);
  AddChainVerbs(verbs);
  AddTokenVerbs(verbs);
  AddPaymentVerbs(verbs);
  AddDemoVerbs(verbs);
  AddRebuildVerbs(verbs);
  AddProofVerbs(verbs);
  AddAuditVerbs(verbs);
  return verbs;
}

namespace {

void PrintOverview(std::ostream& out, const std::vector<Verb>& verbs) {
  out << "usage: einvoice VERB [OPTIONS]\n\n"
         "The operator CLI of the blockchain e-invoice platform.\n\nVerbs:\n";
  for (const Verb& v : verbs) out << "  " << v.name << std::string(v.name.size() < 18 ? 18 - v.name.size() : 1, ' ')
                                  << v.summary << "\n";
  out << "\n`einvoice VERB --help` describes a verb's options.\n";
}

void PrintVerbHelp(std::ostream& out, const Verb& v) {
  Poco::Util::HelpFormatter f(v.options);
  f.setUnixStyle(true);
  f.setCommand("einvoice " + v.name);
  f.setUsage(v.usage);
  f.setHeader(v.summary);
  f.format(out);
}

}  // namespace

int Main(int argc, char** argv, std::vector<Verb> verbs) {
  for (Verb& v : verbs) v.options.addOption(Flag("help", "print this verb's help"));
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    PrintOverview(std::cout, verbs);
    return args.empty() ? 2 : 0;
  }
  // The longest verb name that prefixes the arguments ("chain verify" before "chain").
  const Verb* verb = nullptr;
  size_t words = 0;
  for (const Verb& v : verbs) {
    std::vector<std::string> parts;
    for (size_t s = 0, e; s <= v.name.size(); s = e + 1) {
      e = v.name.find(' ', s);
      if (e == std::string::npos) e = v.name.size();
      parts.push_back(v.name.substr(s, e - s));
    }
    if (parts.size() > args.size() || parts.size() <= words) continue;
    if (std::equal(parts.begin(), parts.end(), args.begin())) {
      verb = &v;
      words = parts.size();
    }
  }
  if (verb == nullptr) {
    // A group name alone ("chain", "chain --help") lists its verbs.
    bool group = false;
    for (const Verb& v : verbs)
      if (v.name.rfind(args[0] + " ", 0) == 0) {
        if (!group) std::cout << "einvoice " << args[0] << " verbs:\n";
        group = true;
        std::cout << "  " << v.name << "  " << v.summary << "\n";
      }
    if (group) return (args.size() > 1 && (args[1] == "--help" || args[1] == "-h")) ? 0 : 2;
    std::cerr << "einvoice: unknown verb '" << args[0] << "' (see einvoice --help)\n";
    return 2;
  }
  Args parsed;
  try {
    Poco::Util::OptionProcessor proc(verb->options);
    proc.setUnixStyle(true);
    for (size_t i = words; i < args.size(); ++i) {
      std::string name, value;
      if (args[i] == "-h") { parsed["help"] = ""; continue; }
      if (!proc.process(args[i], name, value)) {
        std::cerr << "einvoice " << verb->name << ": unexpected argument '" << args[i] << "'\n";
        return 2;
      }
      if (!name.empty()) parsed[name] = value;
    }
    if (parsed.count("help")) {
      PrintVerbHelp(std::cout, *verb);
      return 0;
    }
    proc.checkRequired();
  } catch (const Poco::Util::OptionException& e) {
    std::cerr << "einvoice " << verb->name << ": " << e.displayText() << " (see einvoice " << verb->name
              << " --help)\n";
    return 2;
  }
  try {
    return verb->run(parsed);
  } catch (const Poco::Util::OptionException& e) {  // options that do not go together
    std::cerr << "einvoice " << verb->name << ": " << e.displayText() << " (see einvoice " << verb->name << " --help)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "einvoice " << verb->name << ": " << e.what() << "\n";
    return 3;
  }
}

}  // namespace app::cli
