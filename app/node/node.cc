#include "app/node/node.h"
#include "app/base/or_throw.h"
#include "app/base/text_file.h"
#include "ledger/tlog.h"

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "app/base/logging.h"
#include "app/http/api_error.h"
#include <Poco/Logger.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include "app/merchant/payment_crypto.h"

#include <sstream>

namespace app {
namespace {

// The node key: loaded from node.key_file, or generated there (mode 0600) on first start.
ledger::PrivateKey LoadOrCreateKey(const std::string& path, ledger::Suite suite) {
  if (std::filesystem::exists(path)) {
    auto key = ledger::PrivateKey::LoadPemFile(path);
    if (!key.ok()) throw std::runtime_error(key.status().message());
    return *key;
  }
  auto key = ledger::PrivateKey::Generate(suite);
  if (!key.ok()) throw std::runtime_error(key.status().message());
  std::filesystem::path p(path);
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
  {
    std::ofstream out(path, std::ios::trunc);
    out << key->ToPem();
    if (!out) throw std::runtime_error("cannot write the node key to " + path);
  }
  chmod(path.c_str(), 0600);
  return *key;
}

ledger::PublicKeyBytes AuthorityKey(const NodeConfig& c, const ledger::PrivateKey& own) {
  if (c.role == Role::kAuthority) return own.public_key();
  auto k = ledger::LoadPublicKeyFile(c.authority_key_file);
  if (!k.ok()) throw std::runtime_error("authority.public_key_file: " + k.status().message());
  return *k;
}

}  // namespace

// node.nonces.db beside node.db: the nonces of node requests inside their window.
static std::string NoncePath(const std::string& node_db) {
  std::filesystem::path p(node_db);
  return (p.parent_path() / (p.stem().string() + ".nonces.db")).string();
}

uint64_t SystemClockMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

Node::Node(NodeConfig config, Clock clock)
    : config_(std::move(config)), clock_(std::move(clock)), key_(LoadOrCreateKey(config_.key_file, config_.suite)) {
  if (config_.suite != ledger::ActiveSuite())
    throw std::runtime_error(ledger::SuiteMismatch("chain.suite", config_.suite).message() +
                             " (the process's entry point chooses the suite)");
  OrThrow(key_.CheckSuite("node.key_file " + config_.key_file), "node key");
  std::filesystem::path db(config_.db_path);
  if (db.has_parent_path()) std::filesystem::create_directories(db.parent_path());
  auto store = ledger::BlockStore::Open(config_.db_path, AuthorityKey(config_, key_));
  OrThrow(store, config_.db_path);
  store_ = std::move(*store);
  tokens_ = TokenStore::Open(config_.db_path);
  templates_ = std::make_unique<Templates>(config_.templates_dir);
  site_ = std::make_unique<Site>(SiteIdentity{config_.name, config_.role == Role::kAuthority ? "" : config_.tax_id,
                                              config_.role == Role::kAuthority,
                                              config_.public_url.rfind("https://", 0) == 0},
                                 *tokens_, *templates_, clock_);
  if (config_.role == Role::kAuthority) {
    const bool grouped = !config_.group_members.empty();
    // Every member of a group makes the same genesis block: the group's key, the group's time.
    auto genesis = store_->InitGenesis(key_, grouped ? config_.group_genesis_time_ms : clock_());
    OrThrow(genesis, "genesis");
    authority_ = std::make_unique<Authority>(*store_, key_, LifecyclePath(config_.db_path), SignedHeadPath(config_.db_path));
    authority_->SetTimeLimits({static_cast<uint64_t>(config_.clock_skew_s) * 1000,
                               static_cast<uint64_t>(config_.max_event_age_hours) * 3600 * 1000});
    if (grouped) {
      GroupConfig g;
      g.self = config_.group_self;
      for (const auto& [id, url] : config_.group_members) g.members.push_back({id, url});
      g.etcd = config_.group_etcd;
      // One network's keys in etcd, whatever else the etcd cluster serves: named by the group's key.
      g.prefix = "/einvoice/" + ledger::ToHex(key_.public_key()).substr(0, 16) + "/";
      g.lease_s = config_.group_lease_s;
      g.ca_file = config_.tls_ca_file;
      group_ = std::make_unique<Group>(std::move(g), *store_, key_, config_.db_path, [this] {
        try {
          authority_->CatchUpLifecycle();
        } catch (const std::exception& e) {
          Poco::Logger::get("group").error("folding the group's blocks into the lifecycle failed: %s", Describe(e));
        }
      });
      authority_->SetGroupSealer([this](const std::vector<ledger::Bytes>& entries, uint64_t now_ms, const ledger::BlockHeader& on) {
        return group_->Commit(entries, now_ms, on);
      });
    }
    authority_->Replay();
    node_requests_ = std::make_unique<NodeRequestVerifier>(
        [this](const std::string& node) -> std::optional<ledger::PublicKeyBytes> {
          std::string hex = authority_->WithLifecycle([&](const invoice::Lifecycle& lc) {
            const invoice::RegisterEvent* reg = lc.FindTaxpayer(node);
            return reg ? reg->node_key : std::string();
          });
          auto bytes = ledger::FromHex(hex);
          if (!bytes || ledger::SuiteOfKey(*bytes) != ledger::ActiveSuite()) return std::nullopt;
          return *bytes;
        },
        clock_, OpenNonceJournal(NoncePath(config_.db_path)));
    audit_ = std::make_unique<AuditStore>(config_.db_path);
    authority_->SetAuditStore(audit_.get());
  } else if (config_.role == Role::kTaxpayer) {
    MerchantConfig mc;
    mc.db_path = config_.db_path;
    mc.seller = invoice::Party{config_.name, config_.tax_id, ""};
    mc.region = std::stoi(config_.region_code);
    mc.channel = config_.invoice_channel;
    mc.range_size = config_.invoice_range_size;
    mc.authority_public_url = config_.authority_public_url;
    mc.mail = !config_.mail.host.empty();
    authority_link_ = std::make_unique<PeerLink>(config_.authority_url, config_.tls_ca_file);
    signer_ = std::make_unique<NodeRequestSigner>(config_.tax_id, key_, clock_, [this]() -> std::optional<ledger::SignedHeader> {
      auto head = store_->Head();
      if (!head.ok()) return std::nullopt;
      return *head;
    });
    replicator_ = std::make_unique<Replicator>(*store_, *authority_link_, *signer_);
    if (config_.witness_quorum > 0) {
      FinalityPolicy policy;
      for (const auto& [vkey, url] : config_.witnesses) {
        policy.witnesses.push_back(*ledger::tlog::ParseVerifierKey(vkey));
        policy.urls.push_back(url);
      }
      policy.quorum = config_.witness_quorum;
      cosigned_record_ = std::make_unique<CosignedRecord>(config_.db_path);
      replicator_->SetFinality(std::move(policy), cosigned_record_.get(), config_.tls_ca_file);
    }
    qr_decoder_ = std::make_unique<QrDecoder>();
    view_ = std::make_unique<PartyView>(*store_, LifecyclePath(config_.db_path));
    submitter_ = std::make_unique<SyncSubmitter>(config_.tax_id, key_, *authority_link_, *signer_, *view_);
    company_ = std::make_unique<Company>(*submitter_, *store_, *view_, config_.db_path, clock_);
    merchant_ = std::make_unique<Merchant>(
        mc, key_, std::make_unique<AuthorityClient>(*authority_link_, *signer_), clock_, view_.get());
  }
  if (!config_.wechat_public_key_file.empty()) {
    wechat_public_key_ = payment::RsaPublicKey::FromPem(ReadTextFile(config_.wechat_public_key_file));
    if (!wechat_public_key_)
      throw std::runtime_error("payment.wechatpay.platform_public_key_file is not an RSA public key");
  }
  if (!config_.alipay_public_key_file.empty()) {
    alipay_public_key_ = payment::RsaPublicKey::FromPem(ReadTextFile(config_.alipay_public_key_file));
    if (!alipay_public_key_) throw std::runtime_error("payment.alipay.public_key_file is not an RSA public key");
  }
  MakeRoutes();
}

void Node::MakeRoutes() {
  callers_ = std::make_unique<NodeCallers>(node_requests_.get(), [this](const ledger::SignedHeader& head, const std::string& node) {
    if (authority_) authority_->NoteReportedHead(head, node);
  });
  if (authority_) {
    // GET /checkpoint: the newest head, or with witnesses the newest checkpoint they cosigned.
    auto checkpoint = [this]() -> std::string {
      auto head = store_->Head();
      if (!head.ok()) throw ApiError(503, "no_chain_yet", "this node holds no block yet");
      if (!cosigner_ || cosigner_->quorum() == 0) return checkpoints_->Signed(*head);
      auto cosigned = cosigner_->Cosigned();
      if (!cosigned) throw ApiError(503, "not_cosigned_yet", "no checkpoint has its witnesses' cosignatures yet");
      return *cosigned;
    };
    AuthorityRoutes::Config routes{config_.public_url, {}, checkpoint};
    if (config_.witness_quorum > 0)
      routes.finality = [this]() -> std::optional<AuthorityRoutes::Finality> {
        AuthorityRoutes::Finality f{config_.witness_quorum, static_cast<int>(config_.witnesses.size()), 0, {}};
        if (!cosigner_) return f;
        auto note = cosigner_->Cosigned();
        auto parsed = note ? ledger::tlog::ParseNote(*note) : ledger::Result<ledger::tlog::Note>(ledger::Status::NotFound(""));
        if (!parsed.ok()) return f;
        f.cosigned_size = ledger::tlog::ParseCheckpoint(parsed->text)->size;
        for (size_t i = 1; i < parsed->signatures.size(); ++i) f.cosigned_by.push_back(parsed->signatures[i].name);
        return f;
      };
    authority_routes_ = std::make_unique<AuthorityRoutes>(std::move(routes), *site_, *authority_, *store_, *callers_);
    audit_routes_ = std::make_unique<AuditRoutes>(
        AuditRoutes::Config{config_.db_path, config_.audit_invoice_deadline_hours, config_.audit_filing_deadline_day},
        *site_, *authority_, *audit_, *store_, *callers_);
    filing_routes_ = std::make_unique<FilingRoutes>(FilingRoutes::Config{config_.name, config_.tax_id}, *site_, *authority_);
    // chain.origin; a node configured in code (tests) without one takes its public URL's.
    std::string origin = config_.chain_origin;
    if (origin.empty()) origin = DefaultOrigin(config_.public_url.empty() ? "einvoice.authority" : config_.public_url);
    if (!ledger::tlog::ValidKeyName(origin)) throw std::invalid_argument("chain.origin is not a valid note key name");
    config_.chain_origin = origin;
    checkpoints_ = std::make_unique<Checkpointer>(origin, key_);
    if (!config_.witnesses.empty()) {
      std::vector<WitnessPeer> peers;
      for (const auto& [vkey, url] : config_.witnesses) peers.push_back({*ledger::tlog::ParseVerifierKey(vkey), url});
      cosigned_record_ = std::make_unique<CosignedRecord>(config_.db_path);
      cosigner_ = std::make_unique<Cosigner>(std::move(peers), config_.witness_quorum, *checkpoints_, *store_,
                                             *cosigned_record_, config_.tls_ca_file);
      if (config_.witness_quorum > 0) authority_->SetFinality([this] { return cosigner_->cosigned_size(); });
    }
    chain_routes_ = std::make_unique<ChainRoutes>(
        ChainRoutes::Config{config_.max_long_polls}, *store_,
        [this](Exchange& ex) { return authority_routes_->EntryRevealer(ex); },
        [this](uint64_t height, int timeout_ms) { store_->WaitForHeight(height, timeout_ms); }, checkpoint);
    return;
  }
  if (config_.role == Role::kWitness) {  // a witness and nothing else
    witness_ = std::make_unique<Witness>(config_.db_path, config_.witness_name.empty() ? "einvoice.witness" : config_.witness_name,
                                         key_, store_->authority_key(), clock_);
    return;
  }
  chain_routes_ = std::make_unique<ChainRoutes>(ChainRoutes::Config{config_.max_long_polls}, *store_, [](Exchange&) -> RevealFn {
    return [](const ledger::LeafRecord&) { return false; };  // a taxpayer node shows no entry
  });
  filing_routes_ = std::make_unique<FilingRoutes>(FilingRoutes::Config{config_.name, config_.tax_id}, *site_, *view_,
                                                  *submitter_);
  printer_ = std::make_unique<InvoicePrinter>(InvoicePrinter::Config{config_.invoice_drawer, config_.tax_bureau},
                                              site_->templates().catalog());
  merchant_routes_ = std::make_unique<MerchantRoutes>(
      MerchantRoutes::Config{config_.public_url, !config_.mail.host.empty()}, *site_, *merchant_, *view_, *printer_);
  if (!config_.mail.host.empty()) {
    MailConfig mail = config_.mail;
    if (!config_.mail_password_file.empty()) {
      std::string password = ReadTextFile(config_.mail_password_file);
      mail.password = password.substr(0, password.find_first_of("\r\n"));
    }
    if (mail.from_name.empty()) mail.from_name = config_.name;
    mailer_ = std::make_unique<Mailer>(std::move(mail), *merchant_, *printer_, site_->templates().catalog(), clock_);
  }
  callback_routes_ = std::make_unique<CallbackRoutes>(
      CallbackRoutes::Config{config_.wechat_mchid, config_.wechat_serial, config_.wechat_api_v3_key, config_.generic_secret,
                             config_.alipay_app_id, config_.alipay_seller_id, config_.callback_tolerance_s},
      wechat_public_key_, alipay_public_key_, *site_, *merchant_, metrics_);
  MerchantPages::Config pages{config_.name, config_.public_url, config_.demo_checkout, config_.wechat_mchid, config_.wechat_serial,
                              config_.wechat_private_key_file, config_.wechat_api_v3_key, config_.listen_host,
                              [this] { return port(); }, !config_.mail.host.empty(), config_.alipay_app_id,
                              config_.alipay_seller_id, config_.alipay_private_key_file};
  merchant_pages_ = std::make_unique<MerchantPages>(std::move(pages), *site_, *merchant_, *view_, *printer_);
  witness_ = std::make_unique<Witness>(
      config_.db_path, config_.witness_name.empty() ? DefaultOrigin(config_.public_url.empty() ? "einvoice.witness" : config_.public_url)
                                                    : config_.witness_name,
      key_, store_->authority_key(), clock_);
  witness_->SetHalted([this] { return replicator_ && replicator_->alarm() ? replicator_->alarm_reason() : std::string(); });
  CompanyRoutes::Config company{config_.name, config_.tax_id, config_.authority_public_url, {}};
  if (replicator_ && replicator_->finality().enabled())
    company.finality = [this]() -> std::optional<CompanyRoutes::Config::Finality> {
      auto c = replicator_->final_checkpoint();
      if (!c) return std::nullopt;
      return CompanyRoutes::Config::Finality{c->checkpoint.size, c->cosigners, replicator_->finality().quorum,
                                             static_cast<int>(replicator_->finality().witnesses.size())};
    };
  company_routes_ = std::make_unique<CompanyRoutes>(std::move(company), *site_, *company_, *view_, *qr_decoder_);
}

Node::~Node() { Stop(); }

void Node::Start() {
  auto* router = new Router(&metrics_);  // owned by the server
  // Errors to a browser's page requests are pages in the reader's language; the API stays JSON.
  router->SetErrorPage([this](Exchange& ex, int status, const std::string& code, const std::string& field) {
    site_->SendErrorPage(ex, status, code, field);
  });
  AddHealthRoutes(*router);
  if (chain_routes_) chain_routes_->Add(*router);
  if (merchant_) merchant_pages_->Add(*router);
  site_->AddSessionRoutes(*router);
  if (authority_) {
    authority_routes_->Add(*router);
    audit_routes_->AddApi(*router);
    audit_routes_->AddPages(*router);
  }
  if (filing_routes_) filing_routes_->Add(*router);
  if (group_) {
    group_->Add(*router);
    // What seals goes to the leader; every read is served here.
    for (const char* path : {"/v1/events", "/v1/taxpayers", "/v1/filings"})
      router->Wrap("POST", path, [this](Exchange& ex, const Handler& own) {
        if (group_->leading()) own(ex);
        else ProxyToLeader(ex);
      });
    group_->Start();
  }
  if (!merchant_ && witness_) witness_->Add(*router);  // the witness role
  if (merchant_) {
    merchant_routes_->Add(*router);
    callback_routes_->Add(*router);
    company_routes_->AddApi(*router);
    company_routes_->AddPages(*router);
    witness_->Add(*router);
    merchant_->StartPump();
    if (mailer_) mailer_->Start();
  }
  if (replicator_) replicator_->Start();
  if (cosigner_) cosigner_->Start();
  HttpServerOptions o;
  o.host = config_.listen_host;
  o.port = static_cast<uint16_t>(config_.listen_port);
  o.threads = config_.http_threads;
  o.keep_alive_s = config_.keep_alive_s;
  o.max_keep_alive_requests = config_.max_keep_alive_requests;
  o.header_timeout_s = config_.header_timeout_s;
  o.body_timeout_s = config_.body_timeout_s;
  o.max_connections_per_peer = config_.max_connections_per_peer;
  if (!config_.tls_cert_file.empty()) o.tls = TlsServerContext(config_.tls_cert_file, config_.tls_key_file);
  server_ = std::make_unique<HttpServer>(o, router, [this] { return HealthBody(); });
  server_->Start();
  config_.listen_port = server_->port();  // a restart (Stop, Start) comes back on the same port
}

void Node::Stop() {
  if (group_) group_->Stop();
  if (cosigner_) cosigner_->Stop();
  if (replicator_) replicator_->Stop();
  if (merchant_) merchant_->StopPump();
  if (mailer_) mailer_->Stop();
  if (server_) {
    server_->Stop();
    server_.reset();
  }
}

void Node::ProxyToLeader(Exchange& ex) {
  if (ex.request().has("X-Group-Forwarded"))  // one hop only: the member it came from thought this one led
    throw ApiError(503, "not_leader", "this authority member does not lead the group now; try again shortly");
  const std::string url = group_->LeaderUrl();
  if (url.empty()) throw ApiError(503, "no_leader", "the authority group has no leader now; try again shortly");
  // At most half the HTTP threads wait on the leader: the others stay free for the group's own
  // messages (the leader's append must not queue here behind writes that wait for it).
  if (proxied_.fetch_add(1) >= std::max(1, config_.http_threads / 2)) {
    proxied_.fetch_sub(1);
    throw ApiError(503, "busy", "this authority member passes on all the writes it can now; try again shortly");
  }
  struct Done {
    std::atomic<int>& n;
    ~Done() { n.fetch_sub(1); }
  } done{proxied_};
  std::string body = ex.Body();
  PeerLink* link;
  {
    MutexLock lock(leader_links_mu_);
    auto& l = leader_links_[url];
    if (!l) l = std::make_unique<PeerLink>(url, config_.tls_ca_file);
    link = l.get();
  }
  auto session = link->NewSession(30000);
  Poco::Net::HTTPRequest req(ex.request().getMethod(), ex.request().getURI(), Poco::Net::HTTPMessage::HTTP_1_1);
  for (const char* h : {"X-Node-Id", "X-Node-Time", "X-Node-Nonce", "X-Node-Signature", "X-Node-Head", "Authorization",
                        "Content-Type", "Accept", "Accept-Language"})
    if (ex.request().has(h)) req.set(h, ex.request().get(h));
  req.set("X-Group-Forwarded", group_->self());
  req.setContentLength(static_cast<std::streamsize>(body.size()));
  std::string answer;
  Poco::Net::HTTPResponse resp;
  try {
    session->sendRequest(req) << body;
    Poco::StreamCopier::copyToString(session->receiveResponse(resp), answer);
  } catch (const Poco::Exception&) {
    throw ApiError(503, "leader_unreachable", "the authority group's leader did not answer; try again shortly");
  }
  ex.Send(resp.getStatus(), resp.getContentType(), answer);
}

uint16_t Node::port() const { return server_ ? server_->port() : 0; }

std::string Node::BaseUrl() const {
  return (config_.tls_cert_file.empty() ? "http://" : "https://") + config_.listen_host + ":" + std::to_string(port());
}

}  // namespace app
