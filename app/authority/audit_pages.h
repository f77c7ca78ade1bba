// What the bureau's dashboard (/audit) and the standalone report (`einvoice audit report`)
// show, built once from the lifecycle and the anomalies: totals, invoices and tax per day
// as bar charts (inline SVG geometry computed here, drawn by the template), the anomalies,
// and per taxpayer the filed figures beside the chain's. Every word comes from the catalog
// (anomaly.*, audit.*) in the reader's language; times are China Standard Time.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "app/authority/audit.h"
#include "app/http/catalog.h"
#include "app/http/pages.h"
#include "invoice/lifecycle.h"

namespace app {

// A period in words: "2026 年 10 月" for "2026-10", "2026 年第 4 季度" for "2026-Q4", all
// periods for "".
std::string PeriodText(const Catalog& catalog, std::string_view lang, const std::string& period);

// One anomaly as a page shows it: the rule's name (anomaly.rule.<rule>), a sentence made from
// its fields, the taxpayer, the block and time (CST), and its evidence as readable
// "name: value" items (`evidence`), never the API's English or raw JSON. `link_base`: as below.
PageData AnomalyRow(const Catalog& catalog, std::string_view lang, const invoice::Lifecycle& lc, const Anomaly& a,
                    const std::string& link_base);

// Adds the overview to `d`. `period` ("2026-10", "2026-Q4" or empty for everything); `link_base`: prefix of the
// drill-down links ("/audit" on the dashboard; empty in the standalone report, which has no
// links out).
void AddAuditOverview(PageData& d, const Catalog& catalog, std::string_view lang, const invoice::Lifecycle& lc,
                      const std::vector<Anomaly>& anomalies, const std::string& period, const std::string& link_base);

}  // namespace app
