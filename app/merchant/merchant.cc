// The merchant's records: orders, payments and refunds from the provider, and reading
// invoices back. Issuing and submitting them is in merchant_issue.cc.
#include "app/base/or_throw.h"
#include "app/merchant/merchant.h"
#include "invoice/national_xml.h"

#include "app/merchant/merchant_sql.h"
#include "app/documents/order_json.h"
#include "app/merchant/payment_crypto.h"
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
  leaf_hash TEXT NOT NULL, height INTEGER, leaf_index INTEGER, refusal_code TEXT, refusal_message TEXT,
  refusal_field TEXT);
CREATE INDEX IF NOT EXISTS app_invoice_order ON app_invoice(order_id);
CREATE INDEX IF NOT EXISTS app_invoice_status ON app_invoice(status);
CREATE INDEX IF NOT EXISTS app_invoice_original ON app_invoice(original_no);
CREATE INDEX IF NOT EXISTS app_order_open ON app_order(status, created_ms) WHERE status IN ('paid', 'refunded');
CREATE TABLE IF NOT EXISTS app_mail(id INTEGER PRIMARY KEY, invoice_no TEXT NOT NULL, address TEXT NOT NULL,
  reason TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, error TEXT, created_ms INTEGER NOT NULL,
  next_ms INTEGER NOT NULL, sent_ms INTEGER);
CREATE UNIQUE INDEX IF NOT EXISTS app_mail_buyer ON app_mail(invoice_no) WHERE reason = 'sealed';
CREATE INDEX IF NOT EXISTS app_mail_due ON app_mail(next_ms) WHERE state = 'queued';
CREATE INDEX IF NOT EXISTS app_mail_invoice ON app_mail(invoice_no);
CREATE TABLE IF NOT EXISTS app_confirmation(request_id TEXT PRIMARY KEY, refund_id TEXT NOT NULL UNIQUE,
  invoice_no TEXT NOT NULL, amount_fen INTEGER NOT NULL, entry BLOB NOT NULL, status TEXT NOT NULL,
  height INTEGER, refusal_code TEXT);
)";

}  // namespace

using merchant_sql::Json;
using merchant_sql::ParseStored;

void CreateMerchantSchema(ledger::sql::Db& db) {
  OrThrow(db.Exec(kSchema));
  // Databases made before refusal_field existed.
  auto has = ValueOrThrow(db.Prepare("SELECT count(*) FROM pragma_table_info('app_invoice') WHERE name = 'refusal_field'"));
  ValueOrThrow(has.Step());
  if (has.Int(0) == 0) OrThrow(db.Exec("ALTER TABLE app_invoice ADD COLUMN refusal_field TEXT"));
  // The console searches by buyer and sums tax from columns; databases made before they
  // existed get them filled from their entries, once.
  auto buyer = ValueOrThrow(db.Prepare("SELECT count(*) FROM pragma_table_info('app_invoice') WHERE name = 'buyer_name'"));
  ValueOrThrow(buyer.Step());
  if (buyer.Int(0) == 0) {
    OrThrow(db.Exec("BEGIN IMMEDIATE; ALTER TABLE app_invoice ADD COLUMN buyer_name TEXT; "
                    "ALTER TABLE app_invoice ADD COLUMN buyer_tax_id TEXT; ALTER TABLE app_invoice ADD COLUMN tax_fen INTEGER"));
    auto rows = ValueOrThrow(db.Prepare("SELECT invoice_no, entry FROM app_invoice"));
    auto set = ValueOrThrow(db.Prepare("UPDATE app_invoice SET buyer_name = ?2, buyer_tax_id = ?3, tax_fen = ?4 WHERE invoice_no = ?1"));
    while (ValueOrThrow(rows.Step())) {
      invoice::Invoice inv = StoredInvoice(rows.Blob(1));
      set.Reset();
      set.Bind(1, rows.Text(0)).Bind(2, inv.buyer.name).Bind(3, inv.buyer.tax_id).Bind(4, inv.TaxFen());
      OrThrow(set.Run());
    }
    OrThrow(db.Exec("COMMIT"));
  }
  OrThrow(db.Exec("CREATE INDEX IF NOT EXISTS app_invoice_issued ON app_invoice(issued_ms)"));
}

