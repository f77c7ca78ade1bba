// The network's finality policy (app/README.md, "Witnesses"): k of the listed witnesses. An
// invoice is final once a checkpoint covering its leaf carries the authority's signature and
// the cosignatures of at least k of them. The same check serves the replica (it applies
// blocks only up to what is final), `chain verify --export` and the proof bundle.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ledger/keys.h"
#include "ledger/status.h"
#include "ledger/tlog.h"

namespace app {

struct FinalityPolicy {
  std::vector<ledger::tlog::VerifierKey> witnesses;  // type 0x04 keys
  std::vector<std::string> urls;                     // where each answers (its node), if known
  int quorum = 0;                                    // k; 0: every sealed block is final
  bool enabled() const { return quorum > 0; }
};

// Reads a policy from verifier keys, one a line ("name+id+base64"; blank lines and lines
// starting with '#' skipped); quorum -1 means all of them. Throws std::invalid_argument
// naming the line at fault.
FinalityPolicy ParseWitnessList(std::string_view text, int quorum);

struct CosignedCheckpoint {
  ledger::tlog::Checkpoint checkpoint;
  std::vector<std::string> cosigners;  // the policy's witnesses whose cosignatures verify, in its order
};
// Checks a cosigned checkpoint: signed by `authority` under its origin, and cosigned by at
// least `policy.quorum` of the policy's witnesses (a listed witness's line that does not
// verify fails it). The error says what is missing.
ledger::Result<CosignedCheckpoint> CheckCosigned(std::string_view note, const ledger::PublicKeyBytes& authority,
                                                 const FinalityPolicy& policy);

// "final, cosigned by 2 of 3 (a, b)": for logs and the CLI.
std::string DescribeFinality(const CosignedCheckpoint& c, const FinalityPolicy& policy);

}  // namespace app
