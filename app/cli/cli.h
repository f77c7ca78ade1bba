// The operator CLI's verbs. Each verb declares its options (Poco OptionSet) and a run
// function; `einvoice VERB --help` prints them. Exit codes: 0 ok, 1 the check failed,
// 2 usage error, 3 the operation could not be done (I/O, bad file).
#pragma once

#include <Poco/Util/OptionSet.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "ledger/keys.h"

namespace app::cli {

using Args = std::map<std::string, std::string>;  // option name -> value ("" for flags)

struct Verb {
  std::string name;     // e.g. "chain verify"
  std::string summary;
  std::string usage;
  Poco::Util::OptionSet options;
  std::function<int(const Args&)> run;
};

// The operator's verbs (keys, chain, tokens, payments, demo, rebuild, proof, audit).
std::vector<Verb> OperatorVerbs();
// Runs the verb argv names among `verbs` (each gets --help).
int Main(int argc, char** argv, std::vector<Verb> verbs);

// Verb groups, each in its own file.
void AddKeyVerbs(std::vector<Verb>& verbs);
void AddChainVerbs(std::vector<Verb>& verbs);
void AddTokenVerbs(std::vector<Verb>& verbs);
void AddPaymentVerbs(std::vector<Verb>& verbs);
void AddDemoVerbs(std::vector<Verb>& verbs);
void AddRebuildVerbs(std::vector<Verb>& verbs);
void AddProofVerbs(std::vector<Verb>& verbs);
void AddAuditVerbs(std::vector<Verb>& verbs);
// The benchmarks are app/bench/cli_bench.h's, added by einvoice's main.

// Helpers for verbs.
Poco::Util::Option Required(const std::string& name, const std::string& arg, const std::string& desc);
Poco::Util::Option Optional(const std::string& name, const std::string& arg, const std::string& desc);
Poco::Util::Option Flag(const std::string& name, const std::string& desc);
// --suite SUITE (ed25519-sha256 or sm2-sm3) for verbs that make a new chain or key.
Poco::Util::Option SuiteOption(const std::string& what);
// The suite --suite names (default ed25519-sha256); a bad name is a usage error (exit 2).
ledger::Suite SuiteArg(const Args& a);
// The CLI works on one chain per run: these make the process's suite that of the chain it
// reads (ledger/suite.h), before anything of it is hashed or verified.
void UseSuiteOfStore(const std::string& db_path);  // by the store's authority key
void UseSuiteOfKey(const ledger::PublicKeyBytes& authority_key);

}  // namespace app::cli
