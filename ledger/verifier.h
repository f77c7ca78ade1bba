// Verifies a stored chain from scratch, apart from the code that wrote it: walks every
// block in height order, checks its signature and link, recomputes every held entry's leaf
// hash, rebuilds the tree and compares every stored subtree hash and every block's root,
// and names the first item that is wrong. Opens its own read-only connection.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "ledger/keys.h"
#include "ledger/status.h"

namespace ledger {

struct VerifyOptions {
  // The key that must have signed every block; default: the key the store was created with.
  std::optional<PublicKeyBytes> authority_key;
  // Also check every held entry's submitter signature (about 10k entries/s per core).
  bool entry_signatures = false;
  // Also add up every key in chain_leaf_key (ledger/leaf_keys.h) against the leaves, which
  // finds a changed key as well as a lost or added one (without it, only the number of keys
  // is checked): about 1.5 s more at 10M entries.
  bool leaf_key_sums = false;
  // Called now and then with (leaves checked, leaves in total).
  std::function<void(uint64_t, uint64_t)> progress;
};

struct VerifyReport {
  bool ok = false;
  uint64_t blocks = 0;         // blocks checked
  uint64_t entries = 0;        // leaves checked
  uint64_t entries_held = 0;   // of which the full entry is stored and was rehashed
  uint64_t height = 0;         // height of the last good block
  std::string bad_item;        // e.g. "block 12", "entry 345", "tree node level 3 index 17"
  std::string problem;         // what is wrong with it
  PublicKeyBytes authority_key{};
  double seconds = 0;
};

// Fails (Status) only when the file cannot be read as a chain at all; a readable chain
// with a bad item gives a report with ok == false.
Result<VerifyReport> VerifyChain(const std::string& db_path, const VerifyOptions& options);

}  // namespace ledger
