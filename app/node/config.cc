#include "app/node/config.h"

#include "app/chain/checkpoint.h"
#include "ledger/tlog.h"

#include <Poco/Util/AbstractConfiguration.h>

#include <filesystem>
#include <stdexcept>

namespace app {

namespace {

// "a, b,c" -> {"a", "b", "c"}; empty items are dropped.
std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at <= text.size()) {
    size_t comma = text.find(',', at);
    if (comma == std::string::npos) comma = text.size();
    std::string item = text.substr(at, comma - at);
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty()) out.push_back(item);
    at = comma + 1;
  }
  return out;
}

}  // namespace

NodeConfig ReadNodeConfig(const Poco::Util::AbstractConfiguration& c) {
  NodeConfig n;
  std::string role = c.getString("node.role", "authority");
  if (role == "authority") n.role = Role::kAuthority;
  else if (role == "taxpayer") n.role = Role::kTaxpayer;
  else if (role == "witness") n.role = Role::kWitness;
  else throw std::invalid_argument("node.role must be authority, taxpayer or witness, not '" + role + "'");
  n.name = c.getString("node.name", role == "authority" ? "Tax authority" : role == "witness" ? "Witness" : "Taxpayer node");
  n.tax_id = c.getString("node.tax_id", "");
  std::string listen = c.getString("node.listen", "127.0.0.1:8700");
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) throw std::invalid_argument("node.listen must be host:port");
  n.listen_host = listen.substr(0, colon);
  try {
    n.listen_port = std::stoi(listen.substr(colon + 1));
  } catch (const std::exception&) {
    throw std::invalid_argument("node.listen has a bad port: " + listen);
  }
  if (n.listen_port < 0 || n.listen_port > 65535) throw std::invalid_argument("node.listen port out of range");
  n.public_url = c.getString("node.public_url", (c.hasProperty("tls.cert_file") ? "https://" : "http://") + listen);
  n.data_dir = c.getString("node.data_dir", "var/node");
  n.db_path = c.getString("node.db", n.data_dir + "/node.db");
  n.key_file = c.getString("node.key_file", n.data_dir + "/node.pem");
  n.authority_url = c.getString("authority.url", "");
  n.authority_key_file = c.getString("authority.public_key_file", "");
  n.region_code = c.getString("node.region_code", "44");
  if (n.region_code.size() != 2 || !std::isdigit(static_cast<unsigned char>(n.region_code[0])) ||
      !std::isdigit(static_cast<unsigned char>(n.region_code[1])))
    throw std::invalid_argument("node.region_code must be 2 digits");
  // QR codes point at one URL: by default the first of an authority group's.
  n.authority_public_url = c.getString("authority.public_url", n.authority_url.substr(0, n.authority_url.find(',')));
  n.chain_origin = c.getString("chain.origin", DefaultOrigin(n.public_url));
  const std::string suite = c.getString("chain.suite", std::string(ledger::SuiteName(ledger::kDefaultSuite)));
  if (auto parsed = ledger::ParseSuite(suite)) n.suite = *parsed;
  else throw std::invalid_argument("chain.suite must be ed25519-sha256 or sm2-sm3, not '" + suite + "'");
  n.witness_name = c.getString("witness.name", DefaultOrigin(n.public_url));
  for (int i = 1; c.hasProperty("witness." + std::to_string(i) + ".key"); ++i) {
    const std::string prefix = "witness." + std::to_string(i);
    std::string vkey = c.getString(prefix + ".key"), url = c.getString(prefix + ".url", "");
    auto parsed = ledger::tlog::ParseVerifierKey(vkey);
    if (!parsed.ok() || parsed->type != ledger::tlog::CosignatureType(n.suite))
      throw std::invalid_argument(prefix + ".key must be a witness's " + std::string(ledger::SuiteName(n.suite)) +
                                  " verifier key (name+id+key): " +
                                  (parsed.ok() ? std::string("not a cosigning key of this suite") : parsed.status().message()));
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
      throw std::invalid_argument(prefix + ".url must be the witness node's http(s) URL");
    n.witnesses.emplace_back(vkey, url);
  }
  n.witness_quorum = c.getInt("witness.quorum", static_cast<int>(n.witnesses.size()));
  if (n.witness_quorum < 0 || n.witness_quorum > static_cast<int>(n.witnesses.size()))
    throw std::invalid_argument("witness.quorum must be 0.." + std::to_string(n.witnesses.size()) + " (the witnesses listed)");
  if (!ledger::tlog::ValidKeyName(n.witness_name) || n.witness_name.size() > 200)
    throw std::invalid_argument("witness.name must be a name without spaces or '+' (like shop.example/witness), at most 200 bytes");
  if (!ledger::tlog::ValidKeyName(n.chain_origin) || n.chain_origin.size() > 200)
    throw std::invalid_argument("chain.origin must be a name without spaces or '+' (like tax.example/chain), at most 200 bytes");
  n.invoice_channel = c.getInt("invoice.channel", 1);
  if (n.invoice_channel < 0 || n.invoice_channel > 9) throw std::invalid_argument("invoice.channel must be 0..9");
  n.invoice_range_size = c.getUInt64("invoice.range_size", 100000);
  if (n.invoice_range_size < 10 || n.invoice_range_size > 100000000)
    throw std::invalid_argument("invoice.range_size must be 10..100000000");
  n.invoice_drawer = c.getString("invoice.drawer", "");
  n.tax_bureau = c.getString("invoice.tax_bureau", "");
  for (const auto& [key, value] : {std::pair<const char*, const std::string&>{"invoice.drawer", n.invoice_drawer},
                                   {"invoice.tax_bureau", n.tax_bureau}})
    if (value.size() > 100 || value.find_first_of("\r\n") != std::string::npos)
      throw std::invalid_argument(std::string(key) + " is one line of at most 100 bytes");
  // ui.templates_dir; by default ./ui-templates, else the source tree's (built in).
  n.templates_dir = c.getString("ui.templates_dir", "");
  if (n.templates_dir.empty())
    n.templates_dir = std::filesystem::is_directory("ui-templates") ? "ui-templates" : EINVOICE_DEFAULT_TEMPLATES_DIR;
  n.alipay_app_id = c.getString("payment.alipay.app_id", "");
  n.alipay_seller_id = c.getString("payment.alipay.seller_id", "");
  n.alipay_public_key_file = c.getString("payment.alipay.public_key_file", "");
  n.alipay_private_key_file = c.getString("payment.alipay.private_key_file", "");
  if (!n.alipay_app_id.empty() && n.alipay_public_key_file.empty())
    throw std::invalid_argument("payment.alipay.app_id needs payment.alipay.public_key_file");
  n.wechat_mchid = c.getString("payment.wechatpay.mchid", "");
  n.wechat_serial = c.getString("payment.wechatpay.platform_serial", "");
  n.wechat_public_key_file = c.getString("payment.wechatpay.platform_public_key_file", "");
  n.wechat_private_key_file = c.getString("payment.wechatpay.platform_private_key_file", "");
  n.wechat_api_v3_key = c.getString("payment.wechatpay.api_v3_key", "");
  if (!n.wechat_api_v3_key.empty() && n.wechat_api_v3_key.size() != 32)
    throw std::invalid_argument("payment.wechatpay.api_v3_key must be 32 bytes");
  n.generic_secret = c.getString("payment.generic.secret", "");
  n.callback_tolerance_s = c.getInt("payment.timestamp_tolerance_s", 300);
  n.demo_checkout = c.getBool("demo.checkout", false);
  n.audit_invoice_deadline_hours = c.getInt("audit.invoice_deadline_hours", 48);
  if (n.audit_invoice_deadline_hours < 1) throw std::invalid_argument("audit.invoice_deadline_hours must be at least 1");
  n.audit_filing_deadline_day = c.getInt("audit.filing_deadline_day", 15);
  if (n.audit_filing_deadline_day < 1 || n.audit_filing_deadline_day > 28)
    throw std::invalid_argument("audit.filing_deadline_day must be 1..28");
  n.tls_cert_file = c.getString("tls.cert_file", "");
  n.tls_key_file = c.getString("tls.key_file", "");
  n.tls_ca_file = c.getString("tls.ca_file", "");
  if (n.tls_cert_file.empty() != n.tls_key_file.empty())
    throw std::invalid_argument("tls.cert_file and tls.key_file go together");
  n.mail.host = c.getString("mail.host", "");
  n.mail.port = c.getInt("mail.port", 25);
  n.mail.starttls = c.getBool("mail.starttls", false);
  n.mail.user = c.getString("mail.user", "");
  n.mail_password_file = c.getString("mail.password_file", "");
  n.mail.from = c.getString("mail.from", "");
  n.mail.from_name = c.getString("mail.from_name", "");
  n.mail.tls_ca_file = n.tls_ca_file;
  n.mail.timeout_s = c.getInt("mail.timeout_s", 30);
  n.mail.retry_max_s = c.getInt("mail.retry_max_s", 300);
  n.mail.give_up_hours = c.getInt("mail.give_up_hours", 72);
  if (!n.mail.host.empty()) {
    const std::string& from = n.mail.from;
    if (from.find('@') == std::string::npos || from.find_first_of("<>\"\r\n ,;") != std::string::npos || from.size() > 254)
      throw std::invalid_argument("mail.from must be the sender's e-mail address (name@domain) when mail.host is set");
    if (n.mail.port < 1 || n.mail.port > 65535) throw std::invalid_argument("mail.port must be 1..65535");
    if (n.mail.from_name.find_first_of("\r\n") != std::string::npos || n.mail.from_name.size() > 100)
      throw std::invalid_argument("mail.from_name is one line of at most 100 bytes");
    const bool loopback = n.mail.host == "127.0.0.1" || n.mail.host == "localhost" || n.mail.host == "::1";
    if (!n.mail.user.empty() && !n.mail.starttls && !loopback)
      throw std::invalid_argument("mail.user needs mail.starttls: the password would cross the network in clear");
    if (!n.mail.user.empty() && n.mail_password_file.empty())
      throw std::invalid_argument("mail.user needs mail.password_file");
    if (n.mail.timeout_s < 1 || n.mail.timeout_s > 300) throw std::invalid_argument("mail.timeout_s must be 1..300");
    if (n.mail.retry_max_s < 5 || n.mail.retry_max_s > 86400) throw std::invalid_argument("mail.retry_max_s must be 5..86400");
    if (n.mail.give_up_hours < 1 || n.mail.give_up_hours > 720)
      throw std::invalid_argument("mail.give_up_hours must be 1..720");
  }
  n.group_self = c.getString("group.self", "");
  for (const std::string& item : SplitList(c.getString("group.members", ""))) {
    auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || (item.compare(eq + 1, 7, "http://") != 0 && item.compare(eq + 1, 8, "https://") != 0))
      throw std::invalid_argument("group.members is id=http(s)://host:port, comma-separated, not '" + item + "'");
    n.group_members.emplace_back(item.substr(0, eq), item.substr(eq + 1));
  }
  n.group_etcd = SplitList(c.getString("group.etcd", ""));
  n.group_lease_s = c.getInt("group.lease_s", 2);
  n.group_genesis_time_ms = c.getUInt64("group.genesis_time_ms", 0);
  if (!n.group_members.empty()) {
    if (n.role != Role::kAuthority) throw std::invalid_argument("group.members is for authority nodes");
    if (n.group_members.size() < 3) throw std::invalid_argument("an authority group has 3 members or more");
    bool listed = false;
    for (const auto& m : n.group_members) listed = listed || m.first == n.group_self;
    if (!listed) throw std::invalid_argument("group.self must be one of group.members' ids");
    if (n.group_etcd.empty()) throw std::invalid_argument("an authority group needs group.etcd (etcd client URLs)");
    if (n.group_lease_s < 2 || n.group_lease_s > 60) throw std::invalid_argument("group.lease_s must be 2..60");
    if (!n.witnesses.empty()) throw std::invalid_argument("an authority group does not take witnesses yet (app/group/README.md)");
    if (!c.hasProperty("chain.origin"))
      throw std::invalid_argument("an authority group needs chain.origin, the same on every member (its checkpoints' name)");
  }
  n.max_event_age_hours = c.getInt("authority.max_event_age_hours", 72);
  if (n.max_event_age_hours < 1 || n.max_event_age_hours > 24 * 366)
    throw std::invalid_argument("authority.max_event_age_hours must be 1..8784");
  n.clock_skew_s = c.getInt("authority.clock_skew_s", 300);
  if (n.clock_skew_s < 1 || n.clock_skew_s > 3600) throw std::invalid_argument("authority.clock_skew_s must be 1..3600");
  n.header_timeout_s = c.getInt("http.header_timeout_s", 5);
  n.body_timeout_s = c.getInt("http.body_timeout_s", 15);
  n.max_connections_per_peer = c.getInt("http.max_connections_per_peer", 16);
  n.max_long_polls = c.getInt("http.max_long_polls", 8);
  if (n.header_timeout_s < 1 || n.header_timeout_s > 120) throw std::invalid_argument("http.header_timeout_s must be 1..120");
  if (n.body_timeout_s < 1 || n.body_timeout_s > 600) throw std::invalid_argument("http.body_timeout_s must be 1..600");
  if (n.max_connections_per_peer < 0) throw std::invalid_argument("http.max_connections_per_peer must be 0 or more");
  if (n.max_long_polls < 0) throw std::invalid_argument("http.max_long_polls must be 0 or more");
  n.http_threads = c.getInt("http.threads", 32);
  n.keep_alive_s = c.getInt("http.keep_alive_timeout_s", 5);
  n.max_keep_alive_requests = c.getInt("http.max_keep_alive_requests", 1000);
  if (n.http_threads < 2 || n.http_threads > 1024) throw std::invalid_argument("http.threads must be 2..1024");
  if (n.role == Role::kTaxpayer && (n.authority_url.empty() || n.authority_key_file.empty()))
    throw std::invalid_argument("a taxpayer node needs authority.url and authority.public_key_file");
  if (n.role == Role::kTaxpayer && n.tax_id.empty()) throw std::invalid_argument("a taxpayer node needs node.tax_id");
  if (n.role == Role::kWitness && n.authority_key_file.empty())
    throw std::invalid_argument("a witness node needs authority.public_key_file (the key of the log it witnesses)");
  return n;
}

const char* RoleName(Role r) {
  switch (r) {
    case Role::kAuthority: return "authority";
    case Role::kTaxpayer: return "taxpayer";
    case Role::kWitness: return "witness";
  }
  return "?";
}

}  // namespace app
