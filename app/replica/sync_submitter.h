// Submits one event from a taxpayer node to the authority and waits for its fate: the
// caller (an API request) gets its answer only once the entry is sealed or refused. A
// refusal becomes the ApiError the contract gives it (with the winning claim's block on a
// 409, and the differing figures of a refused filing); an unreachable authority is 503 with
// nothing changed. After sealing it waits briefly until this node's replica holds the block,
// so that what the caller reads next already shows it. Thread-safe.
#pragma once

#include <string>
#include <vector>

#include "app/replica/authority_client.h"
#include "app/replica/party_view.h"
#include "invoice/lifecycle.h"

namespace app {

struct SealedAt {
  uint64_t height = 0, leaf_index = 0;
  std::string leaf_hash;
};

class SyncSubmitter {
 public:
  SyncSubmitter(std::string tax_id, const ledger::PrivateKey& key, const PeerLink& authority,
                const NodeRequestSigner& signer, PartyView& view)
      : tax_id_(std::move(tax_id)), key_(key), client_(authority, signer), view_(view) {}
  SealedAt Submit(const invoice::Event& e);
  // The authority's public check JSON for an invoice (GET /v1/check/...); throws ApiError 503.
  Poco::JSON::Object::Ptr Check(const std::string& uri);
  const std::string& tax_id() const { return tax_id_; }

 private:
  std::string tax_id_;
  const ledger::PrivateKey& key_;
  AuthorityClient client_;
  PartyView& view_;
};

}  // namespace app
