// Offline checks of what a node serves, against a signed head and the pinned authority
// key only: nothing from the node is trusted that the signature and the RFC 9162 algorithms
// do not prove. For `einvoice proof verify` and for anyone embedding it.
#pragma once

#include <string>

#include "app/chain/finality.h"
#include "ledger/keys.h"

namespace app {

struct ProofVerdict {
  bool ok = false;
  std::string message;  // what holds, or the first thing that does not
};

// `head_json`: GET /v1/chain/head. Its "header" (hex) is decoded and must carry the same
// tree size and root as the JSON fields, and "signature" must verify with `authority`.
// `proof_json`: GET /v1/proofs/inclusion ({leaf_index, tree_size, leaf_hash, proof}) for the
// head's tree size, or GET /v1/proofs/consistency ({first, second, proof}) from
// `old_head_json`'s tree size to the head's (then `old_head_json` is checked the same way).
ProofVerdict VerifyProof(const std::string& head_json, const std::string& proof_json, const ledger::PublicKeyBytes& authority,
                         const std::string& old_head_json = "");

// `bundle_json`: GET /v1/proofs/bundle/{no} ({format, invoice_no, leaf_index, leaf_hash,
// entry (base64 or null), tree_size, inclusion_proof, checkpoint}). The checkpoint must be
// signed by `authority` and cosigned by `policy.quorum` of its witnesses, cover the leaf, and
// the proof lead from the leaf to its root; an entry, when present, must hash to the leaf.
// `h`: the QR code's 16 hex digits, if the desk has them, must begin the leaf hash.
ProofVerdict VerifyBundle(const std::string& bundle_json, const ledger::PublicKeyBytes& authority,
                          const FinalityPolicy& policy, const std::string& h = "");

}  // namespace app
