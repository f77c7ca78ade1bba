// The node's configuration, read once from a Poco properties file into a typed struct and
// passed down. Every key and its default is listed in app/README.md "Configuration".
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "app/merchant/mailer.h"
#include "ledger/suite.h"

namespace Poco::Util { class AbstractConfiguration; }

namespace app {

// kWitness: a witness that is not a taxpayer node (another bureau, a court): it serves only
// POST /add-checkpoint and GET /witness/state, with health and metrics (app/README.md, "Witnesses").
enum class Role { kAuthority, kTaxpayer, kWitness };
const char* RoleName(Role r);

struct NodeConfig {
  Role role = Role::kAuthority;
  std::string name;             // node.name: shown on pages and in logs
  std::string tax_id;           // node.tax_id: the taxpayer's credit code (taxpayer nodes)
  std::string listen_host = "127.0.0.1";  // node.listen = host:port; port 0 picks a free one
  int listen_port = 8700;
  std::string public_url;       // node.public_url: how others reach this node
  std::string data_dir;         // node.data_dir: where the node keeps its files
  std::string db_path;          // node.db: default <data_dir>/node.db
  std::string key_file;         // node.key_file: this node's private key (PEM) of chain.suite
  std::string authority_url;    // authority.url (taxpayer nodes): one URL, or an authority group's, comma-separated
  std::string authority_key_file;  // authority.public_key_file: the pinned authority key
  std::string region_code = "44";  // node.region_code: 2 digits of every invoice number
  std::string authority_public_url;  // authority.public_url: base of QR codes (default authority.url)
  // An authority group (app/group/README.md): group.self, group.members (id=url,...),
  // group.etcd (url,...), group.lease_s, group.genesis_time_ms. Empty members: one authority.
  std::string group_self;
  std::vector<std::pair<std::string, std::string>> group_members;
  std::vector<std::string> group_etcd;
  int group_lease_s = 2;
  uint64_t group_genesis_time_ms = 0;
  std::string chain_origin;     // chain.origin: the checkpoints' origin line and key name (authority)
  // chain.suite: ed25519-sha256 (default) or sm2-sm3, the network's (ledger/suite.h); every
  // node of a network has the same, and keys of that suite.
  // (A NodeConfig made in code takes the process's; ReadNodeConfig's default is ed25519-sha256.)
  ledger::Suite suite = ledger::ActiveSuite();
  // The authority's witnesses: witness.<n>.key (a cosigning verifier key) and witness.<n>.url,
  // n = 1, 2, ...; witness.quorum cosignatures make a checkpoint final (default: all).
  std::vector<std::pair<std::string, std::string>> witnesses;
  int witness_quorum = 0;
  std::string witness_name;     // witness.name: a taxpayer node's witness key name (default: node.public_url's host and path)
  int invoice_channel = 1;      // invoice.channel: the channel digit of invoice numbers
  uint64_t invoice_range_size = 100000;  // invoice.range_size: numbers asked for per apply
  std::string invoice_drawer;   // invoice.drawer: 开票人, printed on the invoice page
  std::string tax_bureau;       // invoice.tax_bureau: the issuing tax bureau's name, printed likewise
  std::string templates_dir = EINVOICE_DEFAULT_TEMPLATES_DIR;  // ui.templates_dir

  // Payment providers (merchant nodes). Test keys only in fixtures/.
  std::string alipay_app_id;            // payment.alipay.app_id (empty: Alipay not configured)
  std::string alipay_seller_id;         // payment.alipay.seller_id (the merchant's Alipay account, 2088...)
  std::string alipay_public_key_file;   // payment.alipay.public_key_file: Alipay's RSA public key
  std::string alipay_private_key_file;  // payment.alipay.private_key_file: the simulator's (test) signing key
  std::string wechat_mchid;             // payment.wechatpay.mchid
  std::string wechat_serial;            // payment.wechatpay.platform_serial
  std::string wechat_public_key_file;   // payment.wechatpay.platform_public_key_file
  std::string wechat_private_key_file;  // payment.wechatpay.platform_private_key_file (simulator only)
  std::string wechat_api_v3_key;        // payment.wechatpay.api_v3_key (32 bytes)
  std::string generic_secret;           // payment.generic.secret
  int callback_tolerance_s = 300;       // payment.timestamp_tolerance_s
  bool demo_checkout = false;           // demo.checkout: the home page's checkout simulator
  int audit_invoice_deadline_hours = 48;  // audit.invoice_deadline_hours: a payment without an invoice after this is an anomaly
  int audit_filing_deadline_day = 15;     // audit.filing_deadline_day: a month's return is due by this day of the next

  // E-mail to buyers (merchant nodes, app/README.md "E-mail delivery"): mail.host, mail.port,
  // mail.starttls, mail.user, mail.from, mail.from_name, mail.timeout_s, mail.retry_max_s,
  // mail.give_up_hours; the password is read from mail.password_file when the node starts.
  MailConfig mail;
  std::string mail_password_file;  // mail.password_file

  // TLS (app/README.md "Production"). With a certificate and key the node serves https only.
  std::string tls_cert_file;    // tls.cert_file: the node's certificate chain (PEM)
  std::string tls_key_file;     // tls.key_file: its private key (PEM)
  std::string tls_ca_file;      // tls.ca_file: CAs that https peers' certificates must chain to (empty: the system's)

  // Events the authority seals must be of their time (issue 16): none later than the block
  // time plus the skew; claims, settlements, releases and confirmations not older than the
  // skew; issues, applications and filings (queued during an outage) not older than this.
  int max_event_age_hours = 72;  // authority.max_event_age_hours
  int clock_skew_s = 300;        // authority.clock_skew_s

  int http_threads = 32;        // http.threads: concurrent connections served
  int keep_alive_s = 5;         // http.keep_alive_timeout_s
  int max_keep_alive_requests = 1000;  // http.max_keep_alive_requests
  int header_timeout_s = 5;     // http.header_timeout_s: a request's line and headers must arrive within this
  int body_timeout_s = 15;      // http.body_timeout_s: and its body within this
  int max_connections_per_peer = 16;  // http.max_connections_per_peer: open connections from one address (0: no limit)
  int max_long_polls = 8;       // http.max_long_polls: node requests waiting for a new block at once

  std::string ListenAddress() const { return listen_host + ":" + std::to_string(listen_port); }
};

// Reads and validates; throws std::invalid_argument naming the bad key.
NodeConfig ReadNodeConfig(const Poco::Util::AbstractConfiguration& c);

}  // namespace app
