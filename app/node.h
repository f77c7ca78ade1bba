// A running node: its chain store, its key and its HTTP server. The authority seals the
// chain (genesis on first start); a taxpayer node holds a replica. Construct, Start(),
// Stop(); the routes are registered in chain_routes.cc and friends.
#pragma once

#include <Poco/Net/HTTPServer.h>
#include <Poco/ThreadPool.h>

#include <atomic>
#include <functional>
#include <memory>

#include "app/config.h"
#include "app/authority.h"
#include "app/chain_json.h"
#include "app/http.h"
#include "app/merchant.h"
#include "app/pages.h"
#include "app/replicator.h"
#include "app/tokens.h"
#include "ledger/block_store.h"
#include "ledger/keys.h"

namespace app {

// The contract's invoice JSON (GET /v1/invoices/{no}).
Poco::JSON::Object::Ptr InvoiceJson(const InvoiceRecord& r, const std::string& qr_url, const std::string& reimbursement);

using Clock = std::function<uint64_t()>;  // Unix time in milliseconds
uint64_t SystemClockMs();

class Node {
 public:
  // Opens (creating on first start) the node's store and key; throws std::runtime_error
  // with a message for the operator when it cannot.
  Node(NodeConfig config, Clock clock = SystemClockMs);
  ~Node();

  void Start();
  void Stop();
  uint16_t port() const;  // the bound port (useful with node.listen = host:0)
  std::string BaseUrl() const;

  const NodeConfig& config() const { return config_; }
  ledger::BlockStore& store() { return *store_; }
  const ledger::PrivateKey& key() const { return key_; }
  Metrics& metrics() { return metrics_; }
  TokenStore& tokens() { return *tokens_; }
  Authority* authority() { return authority_.get(); }  // null on a taxpayer node
  Merchant* merchant() { return merchant_.get(); }     // null on the authority
  Replicator* replicator() { return replicator_.get(); }  // null on the authority

  // The bearer token's principal if its role is one of `roles`: 401 without a valid token,
  // 403 with a token of another role.
  Principal Authorize(Exchange& ex, std::initializer_list<TokenRole> roles);
  uint64_t Now() const { return clock_(); }

 private:
  void AddChainRoutes(Router& router);
  void AddHealthRoutes(Router& router);
  // Who may see full entries in /v1/chain/blocks (README "Replication").
  RevealFn EntryRevealer(Exchange& ex);
  // The registered node that signed this request (X-Node-Id/Time/Signature), if any; 401 if
  // it claims to be one and the signature or time does not hold.
  std::optional<std::string> SignedNodeCaller(Exchange& ex);
  void AddAuthorityRoutes(Router& router);
  void AddMerchantRoutes(Router& router);
  void AddCallbackRoutes(Router& router);
  void AddPageRoutes(Router& router);
  PageData BasePage(const std::string& title);
  void SendMessagePage(Exchange& ex, int status, const std::string& heading, const std::string& message,
                       const std::string& link = "", const std::string& link_text = "");

  NodeConfig config_;
  Clock clock_;
  ledger::PrivateKey key_;
  std::unique_ptr<ledger::BlockStore> store_;
  Metrics metrics_;
  std::unique_ptr<TokenStore> tokens_;
  std::unique_ptr<Authority> authority_;
  std::unique_ptr<Merchant> merchant_;
  std::unique_ptr<Replicator> replicator_;
  std::string wechat_public_key_;  // PEM of the WeChat Pay platform key
  std::unique_ptr<Templates> templates_;
  std::unique_ptr<Poco::ThreadPool> pool_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

}  // namespace app
