// einvoice audit report: the bureau's figures for a period as one standalone HTML file,
// read from a node's database (the authority's holds every entry), with the chain verified
// first. Progress on a terminal while it reads the chain.
#include <filesystem>
#include <fstream>
#include <iostream>

#include "app/authority/audit.h"
#include "app/authority/audit_pages.h"
#include "app/chain/chain_events.h"
#include "app/chain/chain_json.h"
#include "app/cli/cli.h"
#include "app/node/node.h"
#include "app/base/progress.h"
#include "invoice/time_format.h"
#include "ledger/verifier.h"

namespace app::cli {
namespace {

int Report(const Args& a) {
  const std::string db = a.at("node-db"), period = a.count("period") ? a.at("period") : "";
  UseSuiteOfStore(db);
  if (!period.empty() && !invoice::ValidPeriod(period)) {
    std::cerr << "einvoice audit report: --period is a month (2026-10) or a quarter (2026-Q4)\n";
    return 2;
  }
  if (!std::filesystem::exists(db)) {
    std::cerr << "einvoice audit report: no database at " << db << "\n";
    return 2;
  }
  ledger::VerifyOptions vo;
  Progress verify_progress("verifying");
  vo.progress = [&](uint64_t done, uint64_t total) { verify_progress.Update(done, total); };
  auto verified = ledger::VerifyChain(db, vo);
  verify_progress.Finish();
  auto store = ledger::BlockStore::OpenExisting(db);
  if (!store.ok()) {
    std::cerr << "einvoice audit report: " << store.status().ToString() << "\n";
    return 2;
  }
  auto head = (*store)->Head();
  uint64_t height = head.ok() ? head->header.height : 0, held = 0;
  invoice::Lifecycle lc;
  Progress reading("reading the chain");
  ForEachChainEvent(**store, 0, [&](const ChainEvent& e) {
    lc.Record(e.submitter, e.event, e.place);
    ++held;
    reading.Update(e.place.height, height);
  });
  reading.Finish();
  AuditStore audit(db, /*read_only=*/true);
  auto anomalies = FindAnomalies(lc, audit.Records(), audit.Payments(), AuditRules{}, SystemClockMs());
  // A file for the bureau: in Chinese, the catalog's words, times in China Standard Time.
  const std::string dir = std::filesystem::is_directory("ui-templates") ? "ui-templates" : EINVOICE_DEFAULT_TEMPLATES_DIR;
  const Templates templates(dir);
  const Catalog& catalog = templates.catalog();
  const std::string lang = "zh-CN";
  auto text = [&](std::string_view key, Catalog::Args args = {}) { return catalog.Text(lang, key, args); };
  PageData d;
  d.set("t", catalog.Data(lang));
  d.set("lang", lang);
  AddAuditOverview(d, catalog, lang, lc, anomalies, period, "");
  d.set("title", text("report.title", {{"period", PeriodText(catalog, lang, period)}}));
  d.set("source", text("report.source", {{"db", db},
                                         {"height", std::to_string(height)},
                                         {"entries", std::to_string(head.ok() ? head->header.tree_size : 0)},
                                         {"held", std::to_string(held)}}));
  d.set("verify_result", !verified.ok() ? text("report.verify.failed", {{"problem", verified.status().ToString()}})
                         : verified->ok ? text("report.verify.ok", {{"entries", std::to_string(verified->entries)}})
                                        : text("report.verify.failed", {{"problem", verified->bad_item + ": " + verified->problem}}));
  d.set("generated", text("report.generated", {{"time", invoice::ChinaDateTime(SystemClockMs())}}));
  std::string html = templates.Render("report", d);
  std::ofstream out(a.at("out"), std::ios::trunc);
  out << html;
  if (!out) {
    std::cerr << "einvoice audit report: cannot write " << a.at("out") << "\n";
    return 2;
  }
  std::cout << "wrote " << a.at("out") << ": " << anomalies.size() << " anomalies; chain "
            << (verified.ok() && verified->ok ? "verified" : "NOT verified") << "\n";
  return verified.ok() && verified->ok ? 0 : 1;
}

}  // namespace

void AddAuditVerbs(std::vector<Verb>& verbs) {
  Verb v{"audit report", "the bureau's figures and anomalies for a period as a standalone HTML report",
         "--node-db PATH [--period 2026-10] --out report.html", {}, Report};
  v.options.addOption(Required("node-db", "PATH", "a node's database (the authority's holds every entry)"));
  v.options.addOption(Optional("period", "PERIOD", "a month (2026-10) or quarter (2026-Q4); default all"));
  v.options.addOption(Required("out", "FILE", "the HTML file to write"));
  verbs.push_back(std::move(v));
}

}  // namespace app::cli
