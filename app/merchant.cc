#include "app/merchant.h"

#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>

#include <sstream>

#include "app/order_json.h"
#include "app/payment_crypto.h"
#include "invoice/event_codec.h"
#include "invoice/qr.h"
#include "invoice/ubl.h"
#include "ledger/entry.h"

namespace app {
namespace {

constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS app_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS app_order(order_id TEXT PRIMARY KEY, order_json TEXT NOT NULL, buyer_json TEXT,
  status TEXT NOT NULL, apply_token TEXT UNIQUE, payment_id TEXT, total_fen INTEGER NOT NULL, created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS app_payment(payment_id TEXT PRIMARY KEY, order_id TEXT NOT NULL UNIQUE,
  amount_fen INTEGER NOT NULL, received_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS app_refund(refund_id TEXT PRIMARY KEY, order_id TEXT NOT NULL, amount_fen INTEGER NOT NULL,
  received_ms INTEGER NOT NULL, red_invoice_no TEXT);
CREATE TABLE IF NOT EXISTS app_invoice(invoice_no TEXT PRIMARY KEY, order_id TEXT NOT NULL, color TEXT NOT NULL,
  original_no TEXT, total_fen INTEGER NOT NULL, issued_ms INTEGER NOT NULL, status TEXT NOT NULL, entry BLOB NOT NULL,
  leaf_hash TEXT NOT NULL, height INTEGER, leaf_index INTEGER, refusal_code TEXT, refusal_message TEXT);
CREATE INDEX IF NOT EXISTS app_invoice_order ON app_invoice(order_id);
CREATE INDEX IF NOT EXISTS app_invoice_status ON app_invoice(status);
CREATE INDEX IF NOT EXISTS app_invoice_original ON app_invoice(original_no);
CREATE TABLE IF NOT EXISTS app_confirmation(request_id TEXT PRIMARY KEY, refund_id TEXT NOT NULL UNIQUE,
  invoice_no TEXT NOT NULL, amount_fen INTEGER NOT NULL, entry BLOB NOT NULL, status TEXT NOT NULL,
  height INTEGER, refusal_code TEXT);
)";

constexpr size_t kSubmitBatch = 500;

void Check(const ledger::Status& s) {
  if (!s.ok()) throw std::runtime_error(s.ToString());
}

template <typename T>
T Get(ledger::Result<T> r) {
  if (!r.ok()) throw std::runtime_error(r.status().ToString());
  return std::move(r).value();
}

std::string Json(const Poco::JSON::Object::Ptr& o) {
  std::ostringstream ss;
  o->stringify(ss);
  return ss.str();
}

Poco::JSON::Object::Ptr ParseStored(const std::string& s) {
  return Poco::JSON::Parser().parse(s).extract<Poco::JSON::Object::Ptr>();
}

Poco::Logger& Log() { return Poco::Logger::get("merchant"); }

}  // namespace

void CreateMerchantSchema(ledger::sql::Db& db) { Check(db.Exec(kSchema)); }

Merchant::Merchant(MerchantConfig config, const ledger::PrivateKey& key, std::unique_ptr<AuthorityClient> authority,
                   Clock clock, PartyView* view)
    : config_(std::move(config)), key_(key), authority_(std::move(authority)), clock_(std::move(clock)), view_(view) {
  db_ = Get(ledger::sql::Db::Open(config_.db_path, ledger::sql::Db::Mode::kReadWrite));
  CreateMerchantSchema(*db_);
  std::string state = Meta("allocator");
  if (!state.empty()) {
    auto a = invoice::NumberAllocator::FromState(state);
    if (!a) throw std::runtime_error("the stored number allocator state is corrupt");
    allocator_ = std::move(*a);
  }
}

Merchant::~Merchant() { StopPump(); }

ledger::sql::Stmt Merchant::Q(const std::string& sql) { return Get(db_->Prepare(sql)); }

std::string Merchant::Meta(const std::string& key) {
  auto s = Q("SELECT value FROM app_meta WHERE key = ?1");
  return Get(s.Bind(1, key).Step()) ? s.Text(0) : "";
}

void Merchant::SetMeta(const std::string& key, const std::string& value) {
  Check(Q("INSERT INTO app_meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
            .Bind(1, key).Bind(2, value).Run());
}

bool Merchant::CreateOrder(const invoice::Order& order) {
  Poco::JSON::Object::Ptr o = OrderItemsJson(order);
  o->set("order_id", order.order_id);
  std::lock_guard lock(mu_);
  auto s = Q("INSERT INTO app_order(order_id, order_json, buyer_json, status, total_fen, created_ms) "
             "VALUES (?1, ?2, ?3, 'created', ?4, ?5) ON CONFLICT(order_id) DO NOTHING");
  s.Bind(1, order.order_id).Bind(2, Json(o)).Bind(4, order.TotalFen()).Bind(5, static_cast<int64_t>(clock_()));
  if (order.buyer) s.Bind(3, Json(PartyJson(*order.buyer)));
  else s.BindNull(3);
  Check(s.Run());
  return db_->Changes() > 0;
}

std::optional<OrderRecord> Merchant::GetOrder(const std::string& order_id) {
  std::lock_guard lock(mu_);
  auto s = Q("SELECT order_json, buyer_json, status, apply_token, payment_id FROM app_order WHERE order_id = ?1");
  if (!Get(s.Bind(1, order_id).Step())) return std::nullopt;
  OrderRecord r;
  r.order = OrderFromJson(ParseStored(s.Text(0)));
  if (!s.IsNull(1)) r.order.buyer = BuyerFromJson(ParseStored(s.Text(1)), "buyer.");
  r.status = s.Text(2);
  r.apply_token = s.Text(3);
  r.payment_id = s.Text(4);
  auto refunds = Q("SELECT coalesce(sum(amount_fen), 0) FROM app_refund WHERE order_id = ?1");
  Get(refunds.Bind(1, order_id).Step());
  r.refunded_fen = refunds.Int(0);
  auto inv = Q("SELECT invoice_no FROM app_invoice WHERE order_id = ?1 ORDER BY issued_ms, invoice_no");
  inv.Bind(1, order_id);
  while (Get(inv.Step())) r.invoices.push_back(inv.Text(0));
  return r;
}

std::optional<OrderRecord> Merchant::GetOrderByApplyToken(const std::string& token) {
  std::string order_id;
  {
    std::lock_guard lock(mu_);
    auto s = Q("SELECT order_id FROM app_order WHERE apply_token = ?1");
    if (!Get(s.Bind(1, token).Step())) return std::nullopt;
    order_id = s.Text(0);
  }
  return GetOrder(order_id);
}

NoticeOutcome Merchant::Record(const PaymentNotice& n) {
  NoticeOutcome outcome;
  {
    std::lock_guard lock(mu_);
    ledger::sql::Transaction tx(db_.get());
    Check(tx.begin_status());
    auto order = Q("SELECT status, total_fen, buyer_json FROM app_order WHERE order_id = ?1");
    if (!Get(order.Bind(1, n.order_id).Step())) return NoticeOutcome::kUnknownOrder;
    std::string status = order.Text(0);
    invoice::Fen total = order.Int(1);
    bool has_buyer = !order.IsNull(2);
    if (n.kind == PaymentNotice::Kind::kPayment) {
      auto dup = Q("SELECT order_id FROM app_payment WHERE payment_id = ?1");
      if (Get(dup.Bind(1, n.payment_id).Step())) return NoticeOutcome::kDuplicate;
      if (status != "created") return NoticeOutcome::kAlreadyPaid;
      if (n.amount_fen != total) return NoticeOutcome::kAmountMismatch;
      Check(Q("INSERT INTO app_payment(payment_id, order_id, amount_fen, received_ms) VALUES (?1, ?2, ?3, ?4)")
                .Bind(1, n.payment_id).Bind(2, n.order_id).Bind(3, n.amount_fen).Bind(4, static_cast<int64_t>(clock_()))
                .Run());
      auto upd = Q("UPDATE app_order SET status = 'paid', payment_id = ?2, apply_token = ?3 WHERE order_id = ?1");
      upd.Bind(1, n.order_id).Bind(2, n.payment_id);
      if (has_buyer) upd.BindNull(3);
      else upd.Bind(3, payment::RandomHex(16));
      Check(upd.Run());
    } else {
      auto dup = Q("SELECT order_id FROM app_refund WHERE refund_id = ?1");
      if (Get(dup.Bind(1, n.refund_id).Step())) return NoticeOutcome::kDuplicate;
      if (status == "created") return NoticeOutcome::kNotPaid;
      auto sum = Q("SELECT coalesce(sum(amount_fen), 0) FROM app_refund WHERE order_id = ?1");
      Get(sum.Bind(1, n.order_id).Step());
      invoice::Fen refunded = sum.Int(0);
      if (n.amount_fen <= 0 || refunded + n.amount_fen > total) return NoticeOutcome::kRefundTooLarge;
      Check(Q("INSERT INTO app_refund(refund_id, order_id, amount_fen, received_ms) VALUES (?1, ?2, ?3, ?4)")
                .Bind(1, n.refund_id).Bind(2, n.order_id).Bind(3, n.amount_fen).Bind(4, static_cast<int64_t>(clock_()))
                .Run());
      if (refunded + n.amount_fen == total)
        Check(Q("UPDATE app_order SET status = 'refunded' WHERE order_id = ?1").Bind(1, n.order_id).Run());
    }
    IssueDueLocked();
    Check(tx.Commit());  // the notice is durable from here on: the caller may answer 2xx
    outcome = NoticeOutcome::kRecorded;
  }
  {
    std::lock_guard lock(pump_mu_);
    pump_wake_ = true;
  }
  pump_cv_.notify_one();
  return outcome;
}

bool Merchant::ApplyBuyer(const std::string& token, const invoice::Party& buyer) {
  {
    std::lock_guard lock(mu_);
    ledger::sql::Transaction tx(db_.get());
    Check(tx.begin_status());
    auto s = Q("UPDATE app_order SET buyer_json = ?2 WHERE apply_token = ?1 AND buyer_json IS NULL");
    Check(s.Bind(1, token).Bind(2, Json(PartyJson(buyer))).Run());
    if (db_->Changes() == 0) return false;
    IssueDueLocked();
    Check(tx.Commit());
  }
  {
    std::lock_guard lock(pump_mu_);
    pump_wake_ = true;
  }
  pump_cv_.notify_one();
  return true;
}

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
  if (!entry.ok()) throw std::runtime_error(entry.status().ToString());
  ledger::Bytes bytes = entry->Encode();
  auto s = Q("INSERT INTO app_invoice(invoice_no, order_id, color, original_no, total_fen, issued_ms, status, entry, "
             "leaf_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7, ?8)");
  s.Bind(1, inv.invoice_no).Bind(2, inv.order_id).Bind(3, std::string(invoice::ColorName(inv.color)));
  if (inv.original_no.empty()) s.BindNull(4);
  else s.Bind(4, inv.original_no);
  s.Bind(5, inv.TotalFen()).Bind(6, static_cast<int64_t>(inv.issued_at_ms)).Bind(7, ledger::ByteView(bytes))
      .Bind(8, ledger::LeafHash(bytes).Hex());
  Check(s.Run());
}

void Merchant::IssueDueLocked() {
  // Blue invoices for paid orders whose buyer is known.
  auto due = Q("SELECT o.order_id FROM app_order o WHERE o.status IN ('paid', 'refunded') AND o.buyer_json IS NOT NULL "
               "AND o.payment_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM app_invoice i WHERE i.order_id = o.order_id "
               "AND i.color = 'blue') ORDER BY o.created_ms LIMIT 1000");
  std::vector<std::string> orders;
  while (Get(due.Step())) orders.push_back(due.Text(0));
  for (const std::string& id : orders) {
    auto o = Q("SELECT order_json, buyer_json, payment_id FROM app_order WHERE order_id = ?1");
    Get(o.Bind(1, id).Step());
    invoice::Order order = OrderFromJson(ParseStored(o.Text(0)));
    invoice::Party buyer = BuyerFromJson(ParseStored(o.Text(1)), "buyer.");
    std::string payment_id = o.Text(2);
    auto no = TakeNumberLocked();
    if (!no) return;  // no numbers yet: the pump applies and comes back
    InsertInvoiceLocked(invoice::MakeBlue(order, config_.seller, buyer, *no, clock_(), payment_id));
    Check(Q("UPDATE app_order SET status = 'invoiced' WHERE order_id = ?1 AND status = 'paid'").Bind(1, id).Run());
  }
  // Red invoices for refunds whose blue invoice exists and was not refused.
  auto refunds = Q("SELECT r.refund_id, r.amount_fen, i.invoice_no FROM app_refund r JOIN app_invoice i "
                   "ON i.order_id = r.order_id AND i.color = 'blue' AND i.status != 'rejected' "
                   "WHERE r.red_invoice_no IS NULL AND NOT EXISTS (SELECT 1 FROM app_confirmation c "
                   "WHERE c.refund_id = r.refund_id AND c.status IN ('rejected', 'refused')) "
                   "ORDER BY r.received_ms LIMIT 1000");
  struct Due { std::string refund_id; invoice::Fen amount; std::string blue_no; };
  std::vector<Due> reds;
  while (Get(refunds.Step())) reds.push_back({refunds.Text(0), refunds.Int(1), refunds.Text(2)});
  for (const Due& d : reds) {
    // A claimed (locked or settled) invoice is reversed only with the buyer company's
    // confirmation: ask first, issue the red invoice once the answer is on the chain.
    auto conf = Q("SELECT request_id, status FROM app_confirmation WHERE refund_id = ?1");
    std::string confirmation_id;
    if (Get(conf.Bind(1, d.refund_id).Step())) {
      std::string request_id = conf.Text(0);
      if (conf.Text(1) != "sealed") continue;  // not yet on the chain, or refused outright
      auto answer = view_ ? view_->With([&](const invoice::Lifecycle& lc) {
        const invoice::ConfirmationState* c = lc.FindConfirmation(request_id);
        return c ? c->status : invoice::ConfirmationState::Status::kPending;
      }) : invoice::ConfirmationState::Status::kPending;
      if (answer == invoice::ConfirmationState::Status::kRefused) {
        // The buyer company refused: the invoice stands; the refund stays without a red invoice.
        Check(Q("UPDATE app_confirmation SET status = 'refused' WHERE request_id = ?1").Bind(1, request_id).Run());
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
    Get(blue.Bind(1, d.blue_no).Step());
    auto entry = Get(ledger::Entry::Decode(blue.Blob(0)));
    auto event = invoice::DecodeEvent("issue", std::string(entry.payload.begin(), entry.payload.end()));
    const invoice::Invoice& original = std::get<invoice::IssueEvent>(std::get<invoice::Event>(event)).invoice;
    auto before = Q("SELECT coalesce(-sum(total_fen), 0) FROM app_invoice WHERE original_no = ?1 AND status != 'rejected'");
    Get(before.Bind(1, d.blue_no).Step());
    auto no = TakeNumberLocked();
    if (!no) return;
    invoice::Invoice red = invoice::MakeRed(original, before.Int(0), d.amount, *no, clock_(), d.refund_id, "02");
    red.confirmation_id = confirmation_id;
    InsertInvoiceLocked(red);
    Check(Q("UPDATE app_refund SET red_invoice_no = ?2 WHERE refund_id = ?1").Bind(1, d.refund_id).Bind(2, *no).Run());
  }
}

void Merchant::RequestConfirmationLocked(const std::string& refund_id, const std::string& blue_no, invoice::Fen amount) {
  invoice::ConfirmEvent ev{{"rc-" + payment::RandomHex(8), clock_()}, invoice::ConfirmAction::kRequest, "", blue_no,
                           amount, "02"};
  ev.request_id = ev.meta.event_id;
  std::string payload = invoice::EncodeEvent(ev);
  auto entry = ledger::Entry::Make("confirm", config_.seller.tax_id, ledger::Bytes(payload.begin(), payload.end()), key_);
  if (!entry.ok()) throw std::runtime_error(entry.status().ToString());
  ledger::Bytes bytes = entry->Encode();
  Check(Q("INSERT INTO app_confirmation(request_id, refund_id, invoice_no, amount_fen, entry, status) "
          "VALUES (?1, ?2, ?3, ?4, ?5, 'pending') ON CONFLICT(refund_id) DO NOTHING")
            .Bind(1, ev.request_id).Bind(2, refund_id).Bind(3, blue_no).Bind(4, amount).Bind(5, ledger::ByteView(bytes))
            .Run());
  Log().information("refund %s of claimed invoice %s: red-letter confirmation %s requested", refund_id, blue_no,
                    ev.request_id);
}

void Merchant::ApplyIfNeeded() {
  ledger::Bytes entry;
  {
    std::lock_guard lock(mu_);
    if (allocator_.Remaining() > config_.range_size / 10) return;
    std::string pending = Meta("apply_entry");
    if (pending.empty()) {
      // A new application, kept until the authority answers so that a retry is the same entry.
      std::string year = invoice::ChinaDate(clock_()).substr(2, 2);
      invoice::ApplyEvent ev{{"apply-" + payment::RandomHex(8), clock_()}, config_.seller.tax_id,
                             {std::stoi(year), config_.region, config_.channel}, config_.range_size};
      std::string payload = invoice::EncodeEvent(ev);
      auto e = ledger::Entry::Make("apply", config_.seller.tax_id, ledger::Bytes(payload.begin(), payload.end()), key_);
      if (!e.ok()) throw std::runtime_error(e.status().ToString());
      pending = ledger::ToHex(e->Encode());
      SetMeta("apply_entry", pending);
    }
    entry = *ledger::FromHex(pending);
  }
  auto result = authority_->Submit({entry}).at(0);  // network, outside the lock
  std::lock_guard lock(mu_);
  ledger::sql::Transaction tx(db_.get());
  Check(tx.begin_status());
  if (result->getValue<std::string>("status") == "sealed" && result->has("granted")) {
    auto g = result->getObject("granted");
    auto prefix = invoice::InvoiceNumber::Parse(g->getValue<std::string>("prefix") + std::string(15, '0'));
    if (allocator_.Grant({prefix->prefix, g->getValue<uint64_t>("first"), g->getValue<uint64_t>("count")}))
      SetMeta("allocator", allocator_.State());
    Log().information("granted invoice numbers %s from %s, %s of them", g->getValue<std::string>("prefix"),
                      std::to_string(g->getValue<uint64_t>("first")), std::to_string(g->getValue<uint64_t>("count")));
  } else {
    Log().error("number application refused: %s", result->optValue<std::string>("message", ""));
  }
  Check(Q("DELETE FROM app_meta WHERE key = 'apply_entry'").Run());
  Check(tx.Commit());
}

void Merchant::SubmitPending() {
  std::vector<std::string> numbers;  // invoice numbers, then confirmation request ids
  std::vector<ledger::Bytes> entries;
  size_t invoices = 0;
  {
    std::lock_guard lock(mu_);
    auto s = Q("SELECT invoice_no, entry FROM app_invoice WHERE status = 'pending' ORDER BY issued_ms LIMIT ?1");
    s.Bind(1, static_cast<int64_t>(kSubmitBatch));
    while (Get(s.Step())) {
      numbers.push_back(s.Text(0));
      entries.push_back(s.Blob(1));
    }
    invoices = numbers.size();
    auto c = Q("SELECT request_id, entry FROM app_confirmation WHERE status = 'pending' LIMIT 100");
    while (Get(c.Step())) {
      numbers.push_back(c.Text(0));
      entries.push_back(c.Blob(1));
    }
  }
  if (entries.empty()) return;
  auto results = authority_->Submit(entries);
  std::lock_guard lock(mu_);
  ledger::sql::Transaction tx(db_.get());
  Check(tx.begin_status());
  for (size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    const bool sealed = r->getValue<std::string>("status") == "sealed";
    const std::string code = sealed ? "" : r->getValue<std::string>("code");
    if (i >= invoices) {
      auto u = Q("UPDATE app_confirmation SET status = ?2, height = ?3, refusal_code = ?4 WHERE request_id = ?1");
      u.Bind(1, numbers[i]).Bind(2, sealed ? "sealed" : "rejected");
      if (sealed) u.Bind(3, r->getValue<int64_t>("height")).BindNull(4);
      else u.BindNull(3).Bind(4, code);
      Check(u.Run());
      if (!sealed) Log().warning("confirmation request %s refused by the authority: %s", numbers[i], code);
      continue;
    }
    if (sealed) {
      Check(Q("UPDATE app_invoice SET status = 'sealed', height = ?2, leaf_index = ?3 WHERE invoice_no = ?1")
                .Bind(1, numbers[i]).Bind(2, r->getValue<int64_t>("height")).Bind(3, r->getValue<int64_t>("leaf_index"))
                .Run());
      continue;
    }
    Check(Q("UPDATE app_invoice SET status = 'rejected', refusal_code = ?2, refusal_message = ?3 WHERE invoice_no = ?1")
              .Bind(1, numbers[i]).Bind(2, code).Bind(3, r->optValue<std::string>("message", "")).Run());
    Log().warning("invoice %s refused by the authority: %s", numbers[i], code);
    if (code == "needs_buyer_confirmation") {
      // The buyer claimed the invoice before this node saw it: ask for the confirmation now;
      // the red invoice follows under a new number once the company accepts.
      auto red = Q("SELECT r.refund_id, r.amount_fen, i.original_no FROM app_refund r JOIN app_invoice i "
                   "ON i.invoice_no = r.red_invoice_no WHERE r.red_invoice_no = ?1");
      if (Get(red.Bind(1, numbers[i]).Step())) {
        std::string refund_id = red.Text(0), blue_no = red.Text(2);
        invoice::Fen amount = red.Int(1);
        Check(Q("UPDATE app_refund SET red_invoice_no = NULL WHERE refund_id = ?1").Bind(1, refund_id).Run());
        RequestConfirmationLocked(refund_id, blue_no, amount);
      }
    }
  }
  Check(tx.Commit());
}

void Merchant::PumpOnce() {
  std::lock_guard rounds(pump_round_mu_);  // one round at a time, whoever calls it
  ApplyIfNeeded();
  {
    std::lock_guard lock(mu_);
    ledger::sql::Transaction tx(db_.get());
    Check(tx.begin_status());
    IssueDueLocked();
    Check(tx.Commit());
  }
  SubmitPending();
}

void Merchant::StartPump() {
  pump_ = std::thread([this] {
    int backoff_ms = 0;
    while (true) {
      {
        std::unique_lock lock(pump_mu_);
        pump_cv_.wait_for(lock, std::chrono::milliseconds(backoff_ms ? backoff_ms : 1000),
                          [this] { return pump_stop_ || pump_wake_; });
        if (pump_stop_) return;
        pump_wake_ = false;
      }
      try {
        PumpOnce();
        backoff_ms = 0;
      } catch (const std::exception& e) {
        // The authority is unreachable or refused the batch: everything stays pending.
        backoff_ms = std::min(backoff_ms ? backoff_ms * 2 : 500, 30000);
        Log().warning("pump: %s (retrying in %d ms)", std::string(e.what()), backoff_ms);
      }
    }
  });
}

void Merchant::StopPump() {
  {
    std::lock_guard lock(pump_mu_);
    pump_stop_ = true;
  }
  pump_cv_.notify_all();
  if (pump_.joinable()) pump_.join();
}

std::optional<InvoiceRecord> Merchant::GetInvoice(const std::string& invoice_no) {
  std::lock_guard lock(mu_);
  auto s = Q("SELECT entry, status, leaf_hash, height, leaf_index, refusal_code, refusal_message FROM app_invoice "
             "WHERE invoice_no = ?1");
  if (!Get(s.Bind(1, invoice_no).Step())) return std::nullopt;
  InvoiceRecord r;
  auto entry = Get(ledger::Entry::Decode(s.Blob(0)));
  auto event = invoice::DecodeEvent("issue", std::string(entry.payload.begin(), entry.payload.end()));
  r.invoice = std::get<invoice::IssueEvent>(std::get<invoice::Event>(event)).invoice;
  r.status = s.Text(1);
  r.leaf_hash = s.Text(2);
  if (!s.IsNull(3)) r.height = s.Int(3);
  if (!s.IsNull(4)) r.leaf_index = s.Int(4);
  r.refusal_code = s.Text(5);
  r.refusal_message = s.Text(6);
  auto reds = Q("SELECT invoice_no FROM app_invoice WHERE original_no = ?1 ORDER BY issued_ms");
  reds.Bind(1, invoice_no);
  while (Get(reds.Step())) r.reversals.push_back(reds.Text(0));
  return r;
}

std::vector<InvoiceRecord> Merchant::ListInvoices(const std::string& order_id, uint64_t from_ms, uint64_t to_ms,
                                                  const std::string& status, size_t limit) {
  std::vector<std::string> numbers;
  {
    std::lock_guard lock(mu_);
    auto s = Q("SELECT invoice_no FROM app_invoice WHERE (?1 = '' OR order_id = ?1) AND issued_ms >= ?2 "
               "AND issued_ms < ?3 AND (?4 = '' OR status = ?4) ORDER BY issued_ms, invoice_no LIMIT ?5");
    s.Bind(1, order_id).Bind(2, static_cast<int64_t>(from_ms)).Bind(3, static_cast<int64_t>(std::min<uint64_t>(to_ms, INT64_MAX)))
        .Bind(4, status).Bind(5, static_cast<int64_t>(limit));
    while (Get(s.Step())) numbers.push_back(s.Text(0));
  }
  std::vector<InvoiceRecord> out;
  for (const auto& n : numbers)
    if (auto r = GetInvoice(n)) out.push_back(std::move(*r));
  return out;
}

uint64_t Merchant::NumbersLeft() {
  std::lock_guard lock(mu_);
  return allocator_.Remaining();
}

std::string Merchant::QrUrl(const InvoiceRecord& r) const {
  return invoice::QrPayloadUrl(config_.authority_public_url, r.invoice.invoice_no, r.leaf_hash, r.invoice.TotalFen());
}

Merchant::Counters Merchant::counters() {
  std::lock_guard lock(mu_);
  Counters c;
  auto s = Q("SELECT status, count(*) FROM app_invoice GROUP BY status");
  while (Get(s.Step())) {
    uint64_t n = static_cast<uint64_t>(s.Int(1));
    c.issued += n;
    if (s.Text(0) == "sealed") c.sealed = n;
    if (s.Text(0) == "rejected") c.rejected = n;
    if (s.Text(0) == "pending") c.pending = n;
  }
  return c;
}

}  // namespace app
