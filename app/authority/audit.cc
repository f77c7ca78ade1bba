#include "app/authority/audit.h"

#include <algorithm>
#include <set>
#include <stdexcept>

#include "app/base/or_throw.h"
#include "invoice/time_format.h"
#include "invoice/ubl.h"
#include "tax/filing.h"

namespace app {
namespace {

constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS audit_record(id INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL, kind TEXT NOT NULL,
  taxpayer TEXT NOT NULL, invoice_no TEXT NOT NULL, code TEXT NOT NULL, detail TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit_payment(seller TEXT NOT NULL, payment_id TEXT NOT NULL, amount_fen INTEGER NOT NULL,
  paid_ms INTEGER NOT NULL, PRIMARY KEY(seller, payment_id));
)";

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// The moment a period's return is late: the end of day `day` of the month after it, China time.
uint64_t FilingDeadlineMs(const std::string& month, int day) {
  int y = std::stoi(month.substr(0, 4)), m = std::stoi(month.substr(5, 2)) + 1;
  if (m == 13) {
    m = 1;
    ++y;
  }
  int64_t days = DaysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(day)) + 1;
  return static_cast<uint64_t>(days * 86400000 - 8 * 3600000);
}

std::string QuarterOf(const std::string& month) {
  return month.substr(0, 4) + "-Q" + std::to_string((std::stoi(month.substr(5, 2)) - 1) / 3 + 1);
}

}  // namespace

AuditStore::AuditStore(const std::string& db_path, bool read_only) {
  MutexLock lock(mu_);
  auto db = ledger::sql::Db::Open(db_path, read_only ? ledger::sql::Db::Mode::kReadOnly : ledger::sql::Db::Mode::kReadWrite);
  OrThrow(db);
  db_ = std::move(db).value();
  if (!read_only) {
    OrThrow(db_->Exec(kSchema));
    // Audits made before records were folded together lack the count.
    auto has = db_->Prepare("SELECT count(*) FROM pragma_table_info('audit_record') WHERE name = 'count'");
    if (!has.ok() || !has->Step().ok()) throw std::runtime_error("cannot read the audit table");
    if (has->Int(0) == 0)
      OrThrow(db_->Exec("ALTER TABLE audit_record ADD COLUMN count INTEGER NOT NULL DEFAULT 1; "
                      "ALTER TABLE audit_record ADD COLUMN last_ms INTEGER NOT NULL DEFAULT 0;"));
    has->Reset();
    OrThrow(db_->Exec("CREATE INDEX IF NOT EXISTS audit_record_key ON audit_record(taxpayer, kind, invoice_no, code)"));
    return;
  }
  auto s = db_->Prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('audit_record', 'audit_payment')");
  tables_ = s.ok() && s->Step().ok() && s->Int(0) == 2;
}

void AuditStore::Record(const AuditRecord& r) {
  MutexLock lock(mu_);
  auto same = db_->Prepare("UPDATE audit_record SET count = count + 1, last_ms = ?5 WHERE id = (SELECT id FROM audit_record "
                           "WHERE taxpayer = ?1 AND kind = ?2 AND invoice_no = ?3 AND code = ?4 LIMIT 1)");
  OrThrow(same);
  OrThrow(same->Bind(1, r.taxpayer).Bind(2, r.kind).Bind(3, r.invoice_no).Bind(4, r.code)
            .Bind(5, static_cast<int64_t>(r.time_ms)).Run());
  if (db_->Changes() > 0) {
    ++repeated_;
    return;
  }
  auto& [window_start, made] = new_per_hour_[r.taxpayer];
  if (r.time_ms >= window_start + 3600 * 1000 || r.time_ms < window_start) {
    window_start = r.time_ms;
    made = 0;
  }
  if (made >= kMaxNewPerHour) {
    ++dropped_;
    return;
  }
  ++made;
  auto s = db_->Prepare("INSERT INTO audit_record(time_ms, kind, taxpayer, invoice_no, code, detail, count, last_ms) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?1)");
  OrThrow(s);
  OrThrow(s->Bind(1, static_cast<int64_t>(r.time_ms)).Bind(2, r.kind).Bind(3, r.taxpayer).Bind(4, r.invoice_no).Bind(5, r.code)
            .Bind(6, r.detail).Run());
}