Merchant::Merchant(MerchantConfig config, const ledger::PrivateKey& key, std::unique_ptr<AuthorityClient> authority,
                   Clock clock, PartyView* view)
    : config_(std::move(config)), key_(key), authority_(std::move(authority)), clock_(std::move(clock)), view_(view) {
  MutexLock lock(mu_);  // nobody else holds the merchant yet; the analysis wants it all the same
  db_ = ValueOrThrow(ledger::sql::Db::Open(config_.db_path, ledger::sql::Db::Mode::kReadWrite));
  CreateMerchantSchema(*db_);
  std::string state = Meta("allocator");
  if (!state.empty()) {
    auto a = invoice::NumberAllocator::FromState(state);
    if (!a) throw std::runtime_error("the stored number allocator state is corrupt");
    allocator_ = std::move(*a);
  }
}

Merchant::~Merchant() { StopPump(); }

void Merchant::WakePump() {
  bool was_awake;
  {
    MutexLock lock(pump_mu_);
    was_awake = pump_wake_;
    pump_wake_ = true;
  }
  if (!was_awake) pump_cv_.Signal();  // one wake-up per round, not per callback
}

ledger::sql::Stmt Merchant::Q(const std::string& sql) { return ValueOrThrow(db_->Prepare(sql)); }

std::string Merchant::Meta(const std::string& key) {
  auto s = Q("SELECT value FROM app_meta WHERE key = ?1");
  return ValueOrThrow(s.Bind(1, key).Step()) ? s.Text(0) : "";
}

