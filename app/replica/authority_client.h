// A taxpayer node's link to the authority: submits entries to POST /v1/events as a signed
// node request (app/chain/node_request.h) and reads back each entry's outcome, typed
// (app/chain/entry_outcome.h). A network failure or a non-200 answer throws; the caller keeps
// its entries and retries.
#pragma once

#include <Poco/JSON/Object.h>

#include <string>
#include <vector>

#include "app/chain/entry_outcome.h"
#include "app/chain/node_request.h"
#include "app/http/peer_link.h"
#include "ledger/hash.h"

namespace app {

class AuthorityClient {
 public:
  // `link` and `signer` must outlive the client.
  AuthorityClient(const PeerLink& link, const NodeRequestSigner& signer, int timeout_ms = 5000);
  // What became of each entry, in order (POST /v1/events); a malformed answer throws.
  std::vector<EntryOutcome> Submit(const std::vector<ledger::Bytes>& entries);
  // GET `uri` (path and query) from the authority; the parsed JSON object of a 200 answer.
  Poco::JSON::Object::Ptr Get(const std::string& uri);

 private:
  const PeerLink& link_;
  const NodeRequestSigner& signer_;
  int timeout_ms_;
};

}  // namespace app
