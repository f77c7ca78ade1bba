// The merchant's side of the platform on a taxpayer node: orders, payments and refunds
// from the payment provider, invoice numbers granted by the authority, and the invoices.
//
// A payment or refund is recorded durably before the callback is answered. Invoices are
// created locally (number, signed entry) and handed to the authority by a background pump
// that retries until each is sealed or refused, so a down authority loses nothing.
// Thread-safe: one lock serialises all writes.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "app/base/group_commit.h"
#include "app/base/mutex.h"
#include "app/documents/invoice_json.h"
#include "app/replica/authority_client.h"
#include "app/replica/party_view.h"
#include "invoice/invoice_number.h"
#include "invoice/order.h"
#include "ledger/sqlite_db.h"

namespace app {

struct MerchantConfig {
  std::string db_path;
  invoice::Party seller;       // name and tax id of this merchant
  int region = 44;             // invoice number region code
  int channel = 1;             // invoice number channel digit
  uint64_t range_size = 100000;  // numbers asked for per apply
  std::string authority_public_url;  // for QR codes
  bool mail = false;  // an SMTP relay is configured: an invoice sealed with a buyer e-mail is queued to it
};

// One e-mail of an invoice to one address: a row of the outbox (app/README.md "E-mail
// delivery"). The buyer's delivery (reason "sealed") is queued once per invoice, in the
// transaction that records the invoice sealed; the merchant may queue more ("resend").
struct MailDelivery {
  int64_t id = 0;
  std::string invoice_no, address, reason;
  std::string state;  // queued, sent, failed
  int attempts = 0;   // failed attempts so far
  std::string error;  // the last failure: queued (retrying) or failed (given up)
  uint64_t created_ms = 0, next_ms = 0, sent_ms = 0;
};

struct OrderRecord {
  invoice::Order order;
  std::string status;  // created, paid, invoiced, refunded
  std::string apply_token;
  std::string payment_id;
  invoice::Fen refunded_fen = 0;
  std::vector<std::string> invoices;
};

// What a payment provider told us, already authenticated.
struct PaymentNotice {
  enum class Kind { kPayment, kRefund } kind = Kind::kPayment;
  std::string order_id;
  std::string payment_id;  // the provider's transaction id
  std::string refund_id;   // refunds
  invoice::Fen amount_fen = 0;  // paid amount, or refunded amount
  // A refund's amount_fen is the order's refunded total after it (Alipay's refund_fee), not
  // this refund's own amount: what is recorded is the difference to what was recorded before.
  bool refunded_total = false;
};

// The merchant console's search over its invoices: `text` is an invoice number (or its
// start), a buyer's tax id, or part of a buyer's name; dates are Unix ms [from, to).
struct InvoiceQuery {
  std::string text;
  uint64_t from_ms = 0;
  uint64_t to_ms = UINT64_MAX;
  std::string status;  // pending, sealed, rejected; empty: any
  std::string color;   // blue, red; empty: any
  size_t offset = 0;
  size_t limit = 50;
};

// One invoice in a list, from the columns alone (no entry decoded).
struct InvoiceRow {
  std::string invoice_no, order_id, color, status, buyer_name, buyer_tax_id;
  invoice::Fen total_fen = 0, tax_fen = 0;
  uint64_t issued_ms = 0;
  int64_t height = -1;
  std::string leaf_hash;
};

struct InvoiceSearch {
  std::vector<InvoiceRow> rows;  // newest first
  uint64_t matched = 0;          // rows the query matches in all
  invoice::Fen total_fen = 0, tax_fen = 0;  // their sums
};

// What happened to an order besides its invoices: payments, refunds, red-letter requests.
struct OrderActivity {
  struct Payment { std::string payment_id; invoice::Fen amount_fen; uint64_t received_ms; };
  struct Refund { std::string refund_id; invoice::Fen amount_fen; uint64_t received_ms; std::string red_invoice_no; };
  struct Confirmation { std::string request_id, invoice_no, status, refusal_code; invoice::Fen amount_fen; int64_t height; };
  std::vector<Payment> payments;
  std::vector<Refund> refunds;
  std::vector<Confirmation> confirmations;
  uint64_t created_ms = 0;
};

// An invoice as this node stored it (an issue entry), read without the rules' checks.
invoice::Invoice StoredInvoice(const ledger::Bytes& entry);

// Creates the merchant's tables in a node database if they are missing.
void CreateMerchantSchema(ledger::sql::Db& db);

enum class NoticeOutcome { kRecorded, kDuplicate, kUnknownOrder, kAmountMismatch, kAlreadyPaid, kNotPaid, kRefundTooLarge };

class Merchant {
 public:
  using Clock = std::function<uint64_t()>;
  // `view`: what this node's replica says of its invoices (claims, confirmations); it
  // decides whether a refund needs the buyer company's confirmation first.
  Merchant(MerchantConfig config, const ledger::PrivateKey& key, std::unique_ptr<AuthorityClient> authority, Clock clock,
           PartyView* view = nullptr);
  ~Merchant();

  void StartPump();  // background: apply for numbers, issue due invoices, submit to the authority
  void StopPump();
  void PumpOnce();   // one round of the pump, for tests and shutdown

