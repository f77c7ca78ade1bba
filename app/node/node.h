// A running node: it opens its store and key, makes the parts its role needs and wires them
// to one HTTP server. The authority seals the chain (genesis on first start); a taxpayer
// node holds a replica and runs the merchant's and the company's parts. Each part's routes
// live in its own folder (app/README.md, "Where the parts are"); the node itself serves only
// /healthz, /metrics and the home page (health_routes.cc). Construct, Start(), Stop().
//
// Lock order: no lock of the node's is held while a part is called; the parts' own orders
// are in their headers (Merchant, then PartyView, then the block store).
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "app/authority/audit.h"
#include "app/authority/cosigner.h"
#include "app/authority/audit_routes.h"
#include "app/authority/authority.h"
#include "app/authority/authority_routes.h"
#include "app/chain/chain_routes.h"
#include "app/chain/witness.h"
#include "app/chain/node_callers.h"
#include "app/chain/node_request.h"
#include "app/company/company.h"
#include "app/company/company_routes.h"
#include "app/company/qr_scan.h"
#include "app/filing/filing_routes.h"
#include "app/group/group.h"
#include "app/http/http.h"
#include "app/http/http_server.h"
#include "app/http/pages.h"
#include "app/http/peer_link.h"
#include "app/http/site.h"
#include "app/http/tokens.h"
#include "app/merchant/mailer.h"
#include "app/merchant/merchant.h"
#include "app/merchant/merchant_routes.h"
#include "app/node/config.h"
#include "app/replica/party_view.h"
#include "app/replica/replicator.h"
#include "app/replica/sync_submitter.h"
#include "ledger/block_store.h"
#include "ledger/keys.h"

namespace app {

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
  uint64_t Now() const { return clock_(); }

 private:
  void MakeRoutes();  // the parts' route objects, once
  void AddHealthRoutes(Router& router);  // /healthz, /metrics, the home page
  std::string HealthBody();
  void AddGroupMetrics(std::ostream& out);  // an authority group member's role, epoch, lag
  // A write that only the group's leader does, sent on to it and its answer passed back.
  void ProxyToLeader(Exchange& ex);

  NodeConfig config_;
  Clock clock_;
  ledger::PrivateKey key_;
  std::unique_ptr<ledger::BlockStore> store_;
  Metrics metrics_;
  std::unique_ptr<TokenStore> tokens_;
  std::unique_ptr<Templates> templates_;
  std::unique_ptr<Site> site_;
  // The authority.
  std::unique_ptr<Authority> authority_;
  std::unique_ptr<Group> group_;  // an authority group's member
  Mutex leader_links_mu_;
  std::map<std::string, std::unique_ptr<PeerLink>> leader_links_ GUARDED_BY(leader_links_mu_);
  std::atomic<int> proxied_{0};  // writes being passed on to the leader now
  std::unique_ptr<AuditStore> audit_;
  std::unique_ptr<NodeRequestVerifier> node_requests_;
  // A taxpayer node.
  std::unique_ptr<PeerLink> authority_link_;
  std::unique_ptr<NodeRequestSigner> signer_;
  std::unique_ptr<Merchant> merchant_;
  std::unique_ptr<Replicator> replicator_;
  std::unique_ptr<PartyView> view_;
  std::unique_ptr<SyncSubmitter> submitter_;
  std::unique_ptr<Company> company_;
  std::unique_ptr<QrDecoder> qr_decoder_;  // /scan pictures
  std::optional<payment::RsaPublicKey> wechat_public_key_;  // the WeChat Pay platform key
  std::optional<payment::RsaPublicKey> alipay_public_key_;  // Alipay's public key
  // The parts' routes (null where the role has none).
  std::unique_ptr<NodeCallers> callers_;
  std::unique_ptr<Checkpointer> checkpoints_;  // the authority's
  std::unique_ptr<CosignedRecord> cosigned_record_;  // the newest cosigned checkpoint, kept
  std::unique_ptr<Cosigner> cosigner_;         // the authority's, with witnesses listed
  std::unique_ptr<Witness> witness_;           // a taxpayer node's
  std::unique_ptr<ChainRoutes> chain_routes_;
  std::unique_ptr<AuthorityRoutes> authority_routes_;
  std::unique_ptr<AuditRoutes> audit_routes_;
  std::unique_ptr<FilingRoutes> filing_routes_;
  std::unique_ptr<InvoicePrinter> printer_;  // the merchant's PDFs (pages, API, e-mail)
  std::unique_ptr<Mailer> mailer_;           // with a mail relay (mail.host)
  std::unique_ptr<MerchantRoutes> merchant_routes_;
  std::unique_ptr<CallbackRoutes> callback_routes_;
  std::unique_ptr<MerchantPages> merchant_pages_;
  std::unique_ptr<CompanyRoutes> company_routes_;
  std::unique_ptr<HttpServer> server_;
};

}  // namespace app
