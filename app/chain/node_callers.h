// The receiving side of node-signed requests as routes use it: which registered node signed
// this request, if any. Wraps the authority's NodeRequestVerifier (none on a taxpayer node,
// which takes no node requests) and hands a head the caller reports to `on_head`.
// Thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "app/chain/node_request.h"
#include "app/http/http.h"

namespace app {

class NodeCallers {
 public:
  using HeadHook = std::function<void(const ledger::SignedHeader& head, const std::string& node_id)>;
  NodeCallers(NodeRequestVerifier* verifier, HeadHook on_head);

  // The registered node that signed this request, if it carries X-Node-Id; 401 if the
  // signature or time does not hold, 409 for a replay when `once` (a request that changes
  // state).
  std::optional<std::string> Caller(Exchange& ex, std::string_view body = "", bool once = false);
  // The same for a state-changing request with `body`, which must be node-signed (401 if not).
  std::string Require(Exchange& ex, std::string_view body);

 private:
  NodeRequestVerifier* verifier_;
  HeadHook on_head_;
};

}  // namespace app
