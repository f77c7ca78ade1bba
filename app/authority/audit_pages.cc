#include "app/authority/audit_pages.h"

#include <algorithm>
#include <map>

#include "invoice/money.h"
#include "invoice/ubl.h"
#include "tax/filing.h"

namespace app {
namespace {

constexpr int kChartWidth = 720, kChartHeight = 160;

// Bars for a series of (label, value): geometry for `<rect>` elements in the template.
PageData Chart(const std::string& title, const std::vector<std::pair<std::string, int64_t>>& series,
               const std::function<std::string(int64_t)>& format) {
  PageData c;
  c.set("title", title);
  c.set("width", std::to_string(kChartWidth));
  c.set("height", std::to_string(kChartHeight + 30));
  int64_t max = 1;
  for (const auto& [label, v] : series) max = std::max(max, v);
  PageData bars = List();
  const double slot = series.empty() ? kChartWidth : static_cast<double>(kChartWidth) / static_cast<double>(series.size());
  for (size_t i = 0; i < series.size(); ++i) {
    const auto& [label, v] = series[i];
    int h = static_cast<int>(static_cast<double>(std::max<int64_t>(v, 0)) * kChartHeight / static_cast<double>(max));
    PageData b;
    b.set("y", std::to_string(kChartHeight - h));
    const int w = std::clamp(static_cast<int>(slot) - 2, 1, 40);  // centred in its slot
    b.set("w", std::to_string(w));
    b.set("x", std::to_string(static_cast<int>(i * slot + slot / 2) - w / 2));
    b.set("h", std::to_string(h));
    b.set("label", label);
    b.set("value", format(v));
    b.set("tx", std::to_string(static_cast<int>(i * slot + slot / 2)));
    b.set("ty", std::to_string(kChartHeight + 14));
    b.set("show_label", i % std::max<size_t>(1, series.size() / 10) == 0);
    bars.push_back(b);
  }
  c.set("bars", bars);
  c.set("max", format(max));
  c.set("empty", series.empty());
  return c;
}

}  // namespace

void AddAuditOverview(PageData& d, const invoice::Lifecycle& lc, const std::vector<Anomaly>& anomalies,
                      const std::string& period, const std::string& link_base) {
  const bool links = !link_base.empty();
  d.set("period", period.empty() ? std::string("all periods") : period);
  std::map<std::string, std::pair<int64_t, int64_t>> per_day;  // date -> (invoices, tax fen)
  struct PerTaxpayer {
    uint64_t blue = 0, red = 0;
    invoice::Fen total = 0, tax = 0;
    uint64_t claims = 0;
  };
  std::map<std::string, PerTaxpayer> per;
  uint64_t blue = 0, red = 0;
  invoice::Fen total = 0, tax = 0;
  lc.ForEachInvoice(period.empty() ? invoice::InvoiceFilter{} : tax::PeriodFilter("", period), [&](const std::string&, const invoice::InvoiceState& st) {
    const invoice::Invoice& inv = st.invoice;
    if (inv.invoice_no.empty() || (!period.empty() && !tax::InPeriod(inv.issued_at_ms, period))) return;
    auto& day = per_day[invoice::ChinaDate(inv.issued_at_ms)];
    day.first++;
    day.second += inv.TaxFen();
    PerTaxpayer& p = per[inv.seller.tax_id];
    (inv.color == invoice::Color::kBlue ? p.blue : p.red)++;
    (inv.color == invoice::Color::kBlue ? blue : red)++;
    p.total += inv.TotalFen();
    p.tax += inv.TaxFen();
    total += inv.TotalFen();
    tax += inv.TaxFen();
    if (!st.claimant.empty()) per[st.claimant].claims++;
  });
  d.set("blue_count", std::to_string(blue));
  d.set("red_count", std::to_string(red));
  d.set("total", invoice::FormatYuan(total));
  d.set("tax", invoice::FormatYuan(tax));
  std::vector<std::pair<std::string, int64_t>> count_series, tax_series;
  for (const auto& [date, v] : per_day) {
    count_series.emplace_back(date.substr(5), v.first);
    tax_series.emplace_back(date.substr(5), v.second);
  }
  PageData charts = List();
  charts.push_back(Chart("发票数 Invoices per day", count_series, [](int64_t v) { return std::to_string(v); }));
  charts.push_back(Chart("税额 Output tax per day (¥)", tax_series, [](int64_t v) { return invoice::FormatYuan(v); }));
  d.set("charts", charts);

  PageData rows = List();
  for (const Anomaly& a : anomalies) {
    PageData r;
    r.set("rule", a.rule);
    r.set("taxpayer", a.taxpayer);
    r.set("summary", a.summary);
    r.set("invoice_no", a.invoice_no);
    r.set("height", a.height ? std::to_string(a.height) : "");
    if (links) {
      r.set("taxpayer_link", link_base + "/taxpayers/" + a.taxpayer);
      if (!a.invoice_no.empty() && lc.FindInvoice(a.invoice_no) && !lc.FindInvoice(a.invoice_no)->invoice.invoice_no.empty())
        r.set("invoice_link", link_base + "/invoices/" + a.invoice_no);
    }
    std::string evidence;
    for (const auto& [k, v] : a.evidence) evidence += (evidence.empty() ? "" : " · ") + k + " " + v;
    r.set("evidence", evidence);
    rows.push_back(r);
  }
  d.set("anomalies", rows);
  d.set("anomaly_count", std::to_string(anomalies.size()));

  PageData taxpayers = List();
  for (const auto& [id, p] : per) {
    const invoice::RegisterEvent* reg = lc.FindTaxpayer(id);
    PageData t;
    t.set("tax_id", id);
    t.set("name", reg ? reg->name : "");
    t.set("blue", std::to_string(p.blue));
    t.set("red", std::to_string(p.red));
    t.set("total", invoice::FormatYuan(p.total));
    t.set("tax", invoice::FormatYuan(p.tax));
    t.set("claims", std::to_string(p.claims));
    if (links) t.set("link", link_base + "/taxpayers/" + id);
    // Filings in the period: filed against the chain's figures now.
    PageData filings = List();
    for (const auto& [fid, f] : lc.filings()) {
      if (f.event.seller != id || (!period.empty() && f.event.period != period)) continue;
      invoice::FilingFigures chain = tax::ReturnFromLifecycle(lc, id, f.event.period);
      PageData x;
      x.set("filing_id", fid);
      x.set("period", f.event.period);
      x.set("filed_tax", invoice::FormatYuan(f.event.figures.TaxFen()));
      x.set("chain_tax", invoice::FormatYuan(chain.TaxFen()));
      x.set("filed_count", std::to_string(f.event.figures.invoice_count));
      x.set("chain_count", std::to_string(chain.invoice_count));
      size_t diffs = tax::CompareFigures(f.event.figures, chain).size();
      x.set("agrees", diffs == 0);
      x.set("differences", std::to_string(diffs));
      x.set("amended", !f.amended_by.empty());
      x.set("height", std::to_string(f.place.height));
      filings.push_back(x);
    }
    t.set("filings", filings);
    taxpayers.push_back(t);
  }
  d.set("taxpayers", taxpayers);
}

}  // namespace app