void Merchant::SetMeta(const std::string& key, const std::string& value) {
  OrThrow(Q("INSERT INTO app_meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
            .Bind(1, key).Bind(2, value).Run());
}

bool Merchant::CreateOrder(const invoice::Order& order) {
  Poco::JSON::Object::Ptr o = OrderItemsJson(order);
  o->set("order_id", order.order_id);
  MutexLock lock(mu_);
  auto s = Q("INSERT INTO app_order(order_id, order_json, buyer_json, status, total_fen, created_ms) "
             "VALUES (?1, ?2, ?3, 'created', ?4, ?5) ON CONFLICT(order_id) DO NOTHING");
  s.Bind(1, order.order_id).Bind(2, Json(o)).Bind(4, order.TotalFen()).Bind(5, static_cast<int64_t>(clock_()));
  if (order.buyer) s.Bind(3, Json(PartyJson(*order.buyer)));
  else s.BindNull(3);
  OrThrow(s.Run());
  return db_->Changes() > 0;
}

std::optional<OrderRecord> Merchant::GetOrder(const std::string& order_id) {
  MutexLock lock(mu_);
  auto s = Q("SELECT order_json, buyer_json, status, apply_token, payment_id FROM app_order WHERE order_id = ?1");
  if (!ValueOrThrow(s.Bind(1, order_id).Step())) return std::nullopt;
  OrderRecord r;
  r.order = OrderFromJson(ParseStored(s.Text(0)), /*validate=*/false);
  if (!s.IsNull(1)) r.order.buyer = BuyerFromJson(ParseStored(s.Text(1)), "buyer.", /*validate=*/false);
  r.status = s.Text(2);
  r.apply_token = s.Text(3);
  r.payment_id = s.Text(4);
  auto refunds = Q("SELECT coalesce(sum(amount_fen), 0) FROM app_refund WHERE order_id = ?1");
  ValueOrThrow(refunds.Bind(1, order_id).Step());
  r.refunded_fen = refunds.Int(0);
  auto inv = Q("SELECT invoice_no FROM app_invoice WHERE order_id = ?1 ORDER BY issued_ms, invoice_no");
  inv.Bind(1, order_id);
  while (ValueOrThrow(inv.Step())) r.invoices.push_back(inv.Text(0));
  return r;
}

std::optional<OrderRecord> Merchant::GetOrderByApplyToken(const std::string& token) {
  std::string order_id;
  {
    MutexLock lock(mu_);
    auto s = Q("SELECT order_id FROM app_order WHERE apply_token = ?1");
    if (!ValueOrThrow(s.Bind(1, token).Step())) return std::nullopt;
    order_id = s.Text(0);
  }
  return GetOrder(order_id);
}

NoticeOutcome Merchant::Record(const PaymentNotice& n) {
  // Group commit: every notice that arrives while a batch is being written waits for the
  // next one, so that a burst of callbacks costs one fsync per batch, not one each. The
  // caller is answered only after the batch holding its notice is committed.
  NoticeOutcome outcome = record_commit_.Submit(n);
  if (outcome == NoticeOutcome::kRecorded) WakePump();
  return outcome;
}

void Merchant::RecordBatch(const std::vector<RecordCommit::Slot*>& batch) {
  MutexLock lock(mu_);
  ledger::sql::Transaction tx(db_.get());
  OrThrow(tx.begin_status());
  for (RecordCommit::Slot* q : batch) {
    // Each notice in its own savepoint: one that fails leaves no trace and fails alone.
    OrThrow(Q("SAVEPOINT notice").Run());
    try {
      q->outcome = RecordLocked(q->item);
      OrThrow(Q("RELEASE notice").Run());
    } catch (const std::exception&) {
      OrThrow(Q("ROLLBACK TO notice").Run());
      OrThrow(Q("RELEASE notice").Run());
      q->error = std::current_exception();
    }
  }
  IssueDueLocked();
  OrThrow(tx.Commit());  // the notices are durable from here on: their callers may answer 2xx
}

NoticeOutcome Merchant::RecordLocked(const PaymentNotice& n) {
  auto order = Q("SELECT status, total_fen, buyer_json FROM app_order WHERE order_id = ?1");
  if (!ValueOrThrow(order.Bind(1, n.order_id).Step())) return NoticeOutcome::kUnknownOrder;
  std::string status = order.Text(0);
  invoice::Fen total = order.Int(1);
  bool has_buyer = !order.IsNull(2);
  if (n.kind == PaymentNotice::Kind::kPayment) {
    auto dup = Q("SELECT order_id FROM app_payment WHERE payment_id = ?1");
    if (ValueOrThrow(dup.Bind(1, n.payment_id).Step())) return NoticeOutcome::kDuplicate;
    if (status != "created") return NoticeOutcome::kAlreadyPaid;
    if (n.amount_fen != total) return NoticeOutcome::kAmountMismatch;
    OrThrow(Q("INSERT INTO app_payment(payment_id, order_id, amount_fen, received_ms) VALUES (?1, ?2, ?3, ?4)")
              .Bind(1, n.payment_id).Bind(2, n.order_id).Bind(3, n.amount_fen).Bind(4, static_cast<int64_t>(clock_()))
              .Run());
    auto upd = Q("UPDATE app_order SET status = 'paid', payment_id = ?2, apply_token = ?3 WHERE order_id = ?1");
    upd.Bind(1, n.order_id).Bind(2, n.payment_id);
    if (has_buyer) upd.BindNull(3);
    else upd.Bind(3, payment::RandomHex(16));
    OrThrow(upd.Run());
  } else {
    auto dup = Q("SELECT order_id FROM app_refund WHERE refund_id = ?1");
    if (ValueOrThrow(dup.Bind(1, n.refund_id).Step())) return NoticeOutcome::kDuplicate;
    if (status == "created") return NoticeOutcome::kNotPaid;
    auto sum = Q("SELECT coalesce(sum(amount_fen), 0) FROM app_refund WHERE order_id = ?1");
    ValueOrThrow(sum.Bind(1, n.order_id).Step());
    invoice::Fen refunded = sum.Int(0);
    invoice::Fen amount = n.amount_fen;
    if (n.refunded_total) {
      // A total no larger than what is recorded: an older refund's notice arriving after a
      // newer one's, whose total covered it already.
      if (n.amount_fen > 0 && n.amount_fen <= refunded) return NoticeOutcome::kDuplicate;
      amount = n.amount_fen - refunded;
    }
    if (amount <= 0 || refunded + amount > total) return NoticeOutcome::kRefundTooLarge;
    OrThrow(Q("INSERT INTO app_refund(refund_id, order_id, amount_fen, received_ms) VALUES (?1, ?2, ?3, ?4)")
              .Bind(1, n.refund_id).Bind(2, n.order_id).Bind(3, amount).Bind(4, static_cast<int64_t>(clock_()))
              .Run());
    if (refunded + amount == total)
      OrThrow(Q("UPDATE app_order SET status = 'refunded' WHERE order_id = ?1").Bind(1, n.order_id).Run());
  }
  return NoticeOutcome::kRecorded;
}

void Merchant::MarkDemoOrder(const std::string& order_id) {
  MutexLock lock(mu_);
  SetMeta("demo_order:" + order_id, "1");
}

bool Merchant::IsDemoOrder(const std::string& order_id) {
  MutexLock lock(mu_);
  return Meta("demo_order:" + order_id) == "1";
}

invoice::Invoice StoredInvoice(const ledger::Bytes& entry_bytes) {
  // Read, not checked: an invoice the authority refused (or one stored under older rules)
  // is still shown with its refusal, never an error that hides the whole listing.
  auto entry = ValueOrThrow(ledger::Entry::Decode(entry_bytes));
  auto inv = invoice::DecodeInvoiceXml(std::string_view(reinterpret_cast<const char*>(entry.payload.data()),
                                                        entry.payload.size()),
                                       /*checked=*/false);
  if (auto* p = std::get_if<invoice::Problem>(&inv)) throw std::runtime_error("a stored invoice is unreadable: " + p->message);
  return std::get<invoice::Invoice>(inv);
}

void Merchant::ReopenForBuyerLocked(const std::string& order_id) {
  OrThrow(Q("UPDATE app_order SET buyer_json = NULL, apply_token = coalesce(apply_token, ?2), "
          "status = CASE WHEN status = 'invoiced' THEN 'paid' ELSE status END WHERE order_id = ?1")
            .Bind(1, order_id).Bind(2, payment::RandomHex(16)).Run());
}

NoticeOutcome Merchant::SetBuyer(const std::string& order_id, const invoice::Party& buyer) {
  {
    MutexLock lock(mu_);
    ledger::sql::Transaction tx(db_.get());
    OrThrow(tx.begin_status());
    auto o = Q("SELECT buyer_json FROM app_order WHERE order_id = ?1");
    if (!ValueOrThrow(o.Bind(1, order_id).Step())) return NoticeOutcome::kUnknownOrder;
    if (!o.IsNull(0)) return NoticeOutcome::kDuplicate;
    o.Reset();
    OrThrow(Q("UPDATE app_order SET buyer_json = ?2 WHERE order_id = ?1").Bind(1, order_id).Bind(2, Json(PartyJson(buyer))).Run());
    IssueDueLocked();
    OrThrow(tx.Commit());
  }
  WakePump();
  return NoticeOutcome::kRecorded;
}

bool Merchant::ApplyBuyer(const std::string& token, const invoice::Party& buyer) {
  {
    MutexLock lock(mu_);
    ledger::sql::Transaction tx(db_.get());
    OrThrow(tx.begin_status());
    auto s = Q("UPDATE app_order SET buyer_json = ?2 WHERE apply_token = ?1 AND buyer_json IS NULL");
    OrThrow(s.Bind(1, token).Bind(2, Json(PartyJson(buyer))).Run());
    if (db_->Changes() == 0) return false;
    IssueDueLocked();
    OrThrow(tx.Commit());
  }
  WakePump();
  return true;
}

std::optional<InvoiceRecord> Merchant::GetInvoice(const std::string& invoice_no) {
  MutexLock lock(mu_);
  auto s = Q("SELECT entry, status, leaf_hash, height, leaf_index, refusal_code, refusal_message FROM app_invoice "
             "WHERE invoice_no = ?1");
  if (!ValueOrThrow(s.Bind(1, invoice_no).Step())) return std::nullopt;
  InvoiceRecord r;
  r.invoice = StoredInvoice(s.Blob(0));
  r.status = s.Text(1);
  r.leaf_hash = s.Text(2);
  if (!s.IsNull(3)) r.height = s.Int(3);
  if (!s.IsNull(4)) r.leaf_index = s.Int(4);
  r.refusal_code = s.Text(5);
  r.refusal_message = s.Text(6);
  auto reds = Q("SELECT invoice_no FROM app_invoice WHERE original_no = ?1 ORDER BY issued_ms");
  reds.Bind(1, invoice_no);
  while (ValueOrThrow(reds.Step())) r.reversals.push_back(reds.Text(0));
  return r;
}

std::vector<InvoiceRecord> Merchant::ListInvoices(const std::string& order_id, uint64_t from_ms, uint64_t to_ms,
                                                  const std::string& status, size_t limit) {
  std::vector<std::string> numbers;
  {
    MutexLock lock(mu_);
    auto s = Q("SELECT invoice_no FROM app_invoice WHERE (?1 = '' OR order_id = ?1) AND issued_ms >= ?2 "
               "AND issued_ms < ?3 AND (?4 = '' OR status = ?4) ORDER BY issued_ms, invoice_no LIMIT ?5");
    s.Bind(1, order_id).Bind(2, static_cast<int64_t>(from_ms)).Bind(3, static_cast<int64_t>(std::min<uint64_t>(to_ms, INT64_MAX)))
        .Bind(4, status).Bind(5, static_cast<int64_t>(limit));
    while (ValueOrThrow(s.Step())) numbers.push_back(s.Text(0));
  }
  std::vector<InvoiceRecord> out;
  for (const auto& n : numbers)
    if (auto r = GetInvoice(n)) out.push_back(std::move(*r));
  return out;
}

InvoiceSearch Merchant::SearchInvoices(const InvoiceQuery& q) {
  // ?1 text: a number or its start, a buyer's tax id, or part of a buyer's name (instr: no
  // LIKE wildcards to escape). Bound parameters only.
  static constexpr const char* kWhere =
      " FROM app_invoice WHERE (?1 = '' OR substr(invoice_no, 1, length(?1)) = ?1 OR buyer_tax_id = upper(?1) "
      "OR instr(buyer_name, ?1) > 0) AND issued_ms >= ?2 AND issued_ms < ?3 AND (?4 = '' OR status = ?4) "
      "AND (?5 = '' OR color = ?5)";
  auto bind = [&](ledger::sql::Stmt& s) {
    s.Bind(1, q.text).Bind(2, static_cast<int64_t>(std::min<uint64_t>(q.from_ms, INT64_MAX)))
        .Bind(3, static_cast<int64_t>(std::min<uint64_t>(q.to_ms, INT64_MAX))).Bind(4, q.status).Bind(5, q.color);
  };
  MutexLock lock(mu_);
  InvoiceSearch out;
  auto sums = Q(std::string("SELECT count(*), coalesce(sum(total_fen), 0), coalesce(sum(tax_fen), 0)") + kWhere);
  bind(sums);
  ValueOrThrow(sums.Step());
  out.matched = static_cast<uint64_t>(sums.Int(0));
  out.total_fen = sums.Int(1);
  out.tax_fen = sums.Int(2);
  auto s = Q(std::string("SELECT invoice_no, order_id, color, status, coalesce(buyer_name, ''), coalesce(buyer_tax_id, ''), "
                         "total_fen, coalesce(tax_fen, 0), issued_ms, height, leaf_hash") +
             kWhere + " ORDER BY issued_ms DESC, invoice_no DESC LIMIT ?6 OFFSET ?7");
  bind(s);
  s.Bind(6, static_cast<int64_t>(q.limit)).Bind(7, static_cast<int64_t>(q.offset));
  while (ValueOrThrow(s.Step())) {
    InvoiceRow r;
    r.invoice_no = s.Text(0);
    r.order_id = s.Text(1);
    r.color = s.Text(2);
    r.status = s.Text(3);
    r.buyer_name = s.Text(4);
    r.buyer_tax_id = s.Text(5);
    r.total_fen = s.Int(6);
    r.tax_fen = s.Int(7);
    r.issued_ms = static_cast<uint64_t>(s.Int(8));
    if (!s.IsNull(9)) r.height = s.Int(9);
    r.leaf_hash = s.Text(10);
    out.rows.push_back(std::move(r));
  }
  return out;
}

std::optional<OrderActivity> Merchant::GetOrderActivity(const std::string& order_id) {
  MutexLock lock(mu_);
  auto order = Q("SELECT created_ms FROM app_order WHERE order_id = ?1");
  if (!ValueOrThrow(order.Bind(1, order_id).Step())) return std::nullopt;
  OrderActivity a;
  a.created_ms = static_cast<uint64_t>(order.Int(0));
  auto pay = Q("SELECT payment_id, amount_fen, received_ms FROM app_payment WHERE order_id = ?1");
  pay.Bind(1, order_id);
  while (ValueOrThrow(pay.Step())) a.payments.push_back({pay.Text(0), pay.Int(1), static_cast<uint64_t>(pay.Int(2))});
  auto ref = Q("SELECT refund_id, amount_fen, received_ms, coalesce(red_invoice_no, '') FROM app_refund WHERE order_id = ?1 "
               "ORDER BY received_ms");
  ref.Bind(1, order_id);
  while (ValueOrThrow(ref.Step()))
    a.refunds.push_back({ref.Text(0), ref.Int(1), static_cast<uint64_t>(ref.Int(2)), ref.Text(3)});
  auto conf = Q("SELECT c.request_id, c.invoice_no, c.status, coalesce(c.refusal_code, ''), c.amount_fen, c.height "
                "FROM app_confirmation c JOIN app_refund r ON r.refund_id = c.refund_id WHERE r.order_id = ?1 "
                "ORDER BY r.received_ms");
  conf.Bind(1, order_id);
  while (ValueOrThrow(conf.Step()))
    a.confirmations.push_back({conf.Text(0), conf.Text(1), conf.Text(2), conf.Text(3), conf.Int(4),
                               conf.IsNull(5) ? -1 : conf.Int(5)});
  return a;
}

uint64_t Merchant::NumbersLeft() {
  MutexLock lock(mu_);
  return allocator_.Remaining();
}

std::string Merchant::QrUrl(const InvoiceRecord& r) const {
  return invoice::QrPayloadUrl(config_.authority_public_url, r.invoice.invoice_no, r.leaf_hash, r.invoice.TotalFen());
}

Merchant::Counters Merchant::counters() {
  MutexLock lock(mu_);
  Counters c;
  auto s = Q("SELECT status, count(*) FROM app_invoice GROUP BY status");
  while (ValueOrThrow(s.Step())) {
    uint64_t n = static_cast<uint64_t>(s.Int(1));
    c.issued += n;
    if (s.Text(0) == "sealed") c.sealed = n;
    if (s.Text(0) == "rejected") c.rejected = n;
    if (s.Text(0) == "pending") c.pending = n;
  }
  return c;
}

}  // namespace app
