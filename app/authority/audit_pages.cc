#include "app/authority/audit_pages.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>

#include "invoice/money.h"
#include "invoice/time_format.h"
#include "invoice/ubl.h"
#include "tax/filing.h"

namespace app {
namespace {

constexpr int kChartWidth = 720, kChartHeight = 160;

// The catalog in one language.
struct Words {
  const Catalog& catalog;
  std::string_view lang;
  std::string operator()(std::string_view key, Catalog::Args args = {}) const { return catalog.Text(lang, key, args); }
  bool Has(const std::string& key) const { return catalog.Has(key); }
};

// Bars for a series of (label, value): geometry for `<rect>` elements in the template.
PageData Chart(const std::string& caption, const Words& w, const std::vector<std::pair<std::string, int64_t>>& series,
               const std::function<std::string(int64_t)>& format) {
  PageData c;
  c.set("caption", caption);
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
    const int bw = std::clamp(static_cast<int>(slot) - 2, 1, 40);  // centred in its slot
    b.set("w", std::to_string(bw));
    b.set("x", std::to_string(static_cast<int>(i * slot + slot / 2) - bw / 2));
    b.set("h", std::to_string(h));
    b.set("label", label);
    b.set("value", format(v));
    b.set("tx", std::to_string(static_cast<int>(i * slot + slot / 2)));
    b.set("ty", std::to_string(kChartHeight + 14));
    b.set("show_label", i % std::max<size_t>(1, series.size() / 10) == 0);
    bars.push_back(b);
  }
  c.set("bars", bars);
  c.set("max_text", w("audit.chart.max", {{"max", format(max)}}));
  c.set("empty", series.empty());
  return c;
}

bool EndsWith(const std::string& s, std::string_view tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// "¥12.30" for "1230" (fen); the text itself if it is not a number.
std::string Yuan(const std::string& fen) {
  try {
    size_t used = 0;
    long long v = std::stoll(fen, &used);
    if (used == fen.size()) return "¥" + invoice::FormatYuan(v);
  } catch (const std::exception&) {
  }
  return fen;
}

// "13%" for "0.13".
std::string RateText(const std::string& rate) {
  if (auto r = invoice::TaxRate::Parse(rate)) return std::to_string(r->percent()) + "%";
  return rate;
}

std::string Block(const Words& w, const std::string& height) { return w("step.block", {{"height", height}}); }

std::string Field(const Anomaly& a, const std::string& name) {
  for (const auto& [k, v] : a.evidence)
    if (k == name) return v;
  return "";
}

// The evidence's JSON detail (a refused entry's or a node's alarm), if it is an object.
Poco::JSON::Object::Ptr Detail(const Anomaly& a) {
  const std::string text = Field(a, "detail");
  if (text.empty()) return nullptr;
  try {
    Poco::JSON::Parser parser;
    return parser.parse(text).extract<Poco::JSON::Object::Ptr>();
  } catch (const std::exception&) {  // not JSON, or not an object (Poco's exceptions too)
    return nullptr;
  }
}

std::string DetailString(const Poco::JSON::Object::Ptr& o, const std::string& key) {
  if (!o || !o->has(key)) return "";
  try {
    return o->get(key).toString();
  } catch (const std::exception&) {
    return "";
  }
}

// A refusal code in words (anomaly.code.<code>), or the code if the catalog has none.
std::string CodeText(const Words& w, const std::string& code) {
  const std::string key = "anomaly.code." + code;
  return w.Has(key) ? w(key) : code;
}

// A figure of a return in words: "rates[0.13].net_fen" -> "税率 13% 金额".
std::string FigureText(const Words& w, const std::string& figure) {
  std::string rate, name = figure;
  if (figure.rfind("rates[", 0) == 0) {
    size_t close = figure.find("].");
    if (close != std::string::npos) {
      rate = RateText(figure.substr(6, close - 6));
      name = figure.substr(close + 2);
    }
  }
  const std::string key = "anomaly.figure." + name;
  return w.Has(key) ? w(key, {{"rate", rate}}) : figure;
}

// One piece of evidence's value for people: money in yuan, heights as blocks, UTC times in
// China Standard Time, codes and periods in words.
std::string EvidenceValue(const Words& w, const std::string& key, const std::string& value) {
  if (EndsWith(key, "_fen")) return Yuan(value);
  if (EndsWith(key, "_height")) return Block(w, value);
  if (key == "last" || key == "time")
    if (auto ms = invoice::ParseUtcMs(value)) return invoice::ChinaDateTime(*ms);
  if (key == "code") return CodeText(w, value);
  if (key == "period") return PeriodText(w.catalog, w.lang, value);
  return value;
}

PageData Evidence(const Words& w, const Anomaly& a) {
  PageData out = List();
  auto item = [&](const std::string& text) {
    PageData x;
    x.set("text", text);
    out.push_back(x);
  };
  auto pair = [&](const std::string& key, const std::string& value) {
    if (value.empty()) return;
    const std::string name_key = "anomaly.evidence." + key;
    item(w("anomaly.evidence_pair", {{"name", w.Has(name_key) ? w(name_key) : key}, {"value", value}}));
  };
  const bool split_view = a.rule == "split_view_alarm";
  for (const auto& [key, value] : a.evidence) {
    if (key == "detail") {
      Poco::JSON::Object::Ptr o = Detail(a);
      if (!o) continue;
      for (const std::string& k : o->getNames()) {
        // Hashes identify entries for machines (the API has them); the reason repeats the code.
        if (EndsWith(k, "_hash") || k == "reason") continue;
        if (k == "differences") {
          Poco::JSON::Array::Ptr diffs = o->getArray(k);
          for (size_t i = 0; diffs && i < diffs->size(); ++i) {
            Poco::JSON::Object::Ptr d = diffs->getObject(static_cast<unsigned>(i));
            if (!d) continue;
            const std::string figure = DetailString(d, "figure");
            const std::string filed = DetailString(d, "filed"), chain = DetailString(d, "chain");
            if (EndsWith(figure, "hash"))
              item(w("anomaly.evidence.set_differs", {{"figure", FigureText(w, figure)}}));
            else
              item(w("anomaly.evidence.difference", {{"figure", FigureText(w, figure)},
                                                     {"filed", EndsWith(figure, "_fen") ? Yuan(filed) : filed},
                                                     {"chain", EndsWith(figure, "_fen") ? Yuan(chain) : chain}}));
          }
          continue;
        }
        pair(k, EvidenceValue(w, k, DetailString(o, k)));
      }
      continue;
    }
    if (key == "code" && split_view) {
      pair("reason", value);  // a node's own words
      continue;
    }
    pair(key, EvidenceValue(w, key, value));
  }
  return out;
}

// The anomaly in one sentence, from its rule and fields (audit.cc's English summary is the API's).
std::string Summary(const Words& w, const invoice::Lifecycle& lc, const Anomaly& a) {
  const std::string& r = a.rule;
  const std::string no = a.invoice_no;
  if (r == "payment_without_invoice")
    return w("anomaly.summary.payment_without_invoice", {{"payment_id", Field(a, "payment_id")},
                                                         {"amount", Yuan(Field(a, "amount_fen"))},
                                                         {"paid_at", invoice::ChinaDateTime(a.time_ms)}});
  if (r == "payment_amount_differs")
    return w("anomaly.summary.payment_amount_differs", {{"invoice_no", no},
                                                        {"invoice_amount", Yuan(Field(a, "invoice_fen"))},
                                                        {"payment_id", Field(a, "payment_id")},
                                                        {"paid_amount", Yuan(Field(a, "paid_fen"))}});
  if (r == "refund_of_settled_invoice") {
    const std::string request = Field(a, "request_id");
    std::string amount = "—";
    if (const invoice::InvoiceState* st = lc.FindInvoice(no))
      for (const invoice::Step& s : st->history)
        if (s.kind == invoice::Step::Kind::kConfirmationRequested && s.ref == request)
          amount = "¥" + invoice::FormatYuan(s.amount_fen);
    return w("anomaly.summary.refund_of_settled_invoice",
             {{"invoice_no", no}, {"company", Field(a, "company")}, {"amount", amount}, {"request_id", request}});
  }
  if (r == "late_invoice_for_filed_period") {
    const std::string filing = Field(a, "filing_id");
    const invoice::FilingState* f = lc.FindFiling(filing);
    return w("anomaly.summary.late_invoice_for_filed_period",
             {{"invoice_no", no}, {"filing_id", filing}, {"period", f ? PeriodText(w.catalog, w.lang, f->event.period) : "—"}});
  }
  if (r == "period_not_filed")
    return w("anomaly.summary.period_not_filed",
             {{"period", PeriodText(w.catalog, w.lang, Field(a, "period"))}, {"deadline", Field(a, "deadline")}});
  if (r == "refused_double_claim")
    return w("anomaly.summary.refused_double_claim", {{"invoice_no", no}, {"reason", CodeText(w, Field(a, "code"))}});
  if (r == "number_outside_range") return w("anomaly.summary.number_outside_range", {{"invoice_no", no}});
  if (r == "filing_differs") {
    Poco::JSON::Object::Ptr o = Detail(a);
    const std::string filing = DetailString(o, "filing_id"), period = DetailString(o, "period");
    return w("anomaly.summary.filing_differs",
             {{"filing_id", filing.empty() ? "—" : filing}, {"period", period.empty() ? "—" : PeriodText(w.catalog, w.lang, period)}});
  }
  if (r == "event_time_out_of_range")
    return no.empty() ? w("anomaly.summary.event_time_out_of_range")
                      : w("anomaly.summary.event_time_out_of_range_invoice", {{"invoice_no", no}});
  if (r == "split_view_alarm") return w("anomaly.summary.split_view_alarm", {{"node", a.taxpayer}});
  return w("anomaly.summary.other");
}

}  // namespace

std::string PeriodText(const Catalog& catalog, std::string_view lang, const std::string& period) {
  if (period.empty()) return catalog.Text(lang, "audit.period.all");
  if (period.size() == 7 && period[4] == '-' && period[5] == 'Q')
    return catalog.Text(lang, "audit.period.quarter", {{"year", period.substr(0, 4)}, {"quarter", period.substr(6)}});
  if (period.size() == 7 && period[4] == '-') {
    const std::string mm = period.substr(5);  // "09": month 9
    return catalog.Text(lang, "audit.period.month", {{"year", period.substr(0, 4)}, {"month", mm[0] == '0' ? mm.substr(1) : mm}});
  }
  return period;
}

PageData AnomalyRow(const Catalog& catalog, std::string_view lang, const invoice::Lifecycle& lc, const Anomaly& a,
                    const std::string& link_base) {
  const Words w{catalog, lang};
  PageData r;
  r.set("rule", a.rule);
  const std::string rule_key = "anomaly.rule." + a.rule;
  r.set("rule_name", w.Has(rule_key) ? w(rule_key) : a.rule);
  const invoice::RegisterEvent* reg = lc.FindTaxpayer(a.taxpayer);
  r.set("taxpayer_name", reg ? reg->name + " " + a.taxpayer : a.taxpayer);
  r.set("summary", Summary(w, lc, a));
  r.set("anomaly_invoice_no", a.invoice_no);
  r.set("block", a.height ? Block(w, std::to_string(a.height)) : "");
  r.set("anomaly_time", a.time_ms ? invoice::ChinaDateTime(a.time_ms) : "");
  if (!link_base.empty()) {
    if (reg) r.set("taxpayer_link", link_base + "/taxpayers/" + a.taxpayer);
    const invoice::InvoiceState* st = a.invoice_no.empty() ? nullptr : lc.FindInvoice(a.invoice_no);
    if (st && !st->invoice.invoice_no.empty()) r.set("invoice_link", link_base + "/invoices/" + a.invoice_no);
  }
  r.set("evidence", Evidence(w, a));
  return r;
}

void AddAuditOverview(PageData& d, const Catalog& catalog, std::string_view lang, const invoice::Lifecycle& lc,
                      const std::vector<Anomaly>& anomalies, const std::string& period, const std::string& link_base) {
  const Words w{catalog, lang};
  const bool links = !link_base.empty();
  d.set("period", PeriodText(catalog, lang, period));
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
  d.set("summary", w("audit.overview.summary", {{"blue", std::to_string(blue)},
                                                {"red", std::to_string(red)},
                                                {"total", invoice::FormatYuan(total)},
                                                {"tax", invoice::FormatYuan(tax)}}));
  std::vector<std::pair<std::string, int64_t>> count_series, tax_series;
  for (const auto& [date, v] : per_day) {
    count_series.emplace_back(date.substr(5), v.first);
    tax_series.emplace_back(date.substr(5), v.second);
  }
  PageData charts = List();
  charts.push_back(Chart(w("audit.chart.count"), w, count_series, [](int64_t v) { return std::to_string(v); }));
  charts.push_back(Chart(w("audit.chart.tax"), w, tax_series, [](int64_t v) { return invoice::FormatYuan(v); }));
  d.set("charts", charts);

  PageData rows = List();
  for (const Anomaly& a : anomalies) rows.push_back(AnomalyRow(catalog, lang, lc, a, link_base));
  d.set("anomalies", rows);
  d.set("anomalies_heading", w("audit.anomalies.heading", {{"count", std::to_string(anomalies.size())}}));

  PageData taxpayers = List();
  for (const auto& [id, p] : per) {
    const invoice::RegisterEvent* reg = lc.FindTaxpayer(id);
    PageData t;
    t.set("taxpayer_name", reg ? reg->name + " " + id : id);
    t.set("blue", std::to_string(p.blue));
    t.set("red", std::to_string(p.red));
    t.set("total", invoice::FormatYuan(p.total));
    t.set("tax", invoice::FormatYuan(p.tax));
    t.set("claims", std::to_string(p.claims));
    if (links) t.set("taxpayer_link", link_base + "/taxpayers/" + id);
    // Filings in the period: filed against the chain's figures now.
    PageData filings = List();
    for (const auto& [fid, f] : lc.filings()) {
      if (f.event.seller != id || (!period.empty() && f.event.period != period)) continue;
      invoice::FilingFigures chain = tax::ReturnFromLifecycle(lc, id, f.event.period);
      size_t diffs = tax::CompareFigures(f.event.figures, chain).size();
      std::string text = w("audit.filing.line", {{"period", PeriodText(catalog, lang, f.event.period)},
                                                 {"filing_id", fid},
                                                 {"filed_tax", invoice::FormatYuan(f.event.figures.TaxFen())},
                                                 {"chain_tax", invoice::FormatYuan(chain.TaxFen())},
                                                 {"filed_count", std::to_string(f.event.figures.invoice_count)},
                                                 {"chain_count", std::to_string(chain.invoice_count)},
                                                 {"block", Block(w, std::to_string(f.place.height))}});
      if (!f.amended_by.empty()) text = w("audit.filing.amended", {{"text", text}});
      if (diffs) text = w("audit.filing.differs", {{"text", text}, {"count", std::to_string(diffs)}});
      PageData x;
      x.set("agrees", diffs == 0);
      x.set("text", text);
      filings.push_back(x);
    }
    t.set("filings", filings);
    taxpayers.push_back(t);
  }
  d.set("taxpayers", taxpayers);
}

}  // namespace app