  // false if the order id exists already.
  bool CreateOrder(const invoice::Order& order);
  std::optional<OrderRecord> GetOrder(const std::string& order_id);
  std::optional<OrderRecord> GetOrderByApplyToken(const std::string& token);
  // Records a verified notice durably; duplicates change nothing.
  NoticeOutcome Record(const PaymentNotice& notice);
  // The buyer's application: sets the buyer of a paid order; false if the token is unknown
  // or the buyer was already set.
  bool ApplyBuyer(const std::string& token, const invoice::Party& buyer);
  // The merchant sets (or corrects) the buyer of an order that has none: kRecorded,
  // kUnknownOrder, or kDuplicate when a buyer is set already. An order whose invoice the
  // authority refused for its buyer has none again, and an application link.
  NoticeOutcome SetBuyer(const std::string& order_id, const invoice::Party& buyer);

  std::optional<InvoiceRecord> GetInvoice(const std::string& invoice_no);
  // Orders made by the demo checkout (demo.checkout), whose page it may show.
  void MarkDemoOrder(const std::string& order_id);
  bool IsDemoOrder(const std::string& order_id);
  std::vector<InvoiceRecord> ListInvoices(const std::string& order_id, uint64_t from_ms, uint64_t to_ms,
                                          const std::string& status, size_t limit);
  uint64_t NumbersLeft();
  // The console's list: one page of the invoices `q` matches, with the count and sums of all.
  InvoiceSearch SearchInvoices(const InvoiceQuery& q);
  std::optional<OrderActivity> GetOrderActivity(const std::string& order_id);
  std::string QrUrl(const InvoiceRecord& r) const;

  struct Counters { uint64_t issued = 0, sealed = 0, rejected = 0, pending = 0; };
  Counters counters();

  // The outbox (merchant_mail.cc). Deliveries due at `now`, oldest first.
  std::vector<MailDelivery> DueMail(uint64_t now, size_t limit);
  std::vector<MailDelivery> MailOf(const std::string& invoice_no);
  // Queues the invoice to `address` again (the merchant's resend); nullopt if the invoice is
  // not on this node.
  std::optional<MailDelivery> QueueMail(const std::string& invoice_no, const std::string& address);
  void MailSent(int64_t id, uint64_t now);
  // An attempt failed: retried at `retry_at`, or (nullopt) given up as failed.
  void MailFailed(int64_t id, const std::string& error, std::optional<uint64_t> retry_at);
  struct MailCounters { uint64_t queued = 0, sent = 0, failed = 0, retrying = 0; };
  MailCounters mail_counters();

 private:
  // Group commit of Record: a burst of callbacks is recorded in one transaction (one fsync).
  using RecordCommit = GroupCommit<PaymentNotice, NoticeOutcome>;
  void RecordBatch(const std::vector<RecordCommit::Slot*>& batch) EXCLUDES(mu_);  // one transaction
  NoticeOutcome RecordLocked(const PaymentNotice& notice) REQUIRES(mu_);
  void IssueDueLocked() REQUIRES(mu_);  // invoices for paid orders with buyers, reds for refunds
  // Forgets the buyer of an order (one the invoice rules refuse) so that the buyer, through
  // the application link, or the merchant sets a valid one.
  void ReopenForBuyerLocked(const std::string& order_id) REQUIRES(mu_);
  void ApplyIfNeeded() REQUIRES(pump_round_mu_) EXCLUDES(mu_);  // asks the authority for a range when numbers run low
  void SubmitPending() REQUIRES(pump_round_mu_) EXCLUDES(mu_);  // hands pending entries to the authority
  std::optional<std::string> TakeNumberLocked() REQUIRES(mu_);  // persists the allocator state
  void InsertInvoiceLocked(const invoice::Invoice& inv) REQUIRES(mu_);
  // The buyer's delivery of a sealed invoice, once (nothing without a relay or an address).
  void QueueBuyerMailLocked(const invoice::Invoice& inv) REQUIRES(mu_);
  // A red-letter confirmation request to the buyer company for refund `refund_id`.
  void RequestConfirmationLocked(const std::string& refund_id, const std::string& blue_no, invoice::Fen amount)
      REQUIRES(mu_);
  std::string Meta(const std::string& key) REQUIRES(mu_);
  void SetMeta(const std::string& key, const std::string& value) REQUIRES(mu_);
  ledger::sql::Stmt Q(const std::string& sql) REQUIRES(mu_);
  void WakePump() EXCLUDES(pump_mu_);  // a round soon: there is something to issue or submit

  MerchantConfig config_;
  const ledger::PrivateKey& key_;
  std::unique_ptr<AuthorityClient> authority_;
  Clock clock_;
  PartyView* view_;

  // Lock order: pump_round_mu_, then mu_, then the PartyView's and the block store's own
  // locks (taken by view_ calls under mu_). The group commit's queue lock and pump_mu_ are
  // taken alone. The authority is called (network) with no lock but pump_round_mu_.
  Mutex pump_round_mu_ ACQUIRED_BEFORE(mu_);  // one pump round at a time
  Mutex mu_;                                  // the database and the allocator
  std::unique_ptr<ledger::sql::Db> db_ PT_GUARDED_BY(mu_);
  invoice::NumberAllocator allocator_ GUARDED_BY(mu_);

  RecordCommit record_commit_{[this](const std::vector<RecordCommit::Slot*>& batch) { RecordBatch(batch); }};

  Mutex pump_mu_;
  CondVar pump_cv_;  // with pump_mu_
  bool pump_stop_ GUARDED_BY(pump_mu_) = false;
  bool pump_wake_ GUARDED_BY(pump_mu_) = false;
  std::thread pump_;
};

}  // namespace app
