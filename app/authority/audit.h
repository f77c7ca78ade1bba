// The tax bureau's audit at the authority: what the chain alone cannot say is recorded as it
// happens (refused entries of interest, split-view alarms reported by nodes, the payment
// platform's report of payments), and the anomaly rules run over that and the lifecycle.
// Thread-safe.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "app/base/mutex.h"
#include "invoice/lifecycle.h"
#include "ledger/sqlite_db.h"

namespace app {

// A refused entry worth an auditor's eye, or an alarm a node reported.
struct AuditRecord {
  int64_t id = 0;
  uint64_t time_ms = 0;
  std::string kind;       // refused_claim, refused_issue, refused_filing, refused_red, split_view
  std::string taxpayer;   // who submitted or reported it
  std::string invoice_no; // the invoice concerned, if any
  std::string code;       // the refusal code, or the alarm's reason
  std::string detail;     // JSON text: the evidence
  uint64_t count = 1;     // how many times the same (kind, taxpayer, invoice, code) happened
  uint64_t last_ms = 0;   // the last of them
};

// A payment as the payment platform reports it to the bureau.
struct ReportedPayment {
  std::string seller, payment_id;
  int64_t amount_fen = 0;
  uint64_t paid_ms = 0;
};

struct AuditRules {
  uint64_t invoice_deadline_ms = 48ull * 3600 * 1000;  // audit.invoice_deadline_hours
  int filing_deadline_day = 15;                        // audit.filing_deadline_day: of the month after the period
};

struct Anomaly {
  std::string rule;      // payment_without_invoice, payment_amount_differs, refused_double_claim,
                         // refund_of_settled_invoice, number_outside_range, filing_differs,
                         // late_invoice_for_filed_period, period_not_filed, split_view_alarm,
                         // event_time_out_of_range
  std::string taxpayer;
  std::string summary;   // one sentence
  std::string invoice_no;
  std::vector<std::pair<std::string, std::string>> evidence;  // (name, value): event ids, heights, figures
  uint64_t height = 0;   // the block that shows it, if any
  uint64_t time_ms = 0;
};

class AuditStore {
 public:
  // Read-only: for reports over a database another process owns; a database without audit
  // tables reads as empty.
  explicit AuditStore(const std::string& db_path, bool read_only = false);
  // Records `r`, unless it repeats a record (same kind, taxpayer, invoice and code: that
  // one's count goes up), or its taxpayer made kMaxNewPerHour records in the last hour
  // (dropped, and counted). No node can make the audit grow without bound.
  void Record(const AuditRecord& r);
  static constexpr int kMaxNewPerHour = 60;
  uint64_t repeated() const { return repeated_.load(); }  // records folded into an earlier one
  uint64_t dropped() const { return dropped_.load(); }    // records over a taxpayer's hourly limit
  // Upserts the payments; returns how many were new.
  size_t ReportPayments(const std::vector<ReportedPayment>& payments);
  std::vector<AuditRecord> Records();
  std::vector<ReportedPayment> Payments();

 private:
  Mutex mu_;  // taken alone
  std::unique_ptr<ledger::sql::Db> db_ PT_GUARDED_BY(mu_);
  bool tables_ = true;  // set in the constructor, read only
  std::map<std::string, std::pair<uint64_t, int>> new_per_hour_ GUARDED_BY(mu_);  // taxpayer -> (window start, records)
  std::atomic<uint64_t> repeated_{0}, dropped_{0};
};

// Every anomaly, newest first.
std::vector<Anomaly> FindAnomalies(const invoice::Lifecycle& lc, const std::vector<AuditRecord>& records,
                                   const std::vector<ReportedPayment>& payments, const AuditRules& rules, uint64_t now_ms);

}  // namespace app
