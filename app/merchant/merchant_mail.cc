// The merchant's outbox: e-mails of invoices to their buyers, as rows of app_mail beside the
// invoices, so that a delivery is queued in the same transaction as the invoice is recorded
// sealed and survives any crash. The Mailer (mailer.h) sends them.
#include "app/merchant/merchant.h"
#include "app/merchant/merchant_sql.h"

namespace app {
namespace {

constexpr const char* kColumns = "id, invoice_no, address, reason, state, attempts, error, created_ms, next_ms, sent_ms";

MailDelivery ReadDelivery(ledger::sql::Stmt& s) {
  MailDelivery d;
  d.id = s.Int(0);
  d.invoice_no = s.Text(1);
  d.address = s.Text(2);
  d.reason = s.Text(3);
  d.state = s.Text(4);
  d.attempts = static_cast<int>(s.Int(5));
  d.error = s.Text(6);
  d.created_ms = static_cast<uint64_t>(s.Int(7));
  d.next_ms = static_cast<uint64_t>(s.Int(8));
  if (!s.IsNull(9)) d.sent_ms = static_cast<uint64_t>(s.Int(9));
  return d;
}

}  // namespace

void Merchant::QueueBuyerMailLocked(const invoice::Invoice& inv) {
  if (inv.buyer.email.empty()) return;
  const auto now = static_cast<int64_t>(clock_());
  OrThrow(Q("INSERT OR IGNORE INTO app_mail(invoice_no, address, reason, state, created_ms, next_ms) "
            "VALUES (?1, ?2, 'sealed', 'queued', ?3, ?3)")
            .Bind(1, inv.invoice_no).Bind(2, inv.buyer.email).Bind(3, now).Run());
}

std::vector<MailDelivery> Merchant::DueMail(uint64_t now, size_t limit) {
  MutexLock lock(mu_);
  auto s = Q(std::string("SELECT ") + kColumns + " FROM app_mail WHERE state = 'queued' AND next_ms <= ?1 ORDER BY next_ms, id LIMIT ?2");
  s.Bind(1, static_cast<int64_t>(now)).Bind(2, static_cast<int64_t>(limit));
  std::vector<MailDelivery> out;
  while (ValueOrThrow(s.Step())) out.push_back(ReadDelivery(s));
  return out;
}

std::vector<MailDelivery> Merchant::MailOf(const std::string& invoice_no) {
  MutexLock lock(mu_);
  auto s = Q(std::string("SELECT ") + kColumns + " FROM app_mail WHERE invoice_no = ?1 ORDER BY id");
  s.Bind(1, invoice_no);
  std::vector<MailDelivery> out;
  while (ValueOrThrow(s.Step())) out.push_back(ReadDelivery(s));
  return out;
}

std::optional<MailDelivery> Merchant::QueueMail(const std::string& invoice_no, const std::string& address) {
  MutexLock lock(mu_);
  auto known = Q("SELECT 1 FROM app_invoice WHERE invoice_no = ?1");
  if (!ValueOrThrow(known.Bind(1, invoice_no).Step())) return std::nullopt;
  const auto now = static_cast<int64_t>(clock_());
  OrThrow(Q("INSERT INTO app_mail(invoice_no, address, reason, state, created_ms, next_ms) "
            "VALUES (?1, ?2, 'resend', 'queued', ?3, ?3)")
            .Bind(1, invoice_no).Bind(2, address).Bind(3, now).Run());
  auto s = Q(std::string("SELECT ") + kColumns + " FROM app_mail WHERE id = last_insert_rowid()");
  ValueOrThrow(s.Step());
  return ReadDelivery(s);
}

void Merchant::MailSent(int64_t id, uint64_t now) {
  MutexLock lock(mu_);
  OrThrow(Q("UPDATE app_mail SET state = 'sent', sent_ms = ?2, error = NULL WHERE id = ?1 AND state = 'queued'")
            .Bind(1, id).Bind(2, static_cast<int64_t>(now)).Run());
}

void Merchant::MailFailed(int64_t id, const std::string& error, std::optional<uint64_t> retry_at) {
  MutexLock lock(mu_);
  auto s = Q("UPDATE app_mail SET attempts = attempts + 1, error = ?2, state = ?3, next_ms = ?4 WHERE id = ?1 AND state = 'queued'");
  s.Bind(1, id).Bind(2, error).Bind(3, retry_at ? "queued" : "failed");
  s.Bind(4, static_cast<int64_t>(retry_at.value_or(0)));
  OrThrow(s.Run());
}

Merchant::MailCounters Merchant::mail_counters() {
  MutexLock lock(mu_);
  MailCounters c;
  auto s = Q("SELECT state, attempts > 0, count(*) FROM app_mail GROUP BY 1, 2");
  while (ValueOrThrow(s.Step())) {
    const std::string state = s.Text(0);
    const auto n = static_cast<uint64_t>(s.Int(2));
    if (state == "queued") {
      c.queued += n;
      if (s.Int(1)) c.retrying += n;
    } else if (state == "sent") {
      c.sent += n;
    } else if (state == "failed") {
      c.failed += n;
    }
  }
  return c;
}

}  // namespace app
