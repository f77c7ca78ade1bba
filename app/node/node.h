// A running node: its chain store, its key and its HTTP server. The authority seals the
// chain (genesis on first start); a taxpayer node holds a replica. Construct, Start(),
// Stop(); the routes are registered in chain_routes.cc and friends.
#pragma once

#include <Poco/JSON/Array.h>
#include <Poco/Net/HTTPCookie.h>

#include <atomic>
#include <functional>
#include <memory>

#include "app/node/config.h"
#include "app/authority/authority.h"
#include "app/chain/chain_json.h"
#include "app/http/http.h"
#include "app/http/http_server.h"
#include "app/authority/audit.h"
#include "app/company/company.h"
#include "app/merchant/merchant.h"
#include "app/chain/node_request.h"
#include "app/http/peer_link.h"
#include "app/replica/party_view.h"
#include "app/merchant/payment_crypto.h"
#include "app/http/pages.h"
#include "app/company/qr_scan.h"
#include "app/replica/replicator.h"
#include "app/http/tokens.h"
#include "ledger/block_store.h"
#include "ledger/keys.h"

namespace app {

// Refuses (403 cross_site) a form post whose Origin names another site.
void SameOrigin(Exchange& ex);

// The contract's invoice JSON (GET /v1/invoices/{no}), with the lifecycle as the node knows
// it (`st` null: nothing beyond the record). The employee who claimed is shown only to
// the authority's auditors.
Poco::JSON::Object::Ptr InvoiceJson(const InvoiceRecord& r, const std::string& qr_url, const invoice::InvoiceState* st,
                                    bool with_employee);
// An invoice's lifecycle trace: each step with its block height.
Poco::JSON::Array::Ptr LifecycleJson(const invoice::InvoiceState& st, bool with_employee);

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
  HttpServer::Stats server_stats() const { return server_ ? server_->stats() : HttpServer::Stats{}; }
  std::string BaseUrl() const;

  const NodeConfig& config() const { return config_; }
  ledger::BlockStore& store() { return *store_; }
  const ledger::PrivateKey& key() const { return key_; }
  Metrics& metrics() { return metrics_; }
  TokenStore& tokens() { return *tokens_; }
  Authority* authority() { return authority_.get(); }  // null on a taxpayer node
  Merchant* merchant() { return merchant_.get(); }     // null on the authority
  Replicator* replicator() { return replicator_.get(); }  // null on the authority
  Company* company() { return company_.get(); }           // null on the authority
  PartyView* view() { return view_.get(); }               // null on the authority

  // The bearer token's principal if its role is one of `roles`: 401 without a valid token,
  // 403 with a token of another role.
  Principal Authorize(Exchange& ex, std::initializer_list<TokenRole> roles);
  // Whether the principal may act on this node: a merchant, employee or finance token only
  // on the node of the tax id it is bound to.
  bool ActsHere(const Principal& p) const;
  uint64_t Now() const { return clock_(); }

 private:
  void AddChainRoutes(Router& router);
  void AddHealthRoutes(Router& router);
  std::string HealthBody();  // GET /healthz: status (ok, degraded with the alarm, starting), role, height
  // Who may see full entries in /v1/chain/blocks (README "Replication").
  RevealFn EntryRevealer(Exchange& ex);
  // The registered node that signed this request (app/chain/node_request.h), if it carries
  // X-Node-Id; 401 if the signature or time does not hold, 409 for a replay when `once` (a
  // request that changes state). A head it reports goes to the authority's guard.
  std::optional<std::string> SignedNodeCaller(Exchange& ex, std::string_view body = "", bool once = false);
  // The same for a state-changing request with `body`, which must be node-signed.
  std::string RequireSignedNode(Exchange& ex, std::string_view body);
  void AddAuthorityRoutes(Router& router);
  void AddMerchantRoutes(Router& router);
  void AddCallbackRoutes(Router& router);
  void AddPageRoutes(Router& router);
  void AddCompanyRoutes(Router& router);
  void AddFilingRoutes(Router& router);
  void AddAuditRoutes(Router& router);
  // The audit at the authority: the anomalies now, and a full verification of its chain.
  std::vector<Anomaly> Anomalies();
  struct LastVerify {
    bool ok = false;
    uint64_t time_ms = 0, height = 0, blocks = 0, entries = 0;
    double seconds = 0;
    std::string bad_item, problem;
  };
  LastVerify RunVerify();
  // Confirmation requests `tax_id` sent (as seller) or must answer (as buyer), newest first.
  std::vector<std::pair<std::string, invoice::ConfirmationState>> ConfirmationsOf(const std::string& tax_id);
  void AddCompanyPages(Router& router);
  void AddSessionRoutes(Router& router);  // /login, /logout: employees and finance; auditors at the authority
  void AddAuditPages(Router& router);
  // The signed-in user of a page (a server-side session named by the cookie), if any and
  // if they act here.
  std::optional<Principal> PageUser(Exchange& ex);
  Poco::Net::HTTPCookie SessionCookie(const std::string& value, int max_age_s) const;
  // The signed-in page user if their role is `role`; otherwise redirects to /login and
  // returns nullopt.
  std::optional<Principal> PageUserOrLogin(Exchange& ex, TokenRole role);
  // The authority's public check of an invoice by number and QR hash prefix (and amount,
  // "yuan.fen", when given or required): whether it is genuine, with its inclusion proof
  // verified against the signed head.
  struct PublicCheck {
    bool genuine = false;
    std::string reason;   // not genuine: unknown_invoice, hash_mismatch, amount_mismatch
    std::string message;
    invoice::InvoiceState state;
    uint64_t tree_size = 0;
    size_t proof_len = 0;
  };
  PublicCheck CheckPublic(const std::string& no, const std::string& h, const std::optional<std::string>& a,
                          bool amount_required = true);
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
  std::unique_ptr<AuditStore> audit_;  // authority only
  std::mutex verify_mu_;
  std::optional<LastVerify> last_verify_;
  std::unique_ptr<NodeRequestVerifier> node_requests_;  // authority only
  std::atomic<int> long_polls_{0};                       // GET /v1/chain/blocks waiting for a block
  std::unique_ptr<PeerLink> authority_link_;             // taxpayer only
  std::unique_ptr<NodeRequestSigner> signer_;            // taxpayer only
  std::unique_ptr<Merchant> merchant_;
  std::unique_ptr<Replicator> replicator_;
  std::unique_ptr<PartyView> view_;
  std::unique_ptr<SyncSubmitter> submitter_;
  std::unique_ptr<Company> company_;
  std::unique_ptr<QrDecoder> qr_decoder_;  // taxpayer only: /scan pictures
  std::optional<payment::RsaPublicKey> wechat_public_key_;  // the WeChat Pay platform key
  std::unique_ptr<Templates> templates_;
  std::unique_ptr<HttpServer> server_;
};

}  // namespace app