size_t AuditStore::ReportPayments(const std::vector<ReportedPayment>& payments) {
  MutexLock lock(mu_);
  ledger::sql::Transaction tx(db_.get());
  OrThrow(tx.begin_status());
  size_t added = 0;
  for (const auto& p : payments) {
    auto s = db_->Prepare("INSERT INTO audit_payment(seller, payment_id, amount_fen, paid_ms) VALUES (?1, ?2, ?3, ?4) "
                          "ON CONFLICT(seller, payment_id) DO UPDATE SET amount_fen = excluded.amount_fen, paid_ms = excluded.paid_ms");
    OrThrow(s);
    OrThrow(s->Bind(1, p.seller).Bind(2, p.payment_id).Bind(3, p.amount_fen).Bind(4, static_cast<int64_t>(p.paid_ms)).Run());
    added += db_->Changes() > 0;
  }
  OrThrow(tx.Commit());
  return added;
}

std::vector<AuditRecord> AuditStore::Records() {
  MutexLock lock(mu_);
  if (!tables_) return {};
  auto s = db_->Prepare(
      "SELECT id, time_ms, kind, taxpayer, invoice_no, code, detail, count, last_ms FROM audit_record ORDER BY id");
  OrThrow(s);
  std::vector<AuditRecord> out;
  while (true) {
    auto row = s->Step();
    OrThrow(row);
    if (!*row) break;
    out.push_back({s->Int(0), static_cast<uint64_t>(s->Int(1)), s->Text(2), s->Text(3), s->Text(4), s->Text(5), s->Text(6),
                   static_cast<uint64_t>(s->Int(7)), static_cast<uint64_t>(s->Int(8))});
  }
  return out;
}

std::vector<ReportedPayment> AuditStore::Payments() {
  MutexLock lock(mu_);
  if (!tables_) return {};
  auto s = db_->Prepare("SELECT seller, payment_id, amount_fen, paid_ms FROM audit_payment ORDER BY paid_ms");
  OrThrow(s);
  std::vector<ReportedPayment> out;
  while (true) {
    auto row = s->Step();
    OrThrow(row);
    if (!*row) break;
    out.push_back({s->Text(0), s->Text(1), s->Int(2), static_cast<uint64_t>(s->Int(3))});
  }
  return out;
}

