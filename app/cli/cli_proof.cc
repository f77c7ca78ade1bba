// einvoice proof verify: checks a node's inclusion or consistency proof offline, against a
// signed head and the pinned authority key.
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
  std::string old = a.count("old-head") ? ReadTextFile(a.at("old-head")) : "";
  ProofVerdict v = VerifyProof(ReadTextFile(a.at("head")), ReadTextFile(a.at("proof")), *key, old);
  (v.ok ? std::cout : std::cerr) << (v.ok ? "OK: " : "FAILED: ") << v.message << "\n";
  return v.ok ? 0 : 1;
}

}  // namespace

void AddProofVerbs(std::vector<Verb>& verbs) {
  Verb v{"proof verify", "check a node's inclusion or consistency proof offline against a signed head (exit 1 if it fails)",
         "--head HEAD.json --proof PROOF.json --authority-key AUTHORITY.pem [--old-head OLD.json]", {}, ProofVerify};
  v.options.addOption(Required("head", "FILE", "the signed head, as GET /v1/chain/head serves it"));
  v.options.addOption(Required("proof", "FILE", "GET /v1/proofs/inclusion or /v1/proofs/consistency, as served"));
  v.options.addOption(Required("authority-key", "FILE", "the authority's public key (PEM), pinned, not taken from the node"));
  v.options.addOption(Optional("old-head", "FILE", "for a consistency proof: the older signed head"));
  verbs.push_back(std::move(v));
}

}  // namespace app::cli
