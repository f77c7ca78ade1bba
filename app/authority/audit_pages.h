// What the bureau's dashboard (/audit) and the standalone report (`einvoice audit report`)
// show, built once from the lifecycle and the anomalies: totals, invoices and tax per day
// as bar charts (inline SVG geometry computed here, drawn by the template), the anomalies,
// and per taxpayer the filed figures beside the chain's.
#pragma once

#include <string>
#include <vector>

#include "app/authority/audit.h"
#include "app/http/pages.h"
#include "invoice/lifecycle.h"

namespace app {

// Adds the overview to `d`. `period` ("2026-10", "2026-Q4" or empty for everything); `link_base`: prefix of the
// drill-down links ("/audit" on the dashboard; empty in the standalone report, which has no
// links out).
void AddAuditOverview(PageData& d, const invoice::Lifecycle& lc, const std::vector<Anomaly>& anomalies,
                      const std::string& period, const std::string& link_base);

}  // namespace app