std::vector<Anomaly> FindAnomalies(const invoice::Lifecycle& lc, const std::vector<AuditRecord>& records,
                                   const std::vector<ReportedPayment>& payments, const AuditRules& rules, uint64_t now_ms) {
  using K = invoice::Step::Kind;
  std::vector<Anomaly> out;
  auto h = [](uint64_t v) { return std::to_string(v); };

  // Payments the platform reported, against the blue invoices on the chain.
  struct Blue {
    std::string no;
    invoice::Fen total_fen = 0;
    invoice::Place issued;
  };
  std::map<std::pair<std::string, std::string>, Blue> blue_by_payment;
  std::map<std::string, std::set<std::string>> months;  // seller -> months with invoices
  // Refunds asked of invoices already settled (reimbursed money comes back to the buyer),
  // listed after the payments' anomalies.
  std::vector<Anomaly> refunds;
  auto refunds_of_settled = [&](const std::string& no, const invoice::InvoiceState& st) {
    uint64_t settled_at = 0;
    for (const invoice::Step& s : st.history) {
      if (s.kind == K::kSettled) settled_at = s.place.height;
      if (s.kind == K::kReleased) settled_at = 0;
      if (s.kind == K::kConfirmationRequested && settled_at)
        refunds.push_back({"refund_of_settled_invoice", st.invoice.seller.tax_id,
                       "a refund of " + invoice::FormatYuan(s.amount_fen) + " was asked of invoice " + no +
                           " after the buyer's company had reimbursed it",
                       no, {{"request_id", s.ref}, {"settled_height", h(settled_at)}, {"request_height", h(s.place.height)},
                            {"company", s.company}},
                       s.place.height, s.place.time_ms});
    }
  };
  lc.ForEachInvoice([&](const std::string& no, const invoice::InvoiceState& st) {
    refunds_of_settled(no, st);
    if (st.invoice.invoice_no.empty()) return;
    if (st.invoice.color == invoice::Color::kBlue)
      blue_by_payment[{st.invoice.seller.tax_id, st.invoice.payment_id}] = {st.invoice.invoice_no, st.invoice.TotalFen(),
                                                                              st.issued};
    months[st.invoice.seller.tax_id].insert(invoice::ChinaDate(st.invoice.issued_at_ms).substr(0, 7));
  });
  for (const ReportedPayment& p : payments) {
    auto it = blue_by_payment.find({p.seller, p.payment_id});
    if (it == blue_by_payment.end()) {
      if (now_ms > p.paid_ms + rules.invoice_deadline_ms)
        out.push_back({"payment_without_invoice", p.seller,
                       "payment " + p.payment_id + " of " + invoice::FormatYuan(p.amount_fen) + " yuan has no invoice " +
                           std::to_string((now_ms - p.paid_ms) / 3600000) + " hours after it was paid",
                       "", {{"payment_id", p.payment_id}, {"amount_fen", std::to_string(p.amount_fen)}}, 0, p.paid_ms});
      continue;
    }
    const Blue& b = it->second;
    if (b.total_fen != p.amount_fen)
      out.push_back({"payment_amount_differs", p.seller,
                     "invoice " + b.no + " totals " + invoice::FormatYuan(b.total_fen) + " but payment " + p.payment_id +
                         " was " + invoice::FormatYuan(p.amount_fen),
                     b.no,
                     {{"payment_id", p.payment_id}, {"paid_fen", std::to_string(p.amount_fen)},
                      {"invoice_fen", std::to_string(b.total_fen)}, {"invoice_height", h(b.issued.height)}},
                     b.issued.height, b.issued.time_ms});
  }
  out.insert(out.end(), refunds.begin(), refunds.end());

  // Filings: invoices sealed after the latest filing of their period; periods never filed.
  // Named references, not a structured binding: the lambda below uses them, and clang before
  // 16 cannot capture structured bindings.
  for (const auto& filing : lc.filings()) {
    const std::string& id = filing.first;
    const auto& f = filing.second;
    if (!f.amended_by.empty()) continue;
    lc.ForEachInvoice(tax::PeriodFilter(f.event.seller, f.event.period), [&](const std::string&, const invoice::InvoiceState& st) {
      const std::string& no = st.invoice.invoice_no;
      if (!no.empty() && st.issued.height > f.place.height && tax::InPeriod(st.invoice.issued_at_ms, f.event.period))
        out.push_back({"late_invoice_for_filed_period", f.event.seller,
                       "invoice " + no + " of " + f.event.period + " was sealed after filing " + id + "; amend the filing",
                       no, {{"filing_id", id}, {"filing_height", h(f.place.height)}, {"invoice_height", h(st.issued.height)}},
                       st.issued.height, st.issued.time_ms});
    });
  }
  for (const auto& [seller, set] : months)
    for (const std::string& month : set) {
      uint64_t deadline = FilingDeadlineMs(month, rules.filing_deadline_day);
      if (now_ms <= deadline || lc.LatestFiling(seller, month) || lc.LatestFiling(seller, QuarterOf(month))) continue;
      out.push_back({"period_not_filed", seller,
                     month + " has invoices but no return was filed by " + invoice::ChinaDate(deadline - 1), "",
                     {{"period", month}, {"deadline", invoice::ChinaDate(deadline - 1)}}, 0, deadline});
    }

  // What was refused or reported as it happened.
  for (const AuditRecord& r : records) {
    Anomaly a{"", r.taxpayer, "", r.invoice_no, {{"record", std::to_string(r.id)}, {"code", r.code}, {"detail", r.detail}}, 0,
              r.time_ms};
    if (r.count > 1) {
      a.evidence.emplace_back("times", std::to_string(r.count));
      a.evidence.emplace_back("last", invoice::FormatUtcMs(r.last_ms));
    }
    if (r.kind == "refused_claim" && (r.code == "already_locked" || r.code == "already_settled")) {
      a.rule = "refused_double_claim";
      a.summary = "a second claim of invoice " + r.invoice_no + " was refused (" + r.code + ")";
    } else if (r.kind == "refused_issue" && r.code == "outside_granted_range") {
      a.rule = "number_outside_range";
      a.summary = "an invoice numbered " + r.invoice_no + ", outside the ranges granted, was refused";
    } else if (r.kind == "refused_filing" && r.code == "filing_mismatch") {
      a.rule = "filing_differs";
      a.summary = "a filing whose figures differ from the chain was refused";
    } else if (r.code == "time_out_of_range") {
      a.rule = "event_time_out_of_range";
      a.summary = "an event dated far from the time it was sent (backdated, or in the future) was refused" +
                  (r.invoice_no.empty() ? std::string() : " (invoice " + r.invoice_no + ")");
    } else if (r.kind == "split_view") {
      a.rule = "split_view_alarm";
      a.summary = "a node reported a split view of the chain: " + r.code;
    } else {
      continue;
    }
    out.push_back(std::move(a));
  }
  std::stable_sort(out.begin(), out.end(), [](const Anomaly& a, const Anomaly& b) { return a.time_ms > b.time_ms; });
  return out;
}

}  // namespace app
