#include "app/chain/node_callers.h"

#include "app/http/api_error.h"

namespace app {

NodeCallers::NodeCallers(NodeRequestVerifier* verifier, HeadHook on_head)
    : verifier_(verifier), on_head_(std::move(on_head)) {}

std::optional<std::string> NodeCallers::Caller(Exchange& ex, std::string_view body, bool once) {
  const auto& req = ex.request();
  if (!NodeRequestVerifier::IsNodeRequest(req)) return std::nullopt;
  if (!verifier_) throw ApiError(401, "unauthenticated", "this node takes no node-signed requests");
  NodeRequestVerifier::Caller caller = verifier_->Verify(req.getMethod(), req.getURI(), req, body, once);
  if (caller.head && on_head_) on_head_(*caller.head, caller.node_id);
  return caller.node_id;
}

std::string NodeCallers::Require(Exchange& ex, std::string_view body) {
  auto node = Caller(ex, body, /*once=*/true);
  if (!node) throw ApiError(401, "unauthenticated", "X-Node-Id must name a registered node and X-Node-Signature sign the request");
  return *node;
}

}  // namespace app
