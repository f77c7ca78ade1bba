// The bureau's audit at the authority: the API (GET /v1/audit/verify, /v1/audit/anomalies,
// /v1/audit/taxpayers/{tax_id}, POST /v1/audit/payments, POST /v1/alarms from taxpayer nodes)
// and the auditor's pages (/audit, /audit/taxpayers/{id}, /audit/invoices/{no}).
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "app/authority/audit.h"
#include "app/authority/authority.h"
#include "app/base/mutex.h"
#include "app/chain/node_callers.h"
#include "app/http/site.h"
#include "ledger/block_store.h"

namespace app {

class AuditRoutes {
 public:
  struct Config {
    std::string db_path;                    // node.db, verified by GET /v1/audit/verify
    int audit_invoice_deadline_hours = 48;  // audit.invoice_deadline_hours
    int audit_filing_deadline_day = 15;     // audit.filing_deadline_day
  };
  AuditRoutes(Config config, Site& site, Authority& authority, AuditStore& audit, ledger::BlockStore& store,
              NodeCallers& callers);
  void AddApi(Router& r);    // audit_routes.cc
  void AddPages(Router& r);  // audit_page_routes.cc

 private:
  // The anomalies now.
  std::vector<Anomaly> Anomalies();
  // A full verification of the chain, remembered for the dashboard.
  struct LastVerify {
    bool ok = false;
    uint64_t time_ms = 0, height = 0, blocks = 0, entries = 0;
    double seconds = 0;
    std::string bad_item, problem;
  };
  LastVerify RunVerify();

  const Config config_;
  Site& site_;
  Authority* authority_;
  AuditStore* audit_;
  ledger::BlockStore* store_;
  NodeCallers& callers_;
  Mutex verify_mu_;  // taken alone
  std::optional<LastVerify> last_verify_ GUARDED_BY(verify_mu_);
};

}  // namespace app
