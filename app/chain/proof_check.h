// Offline checks of what a node serves, against a signed head and the pinned authority
// key only: nothing from the node is trusted that the signature and the RFC 9162 algorithms
// do not prove. For `einvoice proof verify` and for anyone embedding it.
#pragma once

#include <string>

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

}  // namespace app
