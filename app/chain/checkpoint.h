// The authority's checkpoints (c2sp.org/tlog-checkpoint): each head of the chain as a signed
// note "<origin>\n<tree size>\n<base64 root>\n", signed with the authority's Ed25519 key under
// the origin's name (ledger/tlog.h), served at GET /checkpoint. The block headers stay as
// they are; a checkpoint says the same (size and root) in the format every tlog client reads.
// Thread-safe.
#pragma once

#include <string>

#include "app/base/mutex.h"

#include "ledger/block.h"
#include "ledger/keys.h"

namespace app {

class Checkpointer {
 public:
  // `origin`: chain.origin, a valid note key name (ledger::tlog::ValidKeyName).
  Checkpointer(std::string origin, const ledger::PrivateKey& key);

  const std::string& origin() const { return origin_; }
  // The verifier key a tlog client is configured with: "<origin>+<key ID>+<key>".
  std::string VerifierKey() const;
  // The signed checkpoint of `head`; the newest one is kept.
  std::string Signed(const ledger::SignedHeader& head) EXCLUDES(mu_);

 private:
  const std::string origin_;
  const ledger::PrivateKey& key_;
  Mutex mu_;
  uint64_t cached_size_ GUARDED_BY(mu_) = UINT64_MAX;
  std::string cached_ GUARDED_BY(mu_);
};

// chain.origin's default: node.public_url without its scheme and trailing slash
// ("https://tax.example/chain/" -> "tax.example/chain").
std::string DefaultOrigin(const std::string& public_url);

}  // namespace app
