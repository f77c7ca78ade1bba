// einvoice proof verify: checks a node's inclusion or consistency proof offline, against a
// signed head and the pinned authority key; or an invoice's proof bundle against the
// authority key and the network's witnesses.
#include <Poco/Util/OptionException.h>

#include <iostream>

#include "app/cli/cli.h"
#include "app/chain/proof_check.h"
#include "app/base/text_file.h"

namespace app::cli {
namespace {

int ProofVerify(const Args& a) {
  auto key = ledger::LoadPublicKeyFile(a.at("authority-key"));
  if (!key.ok()) {
    std::cerr << "einvoice proof verify: --authority-key: " << key.status().message() << "\n";
    return 2;
  }
  UseSuiteOfKey(*key);  // the pinned key names the network's suite
  ProofVerdict v;
  if (a.count("bundle")) {
    if (a.count("head") || a.count("proof")) throw Poco::Util::IncompatibleOptionsException("--bundle stands alone, without --head or --proof");
    FinalityPolicy policy;
    if (a.count("witnesses"))
      policy = ParseWitnessList(ReadTextFile(a.at("witnesses")), a.count("quorum") ? std::stoi(a.at("quorum")) : -1);
    v = VerifyBundle(ReadTextFile(a.at("bundle")), *key, policy, a.count("h") ? a.at("h") : "");
    if (v.ok && !a.count("witnesses")) v.message += " (no --witnesses: cosignatures not checked)";
  } else {
    if (!a.count("head") || !a.count("proof")) throw Poco::Util::MissingOptionException("give --head and --proof, or --bundle");
    std::string old = a.count("old-head") ? ReadTextFile(a.at("old-head")) : "";
    v = VerifyProof(ReadTextFile(a.at("head")), ReadTextFile(a.at("proof")), *key, old);
  }
  (v.ok ? std::cout : std::cerr) << (v.ok ? "OK: " : "FAILED: ") << v.message << "\n";
  return v.ok ? 0 : 1;
}

}  // namespace

void AddProofVerbs(std::vector<Verb>& verbs) {
  Verb v{"proof verify",
         "check a node's inclusion or consistency proof against a signed head, or an invoice's proof bundle against the "
         "witnesses, offline (exit 1 if it fails)",
         "--head HEAD.json --proof PROOF.json --authority-key AUTHORITY.pem [--old-head OLD.json] | "
         "--bundle BUNDLE.json --authority-key AUTHORITY.pem [--witnesses FILE [--quorum K]] [--h H]",
         {}, ProofVerify};
  v.options.addOption(Optional("head", "FILE", "the signed head, as GET /v1/chain/head serves it"));
  v.options.addOption(Optional("proof", "FILE", "GET /v1/proofs/inclusion or /v1/proofs/consistency, as served"));
  v.options.addOption(Optional("bundle", "FILE", "GET /v1/proofs/bundle/{invoice_no}?h=, as served"));
  v.options.addOption(Optional("witnesses", "FILE", "the network's witnesses' verifier keys, one a line (with --bundle)"));
  v.options.addOption(Optional("quorum", "K", "how many of them must have cosigned (default: all)"));
  v.options.addOption(Optional("h", "H", "the QR code's 16 hex digits: the bundle must be that invoice's"));
  v.options.addOption(Required("authority-key", "FILE", "the authority's public key (PEM), pinned, not taken from the node"));
  v.options.addOption(Optional("old-head", "FILE", "for a consistency proof: the older signed head"));
  verbs.push_back(std::move(v));
}

}  // namespace app::cli
