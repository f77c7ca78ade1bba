// The merchant's issuing: numbers from the granted ranges, blue and red invoices (or a
// red-letter confirmation request first, for a claimed invoice), and the pump that applies
// for ranges and hands pending entries to the authority until each is sealed or refused.
#include "app/base/logging.h"
#include "app/base/or_throw.h"
#include "app/documents/order_json.h"
#include "app/merchant/merchant.h"
#include "app/merchant/merchant_sql.h"
#include "app/merchant/payment_crypto.h"
#include "invoice/event_codec.h"
#include "invoice/ubl.h"
#include "ledger/entry.h"

namespace app {
namespace {

constexpr size_t kSubmitBatch = 500;

using merchant_sql::Log;
using merchant_sql::ParseStored;

}  // namespace

std::optional<std::string> Merchant::TakeNumberLocked() {
  auto lease = allocator_.Take(1);
  if (lease.numbers.empty()) return std::nullopt;
  // Persisted in the caller's transaction, together with the invoice that uses the number.
  SetMeta("allocator", allocator_.State());
  return lease.numbers[0].ToString();
}

void Merchant::InsertInvoiceLocked(const invoice::Invoice& inv) {
  std::string payload = invoice::EncodeEvent(invoice::IssueEvent{inv});
  auto entry = ledger::Entry::Make("issue", config_.seller.tax_id, ledger::Bytes(payload.begin(), payload.end()), key_);
  OrThrow(entry);
  ledger::Bytes bytes = entry->Encode();
  auto s = Q("INSERT INTO app_invoice(invoice_no, order_id, color, original_no, total_fen, issued_ms, status, entry, "
             "leaf_hash, buyer_name, buyer_tax_id, tax_fen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7, ?8, ?9, ?10, ?11)");
  s.Bind(1, inv.invoice_no).Bind(2, inv.order_id).Bind(3, std::string(invoice::ColorName(inv.color)));
  if (inv.original_no.empty()) s.BindNull(4);
  else s.Bind(4, inv.original_no);
  s.Bind(5, inv.TotalFen()).Bind(6, static_cast<int64_t>(inv.issued_at_ms)).Bind(7, ledger::ByteView(bytes))
      .Bind(8, ledger::LeafHash(bytes).Hex()).Bind(9, inv.buyer.name).Bind(10, inv.buyer.tax_id).Bind(11, inv.TaxFen());
  OrThrow(s.Run());
}

void Merchant::IssueDueLocked() {
  // Blue invoices for paid orders whose buyer is known.
  // An order whose blue invoice the authority refused for its buyer is due again once it
  // has a new buyer (ReopenForBuyerLocked); any other refusal stands.
  auto due = Q("SELECT o.order_id FROM app_order o WHERE o.status IN ('paid', 'refunded') AND o.buyer_json IS NOT NULL "
               "AND o.payment_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM app_invoice i WHERE i.order_id = o.order_id "
               "AND i.color = 'blue' AND (i.status != 'rejected' OR coalesce(i.refusal_field, '') NOT LIKE 'buyer.%')) "
               "ORDER BY o.created_ms LIMIT 1000");
  std::vector<std::string> orders;
  while (ValueOrThrow(due.Step())) orders.push_back(due.Text(0));
  for (const std::string& id : orders) {
    auto o = Q("SELECT order_json, buyer_json, payment_id FROM app_order WHERE order_id = ?1");
    ValueOrThrow(o.Bind(1, id).Step());
    invoice::Order order = OrderFromJson(ParseStored(o.Text(0)), /*validate=*/false);
    invoice::Party buyer = BuyerFromJson(ParseStored(o.Text(1)), "buyer.", /*validate=*/false);
    std::string payment_id = o.Text(2);
    o.Reset();
    if (auto problem = invoice::ValidateBuyer(buyer, "buyer.")) {
      // Stored before the edges checked it as the authority does: ask for the buyer again.
      Log().warning("order %s: %s; the buyer is asked again", id, problem->message);
      ReopenForBuyerLocked(id);
      continue;
    }
    auto no = TakeNumberLocked();
    if (!no) return;  // no numbers yet: the pump applies and comes back
    InsertInvoiceLocked(invoice::MakeBlue(order, config_.seller, buyer, *no, clock_(), payment_id));
    OrThrow(Q("UPDATE app_order SET status = 'invoiced' WHERE order_id = ?1 AND status = 'paid'").Bind(1, id).Run());
  }
  // Red invoices for refunds whose blue invoice exists and was not refused.
  auto refunds = Q("SELECT r.refund_id, r.amount_fen, i.invoice_no FROM app_refund r JOIN app_invoice i "
                   "ON i.order_id = r.order_id AND i.color = 'blue' AND i.status != 'rejected' "
                   "WHERE r.red_invoice_no IS NULL AND NOT EXISTS (SELECT 1 FROM app_confirmation c "
                   "WHERE c.refund_id = r.refund_id AND c.status IN ('rejected', 'refused')) "
                   "ORDER BY r.received_ms LIMIT 1000");
  struct Due { std::string refund_id; invoice::Fen amount; std::string blue_no; };
  std::vector<Due> reds;
  while (ValueOrThrow(refunds.Step())) reds.push_back({refunds.Text(0), refunds.Int(1), refunds.Text(2)});
  for (const Due& d : reds) {
    // A claimed (locked or settled) invoice is reversed only with the buyer company's
    // confirmation: ask first, issue the red invoice once the answer is on the chain.
    auto conf = Q("SELECT request_id, status FROM app_confirmation WHERE refund_id = ?1");
    std::string confirmation_id;
    if (ValueOrThrow(conf.Bind(1, d.refund_id).Step())) {
      std::string request_id = conf.Text(0);
      if (conf.Text(1) != "sealed") continue;  // not yet on the chain, or refused outright
      auto answer = view_ ? view_->With([&](const invoice::Lifecycle& lc) {
        const invoice::ConfirmationState* c = lc.FindConfirmation(request_id);
        return c ? c->status : invoice::ConfirmationState::Status::kPending;
      }) : invoice::ConfirmationState::Status::kPending;
      if (answer == invoice::ConfirmationState::Status::kRefused) {
        // The buyer company refused: the invoice stands; the refund stays without a red invoice.
        OrThrow(Q("UPDATE app_confirmation SET status = 'refused' WHERE request_id = ?1").Bind(1, request_id).Run());
        continue;
      }
      if (answer != invoice::ConfirmationState::Status::kAccepted) continue;  // not answered yet
      confirmation_id = request_id;
    } else if (view_ && view_->With([&](const invoice::Lifecycle& lc) {
                 const invoice::InvoiceState* st = lc.FindInvoice(d.blue_no);
                 return st && st->reimbursement != invoice::Reimbursement::kNone;
               })) {
      RequestConfirmationLocked(d.refund_id, d.blue_no, d.amount);
      continue;
    }
    auto blue = Q("SELECT entry FROM app_invoice WHERE invoice_no = ?1");
    ValueOrThrow(blue.Bind(1, d.blue_no).Step());
    const invoice::Invoice original = StoredInvoice(blue.Blob(0));
    auto before = Q("SELECT coalesce(-sum(total_fen), 0) FROM app_invoice WHERE original_no = ?1 AND status != 'rejected'");
    ValueOrThrow(before.Bind(1, d.blue_no).Step());
    auto no = TakeNumberLocked();
    if (!no) return;
    invoice::Invoice red = invoice::MakeRed(original, before.Int(0), d.amount, *no, clock_(), d.refund_id, "02");
    red.confirmation_id = confirmation_id;
    InsertInvoiceLocked(red);
    OrThrow(Q("UPDATE app_refund SET red_invoice_no = ?2 WHERE refund_id = ?1").Bind(1, d.refund_id).Bind(2, *no).Run());
  }
}

void Merchant::RequestConfirmationLocked(const std::string& refund_id, const std::string& blue_no, invoice::Fen amount) {
  invoice::ConfirmEvent ev{{"rc-" + payment::RandomHex(8), clock_()}, invoice::ConfirmAction::kRequest, "", blue_no,
                           amount, "02"};
  ev.request_id = ev.meta.event_id;
  std::string payload = invoice::EncodeEvent(ev);
  auto entry = ledger::Entry::Make("confirm", config_.seller.tax_id, ledger::Bytes(payload.begin(), payload.end()), key_);
  OrThrow(entry);
  ledger::Bytes bytes = entry->Encode();
  OrThrow(Q("INSERT INTO app_confirmation(request_id, refund_id, invoice_no, amount_fen, entry, status) "
          "VALUES (?1, ?2, ?3, ?4, ?5, 'pending') ON CONFLICT(refund_id) DO NOTHING")
            .Bind(1, ev.request_id).Bind(2, refund_id).Bind(3, blue_no).Bind(4, amount).Bind(5, ledger::ByteView(bytes))
            .Run());
  Log().information("refund %s of claimed invoice %s: red-letter confirmation %s requested", refund_id, blue_no,
                    ev.request_id);
}

void Merchant::ApplyIfNeeded() {
  ledger::Bytes entry;
  {
    MutexLock lock(mu_);
    if (allocator_.Remaining() > config_.range_size / 10) return;
    std::string pending = Meta("apply_entry");
    if (pending.empty()) {
      // A new application, kept until the authority answers so that a retry is the same entry.
      std::string year = invoice::ChinaDate(clock_()).substr(2, 2);
      invoice::ApplyEvent ev{{"apply-" + payment::RandomHex(8), clock_()}, config_.seller.tax_id,
                             {std::stoi(year), config_.region, config_.channel}, config_.range_size};
      std::string payload = invoice::EncodeEvent(ev);
      auto e = ledger::Entry::Make("apply", config_.seller.tax_id, ledger::Bytes(payload.begin(), payload.end()), key_);
      OrThrow(e);
      pending = ledger::ToHex(e->Encode());
      SetMeta("apply_entry", pending);
    }
    entry = *ledger::FromHex(pending);
  }
  auto result = authority_->Submit({entry}).at(0);  // network, outside the lock
  MutexLock lock(mu_);
  ledger::sql::Transaction tx(db_.get());
  OrThrow(tx.begin_status());
  if (result.sealed && result.verdict.granted) {
    const invoice::NumberRange& g = *result.verdict.granted;
    if (allocator_.Grant(g)) SetMeta("allocator", allocator_.State());
    Log().information("granted invoice numbers %s from %s, %s of them", g.prefix.ToString(), std::to_string(g.first),
                      std::to_string(g.count));
  } else {
    Log().error("number application refused: %s", result.verdict.message);
  }
  OrThrow(Q("DELETE FROM app_meta WHERE key = 'apply_entry'").Run());
  OrThrow(tx.Commit());
}

void Merchant::SubmitPending() {
  std::vector<std::string> numbers;  // invoice numbers, then confirmation request ids
  std::vector<ledger::Bytes> entries;
  size_t invoices = 0;
  {
    MutexLock lock(mu_);
    auto s = Q("SELECT invoice_no, entry FROM app_invoice WHERE status = 'pending' ORDER BY issued_ms LIMIT ?1");
    s.Bind(1, static_cast<int64_t>(kSubmitBatch));
    while (ValueOrThrow(s.Step())) {
      numbers.push_back(s.Text(0));
      entries.push_back(s.Blob(1));
    }
    invoices = numbers.size();
    auto c = Q("SELECT request_id, entry FROM app_confirmation WHERE status = 'pending' LIMIT 100");
    while (ValueOrThrow(c.Step())) {
      numbers.push_back(c.Text(0));
      entries.push_back(c.Blob(1));
    }
  }
  if (entries.empty()) return;
  auto results = authority_->Submit(entries);
  MutexLock lock(mu_);
  ledger::sql::Transaction tx(db_.get());
  OrThrow(tx.begin_status());
  for (size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    const bool sealed = r.sealed;
    const std::string code = sealed ? "" : std::string(invoice::RefusalCode(r.verdict.refusal));
    if (i >= invoices) {
      auto u = Q("UPDATE app_confirmation SET status = ?2, height = ?3, refusal_code = ?4 WHERE request_id = ?1");
      u.Bind(1, numbers[i]).Bind(2, sealed ? "sealed" : "rejected");
      if (sealed) u.Bind(3, static_cast<int64_t>(r.height)).BindNull(4);
      else u.BindNull(3).Bind(4, code);
      OrThrow(u.Run());
      if (!sealed) Log().warning("confirmation request %s refused by the authority: %s", numbers[i], code);
      continue;
    }
    if (sealed) {
      OrThrow(Q("UPDATE app_invoice SET status = 'sealed', height = ?2, leaf_index = ?3 WHERE invoice_no = ?1")
                .Bind(1, numbers[i]).Bind(2, static_cast<int64_t>(r.height)).Bind(3, static_cast<int64_t>(r.leaf_index))
                .Run());
      if (config_.mail) QueueBuyerMailLocked(StoredInvoice(entries[i]));
      continue;
    }
    const std::string& field = r.verdict.field;
    OrThrow(Q("UPDATE app_invoice SET status = 'rejected', refusal_code = ?2, refusal_message = ?3, refusal_field = ?4 "
            "WHERE invoice_no = ?1")
              .Bind(1, numbers[i]).Bind(2, code).Bind(3, r.verdict.message).Bind(4, field).Run());
    Log().warning("invoice %s refused by the authority: %s (%s)", numbers[i], code, field);
    if (field.rfind("buyer.", 0) == 0) {
      auto order = Q("SELECT order_id FROM app_invoice WHERE invoice_no = ?1 AND color = 'blue'");
      if (ValueOrThrow(order.Bind(1, numbers[i]).Step())) ReopenForBuyerLocked(order.Text(0));
    }
    if (r.verdict.refusal == invoice::Refusal::kNeedsBuyerConfirmation) {
      // The buyer claimed the invoice before this node saw it: ask for the confirmation now;
      // the red invoice follows under a new number once the company accepts.
      auto red = Q("SELECT r.refund_id, r.amount_fen, i.original_no FROM app_refund r JOIN app_invoice i "
                   "ON i.invoice_no = r.red_invoice_no WHERE r.red_invoice_no = ?1");
      if (ValueOrThrow(red.Bind(1, numbers[i]).Step())) {
        std::string refund_id = red.Text(0), blue_no = red.Text(2);
        invoice::Fen amount = red.Int(1);
        OrThrow(Q("UPDATE app_refund SET red_invoice_no = NULL WHERE refund_id = ?1").Bind(1, refund_id).Run());
        RequestConfirmationLocked(refund_id, blue_no, amount);
      }
    }
  }
  OrThrow(tx.Commit());
}

void Merchant::PumpOnce() {
  MutexLock rounds(pump_round_mu_);  // one round at a time, whoever calls it
  ApplyIfNeeded();
  {
    MutexLock lock(mu_);
    ledger::sql::Transaction tx(db_.get());
    OrThrow(tx.begin_status());
    IssueDueLocked();
    OrThrow(tx.Commit());
  }
  SubmitPending();
}

void Merchant::StartPump() {
  pump_ = std::thread([this] {
    int backoff_ms = 0;
    while (true) {
      {
        MutexLock lock(pump_mu_);
        if (!pump_stop_ && !pump_wake_) pump_cv_.WaitFor(pump_mu_, std::chrono::milliseconds(backoff_ms ? backoff_ms : 1000));
        if (pump_stop_) return;
        pump_wake_ = false;
      }
      try {
        PumpOnce();
        backoff_ms = 0;
      } catch (const std::exception& e) {
        // The authority is unreachable or refused the batch: everything stays pending.
        backoff_ms = std::min(backoff_ms ? backoff_ms * 2 : 500, 5000);  // back within 5 s of the authority
        Log().warning("pump: %s (retrying in %d ms)", Describe(e), backoff_ms);
      }
    }
  });
}

void Merchant::StopPump() {
  {
    MutexLock lock(pump_mu_);
    pump_stop_ = true;
  }
  pump_cv_.SignalAll();
  if (pump_.joinable()) pump_.join();
}

}  // namespace app
