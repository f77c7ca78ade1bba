// What the node serves itself: GET /healthz (answered by the server's front even when every
// worker is busy), GET /metrics (Prometheus text: requests, callbacks, and each part's
// gauges and counters) and the home page.
#include <Poco/JSON/Object.h>

#include <sstream>

#include "app/node/node.h"

namespace app {

using Poco::JSON::Object;

std::string Node::HealthBody() {
  Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  auto head = store_->Head();
  std::string alarm = replicator_ && replicator_->alarm() ? replicator_->alarm_reason()
                      : authority_                        ? authority_->sealing_refused()
                                                          : std::string();
  o->set("status", !alarm.empty() ? "degraded" : head.ok() ? "ok" : "starting");
  if (!alarm.empty()) o->set("alarm", alarm);
  o->set("role", RoleName(config_.role));
  o->set("suite", std::string(ledger::SuiteName(config_.suite)));
  o->set("name", config_.name);
  o->set("height", head.ok() ? head->header.height : 0);
  if (witness_) o->set("witness_key", witness_->VerifierKey());
  if (group_) {
    Group::State g = group_->state();
    Object::Ptr go = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    go->set("self", group_->self());
    go->set("role", Group::RoleName(g.role));
    go->set("epoch", g.epoch);
    go->set("leader", g.leader);
    go->set("lag", g.leader_height - g.height);
    go->set("voter", g.voter);
    go->set("majority", g.majority);
    go->set("members", g.members);
    o->set("group", go);
  }
  if (replicator_ && replicator_->finality().enabled()) {  // what this node holds is final up to here
    auto c = replicator_->final_checkpoint();
    o->set("final_tree_size", c ? c->checkpoint.size : 0);
  }
  std::ostringstream out;
  o->stringify(out);
  return out.str();
}

void Node::AddGroupMetrics(std::ostream& out) {
  Group::State g = group_->state();
  out << "# HELP einvoice_group_role This member's role in the authority group (1 for the role it has).\n"
      << "# TYPE einvoice_group_role gauge\n";
  for (auto r : {Group::Role::kLeader, Group::Role::kCandidate, Group::Role::kFollower})
    out << "einvoice_group_role{role=\"" << Group::RoleName(r) << "\"} " << (g.role == r ? 1 : 0) << "\n";
  out << "# HELP einvoice_group_epoch The epoch this member leads or follows (the leader key's etcd revision).\n"
      << "# TYPE einvoice_group_epoch gauge\n"
      << "einvoice_group_epoch " << g.epoch << "\n"
      << "# HELP einvoice_group_lag_blocks Blocks the leader holds that this member does not yet.\n"
      << "# TYPE einvoice_group_lag_blocks gauge\n"
      << "einvoice_group_lag_blocks " << (g.leader_height - g.height) << "\n"
      << "# HELP einvoice_group_voter 1 when this member answers a new leader's prepare (0: restored, not yet caught up).\n"
      << "# TYPE einvoice_group_voter gauge\n"
      << "einvoice_group_voter " << (g.voter ? 1 : 0) << "\n"
      << "# HELP einvoice_group_majority Members that must hold a block before it is acknowledged.\n"
      << "# TYPE einvoice_group_majority gauge\n"
      << "einvoice_group_majority " << g.majority << "\n"
      << "# HELP einvoice_group_members Members of the authority group.\n"
      << "# TYPE einvoice_group_members gauge\n"
      << "einvoice_group_members " << g.members << "\n"
      << "# HELP einvoice_group_leaderships_total Times this member became the leader.\n"
      << "# TYPE einvoice_group_leaderships_total counter\n"
      << "einvoice_group_leaderships_total " << g.failovers << "\n"
      << "# HELP einvoice_group_commits_total Blocks this member committed as leader (held by a majority).\n"
      << "# TYPE einvoice_group_commits_total counter\n"
      << "einvoice_group_commits_total " << g.commits << "\n"
      << "# HELP einvoice_group_commit_ms From proposing a block to a majority holding it, over the last 10,000 blocks.\n"
      << "# TYPE einvoice_group_commit_ms summary\n"
      << "einvoice_group_commit_ms{quantile=\"0.5\"} " << g.commit_p50_ms << "\n"
      << "einvoice_group_commit_ms{quantile=\"0.99\"} " << g.commit_p99_ms << "\n";
  if (g.role == Group::Role::kLeader) {
    out << "# HELP einvoice_group_member_height Each other member's chain height, as the leader last heard.\n"
        << "# TYPE einvoice_group_member_height gauge\n";
    for (const auto& p : g.peers) out << "einvoice_group_member_height{member=\"" << p.id << "\"} " << p.height << "\n";
    out << "# HELP einvoice_group_member_reachable 1 when the leader reached the member last time it tried.\n"
        << "# TYPE einvoice_group_member_reachable gauge\n";
    for (const auto& p : g.peers) out << "einvoice_group_member_reachable{member=\"" << p.id << "\"} " << (p.reachable ? 1 : 0) << "\n";
    out << "# HELP einvoice_group_member_voter 1 when the member answered the leader that it votes (0: restored, catching up).\n"
        << "# TYPE einvoice_group_member_voter gauge\n";
    for (const auto& p : g.peers) out << "einvoice_group_member_voter{member=\"" << p.id << "\"} " << (p.voter ? 1 : 0) << "\n";
  }
}

void Node::AddHealthRoutes(Router& r) {
  r.Add("GET", "/", [this](Exchange& ex) {
    PageData d = site_->Page(ex, "home.title", {{"name", config_.name}});
    auto head = store_->Head();
    d.set("height_text", site_->Text(ex, "home.height", {{"height", head.ok() ? std::to_string(head->header.height) : "—"}}));
    d.set("role_text", site_->Text(ex, config_.role == Role::kAuthority ? "home.authority"
                                                  : config_.role == Role::kWitness ? "home.witness"
                                                                                   : "home.taxpayer"));
    d.set("authority", config_.role == Role::kAuthority);
    if (!config_.tax_id.empty()) d.set("tax_id_text", site_->Text(ex, "home.tax_id", {{"tax_id", config_.tax_id}}));
    if (merchant_ && config_.demo_checkout) {
      d.set("checkout", true);
      if (!config_.alipay_app_id.empty()) d.set("alipay", true);
      d.set("products", MerchantPages::CheckoutProducts(*site_, ex));
    }
    site_->SendPage(ex, 200, "home", d);
  });
  r.Add("GET", "/healthz", [this](Exchange& ex) { ex.Send(200, "application/json", HealthBody()); });
  r.Add("GET", "/metrics", [this](Exchange& ex) {
    std::ostringstream out;
    out << metrics_.Prometheus();
    auto head = store_->Head();
    out << "# HELP einvoice_chain_height Height of the newest block this node holds.\n"
        << "# TYPE einvoice_chain_height gauge\n"
        << "einvoice_chain_height " << (head.ok() ? head->header.height : 0) << "\n"
        << "# HELP einvoice_chain_tree_size Entries sealed up to the newest block.\n"
        << "# TYPE einvoice_chain_tree_size gauge\n"
        << "einvoice_chain_tree_size " << (head.ok() ? head->header.tree_size : 0) << "\n";
    if (authority_)
      out << "# HELP einvoice_sealing_refused 1 when the chain is behind a head this authority signed and it seals nothing.\n"
          << "# TYPE einvoice_sealing_refused gauge\n"
          << "einvoice_sealing_refused " << (authority_->sealing_refused().empty() ? 0 : 1) << "\n"
          << "# HELP einvoice_audit_records_repeated_total Refusals and alarms folded into an earlier record of the same.\n"
          << "# TYPE einvoice_audit_records_repeated_total counter\n"
          << "einvoice_audit_records_repeated_total " << audit_->repeated() << "\n"
          << "# HELP einvoice_audit_records_dropped_total Refusals and alarms not recorded: over a taxpayer's hourly limit.\n"
          << "# TYPE einvoice_audit_records_dropped_total counter\n"
          << "einvoice_audit_records_dropped_total " << audit_->dropped() << "\n";
    if (group_) AddGroupMetrics(out);
    if (cosigner_) {
      out << "# HELP einvoice_cosigned_tree_size The tree size of the newest checkpoint with witness.quorum cosignatures.\n"
          << "# TYPE einvoice_cosigned_tree_size gauge\n"
          << "einvoice_cosigned_tree_size " << cosigner_->cosigned_size() << "\n"
          << "# HELP einvoice_cosign_latency_ms From the newest cosigned block's time to its quorum of cosignatures.\n"
          << "# TYPE einvoice_cosign_latency_ms gauge\n"
          << "einvoice_cosign_latency_ms " << cosigner_->last_latency_ms() << "\n"
          << "# HELP einvoice_witness_cosigned_size The tree size each witness cosigned last.\n"
          << "# TYPE einvoice_witness_cosigned_size gauge\n";
      auto states = cosigner_->states();
      for (const auto& w : states) out << "einvoice_witness_cosigned_size{witness=\"" << w.name << "\"} " << w.size << "\n";
      out << "# HELP einvoice_witness_refusals_total Checkpoints a witness refused (403, 422): two histories were shown.\n"
          << "# TYPE einvoice_witness_refusals_total counter\n";
      for (const auto& w : states) out << "einvoice_witness_refusals_total{witness=\"" << w.name << "\"} " << w.refusals << "\n";
    }
    if (replicator_) {
      out << "# HELP einvoice_split_view_alarm 1 when the authority showed this node a history that does not extend its own.\n"
          << "# TYPE einvoice_split_view_alarm gauge\n"
          << "einvoice_split_view_alarm " << (replicator_->alarm() ? 1 : 0) << "\n"
          << "# HELP einvoice_replicated_blocks_total Blocks applied to this node's replica.\n"
          << "# TYPE einvoice_replicated_blocks_total counter\n"
          << "einvoice_replicated_blocks_total " << replicator_->applied() << "\n";
    }
    if (merchant_) {
      Merchant::Counters c = merchant_->counters();
      out << "# HELP einvoice_invoices Invoices this node issued, by status.\n"
          << "# TYPE einvoice_invoices gauge\n"
          << "einvoice_invoices{status=\"sealed\"} " << c.sealed << "\n"
          << "einvoice_invoices{status=\"pending\"} " << c.pending << "\n"
          << "einvoice_invoices{status=\"rejected\"} " << c.rejected << "\n"
          << "# HELP einvoice_invoices_issued_total Invoices this node issued.\n"
          << "# TYPE einvoice_invoices_issued_total counter\n"
          << "einvoice_invoices_issued_total " << c.issued << "\n"
          << "# HELP einvoice_invoice_numbers_left Granted invoice numbers not used yet.\n"
          << "# TYPE einvoice_invoice_numbers_left gauge\n"
          << "einvoice_invoice_numbers_left " << merchant_->NumbersLeft() << "\n";
      InvoicePrinter::Counters p = printer_->counters();
      out << "# HELP einvoice_pdfs_total Invoice PDFs made, served from the cache, refused busy.\n"
          << "# TYPE einvoice_pdfs_total counter\n"
          << "einvoice_pdfs_total{result=\"rendered\"} " << p.rendered << "\n"
          << "einvoice_pdfs_total{result=\"cached\"} " << p.cache_hits << "\n"
          << "einvoice_pdfs_total{result=\"busy\"} " << p.busy << "\n";
      Merchant::MailCounters m = merchant_->mail_counters();
      out << "# HELP einvoice_mail E-mails of invoices in the outbox, by state (queued includes retrying).\n"
          << "# TYPE einvoice_mail gauge\n"
          << "einvoice_mail{state=\"queued\"} " << m.queued << "\n"
          << "einvoice_mail{state=\"retrying\"} " << m.retrying << "\n"
          << "einvoice_mail{state=\"sent\"} " << m.sent << "\n"
          << "einvoice_mail{state=\"failed\"} " << m.failed << "\n";
      if (mailer_) {
        Mailer::Counters a = mailer_->counters();
        out << "# HELP einvoice_mail_attempts_total Attempts to hand an e-mail to the relay, by result.\n"
            << "# TYPE einvoice_mail_attempts_total counter\n"
            << "einvoice_mail_attempts_total{result=\"sent\"} " << a.sent << "\n"
            << "einvoice_mail_attempts_total{result=\"failed\"} " << a.failed_attempts << "\n";
      }
    }
    ex.Send(200, "text/plain; version=0.0.4", out.str());
  });
}

}  // namespace app
