// A taxpayer node's link to the authority: submits entries to POST /v1/events with the
// node signature (README "Node to node") and reads back each entry's outcome. A network
// failure or a non-200 answer throws; the caller keeps its entries and retries.
#pragma once

#include <Poco/JSON/Object.h>

#include <string>
#include <vector>

#include "ledger/keys.h"

namespace app {

class AuthorityClient {
 public:
  AuthorityClient(std::string base_url, std::string node_id, const ledger::PrivateKey& key, int timeout_ms = 5000);
  // One result object per entry, in order (see POST /v1/events).
  std::vector<Poco::JSON::Object::Ptr> Submit(const std::vector<ledger::Bytes>& entries);
  // GET `uri` (path and query) from the authority; the parsed JSON object of a 200 answer.
  Poco::JSON::Object::Ptr Get(const std::string& uri);

 private:
  std::string host_;
  uint16_t port_ = 80;
  std::string node_id_;
  const ledger::PrivateKey& key_;
  int timeout_ms_;
};

}  // namespace app
