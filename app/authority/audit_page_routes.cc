// The bureau's dashboard at the authority (auditor, signed in): /audit with the chain's
// state, the search, charts, anomalies and taxpayers; /audit/search?q= (an invoice number or
// a tax id, to its page); /audit/taxpayers/{id}, the drill-down with filed figures beside
// the chain's and the invoices 50 a page (all of them as CSV at .../invoices.csv);
// /audit/invoices/{no}, one invoice's lifecycle trace and its inclusion proof, verified
// against the signed head. Every word from the catalog; times in China Standard Time.
#include <Poco/URI.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "app/authority/audit_pages.h"
#include "app/authority/audit_routes.h"
#include "app/documents/invoice_json.h"
#include "invoice/money.h"
#include "invoice/time_format.h"
#include "invoice/ubl.h"
#include "ledger/merkle.h"
#include "tax/filing.h"

namespace app {
namespace {

constexpr size_t kInvoicesPerPage = 50;

// One of a taxpayer's invoices, as the drill-down and its CSV list it.
struct InvoiceRow {
  std::string no;
  invoice::Color color = invoice::Color::kBlue;
  uint64_t issued_at_ms = 0;
  invoice::Fen total = 0, tax = 0;
  invoice::Reimbursement reimbursement = invoice::Reimbursement::kNone;
  uint64_t height = 0;
};

// The invoices `id` issued, newest block first.
std::vector<InvoiceRow> InvoicesOf(const invoice::Lifecycle& lc, const std::string& id) {
  std::vector<InvoiceRow> rows;
  invoice::InvoiceFilter theirs;
  theirs.seller = id;
  lc.ForEachInvoice(theirs, [&](const std::string&, const invoice::InvoiceState& st) {
    if (st.invoice.invoice_no.empty()) return;
    rows.push_back({st.invoice.invoice_no, st.invoice.color, st.invoice.issued_at_ms, st.invoice.TotalFen(),
                    st.invoice.TaxFen(), st.reimbursement, st.issued.height});
  });
  std::stable_sort(rows.begin(), rows.end(), [](const InvoiceRow& a, const InvoiceRow& b) { return a.height > b.height; });
  return rows;
}

// A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break.
std::string Csv(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// What a person typed into the search: without any white space (numbers are often copied
// in groups), letters in upper case (tax ids are).
std::string SearchTerm(const std::string& q) {
  std::string out;
  for (unsigned char c : q)
    if (!std::isspace(c)) out += static_cast<char>(std::toupper(c));
  return out;
}

// At most `n` bytes of `s`, not cutting a UTF-8 character.
std::string Utf8Prefix(const std::string& s, size_t n) {
  if (s.size() <= n) return s;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

bool AllOf(const std::string& s, size_t size, bool (*ok)(unsigned char)) {
  return s.size() == size && std::all_of(s.begin(), s.end(), [&](char c) { return ok(static_cast<unsigned char>(c)); });
}

// The /audit page's form state beyond the overview: a refused period or search.
struct AuditForm {
  std::string period;        // the period shown ("" for all)
  std::string period_value;  // what the period field holds
  std::string period_error;
  std::string query;         // what the search field holds
  std::string search_error;
};

}  // namespace

void AuditRoutes::AddPages(Router& r) {
  // The dashboard: the chain, the last verification, the search and the period's overview.
  auto send_audit = [this](Exchange& ex, int status, const AuditForm& form) {
    const Catalog& catalog = site_.templates().catalog();
    const std::string lang = site_.Lang(ex);
    auto anomalies = Anomalies();
    PageData d = site_.Page(ex, "audit.title");
    authority_->WithLifecycle([&](const invoice::Lifecycle& lc) {
      AddAuditOverview(d, catalog, lang, lc, anomalies, form.period, "/audit");
      return 0;
    });
    auto head = store_->Head();
    d.set("chain_text", site_.Text(ex, "audit.chain", {{"height", head.ok() ? std::to_string(head->header.height) : "—"},
                                                       {"entries", head.ok() ? std::to_string(head->header.tree_size) : "—"}}));
    d.set("period_value", form.period_value);
    if (!form.period_error.empty()) d.set("period_error", form.period_error);
    d.set("query", form.query);
    if (!form.search_error.empty()) d.set("search_error", form.search_error);
    std::optional<LastVerify> v;
    {
      MutexLock lock(verify_mu_);
      v = last_verify_;
    }
    if (v) {
      d.set("verified", true);
      d.set("verified_at", site_.Text(ex, "audit.verify.last", {{"time", invoice::ChinaDateTime(v->time_ms)}}));
      d.set("verify_result",
            v->ok ? site_.Text(ex, "audit.verify.ok", {{"height", std::to_string(v->height)}})
                  : site_.Text(ex, "audit.verify.failed",
                               {{"problem", v->bad_item.empty() ? v->problem : v->bad_item + ": " + v->problem}}));
      char secs[32];
      std::snprintf(secs, sizeof secs, "%.3f", v->seconds);
      d.set("verify_stats",
            site_.Text(ex, "audit.verify.stats",
                       {{"entries", std::to_string(v->entries)},
                        {"seconds", std::string(secs)},
                        {"rate", std::to_string(v->seconds > 0 ? static_cast<uint64_t>(v->entries / v->seconds) : 0)}}));
    }
    site_.SendPage(ex, status, "audit", d);
  };

  r.Add("GET", "/audit", [this, send_audit](Exchange& ex) {
    if (!site_.PageUserOrLogin(ex, TokenRole::kAuditor)) return;
    AuditForm form;
    form.period_value = TrimmedField(ex.Query("period").value_or(""));
    if (!form.period_value.empty() && !invoice::ValidPeriod(form.period_value)) {
      form.period_error = site_.Text(ex, "audit.period_invalid", {{"period", Utf8Prefix(form.period_value, 40)}});
      return send_audit(ex, 422, form);
    }
    form.period = form.period_value;
    send_audit(ex, 200, form);
  });

  // An invoice number or a tax id: to its page; otherwise the dashboard says why not.
  r.Add("GET", "/audit/search", [this, send_audit](Exchange& ex) {
    if (!site_.PageUserOrLogin(ex, TokenRole::kAuditor)) return;
    AuditForm form;
    form.query = Utf8Prefix(TrimmedField(ex.Query("q").value_or(""), kAnyWhiteSpace), 100);
    const std::string q = SearchTerm(form.query);
    auto digit = [](unsigned char c) -> bool { return std::isdigit(c); };
    auto id_char = [](unsigned char c) -> bool { return std::isdigit(c) || std::isupper(c); };
    if (AllOf(q, 20, digit)) {
      if (authority_->LeafOfInvoice(q)) return ex.Redirect("/audit/invoices/" + q);
      form.search_error = site_.Text(ex, "audit.search.no_invoice", {{"query", q}});
      return send_audit(ex, 404, form);
    }
    if (AllOf(q, 18, id_char)) {
      if (authority_->WithLifecycle([&](const invoice::Lifecycle& lc) { return lc.FindTaxpayer(q) != nullptr; }))
        return ex.Redirect("/audit/taxpayers/" + q);
      form.search_error = site_.Text(ex, "audit.search.no_taxpayer", {{"query", q}});
      return send_audit(ex, 404, form);
    }
    form.search_error = q.empty() ? site_.Text(ex, "audit.search.empty")
                                  : site_.Text(ex, "audit.search.neither", {{"query", form.query}});
    send_audit(ex, 422, form);
  });

  r.Add("POST", "/audit/verify", [this](Exchange& ex) {
    SameOrigin(ex);
    if (!site_.PageUserOrLogin(ex, TokenRole::kAuditor)) return;
    RunVerify();
    ex.Redirect("/audit");
  });

  r.Add("GET", "/audit/taxpayers/([0-9A-Z]{18})", [this](Exchange& ex) {
    if (!site_.PageUserOrLogin(ex, TokenRole::kAuditor)) return;
    const Catalog& catalog = site_.templates().catalog();
    const std::string lang = site_.Lang(ex);
    const std::string id = ex.Param(0);
    auto anomalies = Anomalies();
    size_t page = 1;
    if (auto p = ex.Query("page")) {
      try {
        page = std::max<size_t>(1, std::stoul(*p));
      } catch (const std::exception&) {
        page = 1;
      }
    }
    PageData d = site_.Page(ex, "audit.taxpayer.title", {{"name", id}});
    bool found = authority_->WithLifecycle([&](const invoice::Lifecycle& lc) {
      const invoice::RegisterEvent* reg = lc.FindTaxpayer(id);
      if (!reg) return false;
      d.set("title", site_.Text(ex, "audit.taxpayer.title", {{"name", reg->name}}));
      d.set("tax_id", id);
      d.set("name", reg->name);
      PageData filings = List(), hashes = List();
      for (const auto& filing : lc.filings()) {  // not a structured binding: `row` captures these (clang 14)
        const std::string& fid = filing.first;
        const auto& f = filing.second;
        if (f.event.seller != id) continue;
        invoice::FilingFigures chain = tax::ReturnFromLifecycle(lc, id, f.event.period);
        const std::string filing_text = f.amended_by.empty() ? fid : site_.Text(ex, "audit.filing.amended", {{"text", fid}});
        auto row = [&](const char* figure, const std::string& filed, const std::string& now, bool differs) {
          PageData x;
          x.set("filing", filing_text);
          x.set("filing_period", PeriodText(catalog, lang, f.event.period));
          x.set("filing_block", site_.Text(ex, "step.block", {{"height", std::to_string(f.place.height)}}));
          x.set("figure", site_.Text(ex, figure));
          x.set("filed", filed);
          x.set("chain", now);
          x.set("differs", differs);
          filings.push_back(x);
        };
        auto yuan = [](invoice::Fen fen) { return "¥" + invoice::FormatYuan(fen); };
        std::string net_filed = yuan(f.event.figures.NetFen()), net_chain = yuan(chain.NetFen());
        row("audit.figure.net", net_filed, net_chain, net_filed != net_chain);
        std::string tax_filed = yuan(f.event.figures.TaxFen()), tax_chain = yuan(chain.TaxFen());
        row("audit.figure.tax", tax_filed, tax_chain, tax_filed != tax_chain);
        std::string n_filed = std::to_string(f.event.figures.invoice_count), n_chain = std::to_string(chain.invoice_count);
        row("audit.figure.invoices", n_filed, n_chain, n_filed != n_chain);
        std::string r_filed = std::to_string(f.event.figures.red_count), r_chain = std::to_string(chain.red_count);
        row("audit.figure.red", r_filed, r_chain, r_filed != r_chain);
        std::string no_filed = f.event.figures.first_no + "–" + f.event.figures.last_no, no_chain = chain.first_no + "–" + chain.last_no;
        row("audit.figure.numbers", no_filed, no_chain, no_filed != no_chain);
        // The set of invoices is compared by its hash: in words here, the hashes under 技术信息.
        const bool set_differs = f.event.figures.set_hash != chain.set_hash;
        row("audit.figure.set", site_.Text(ex, "audit.figure.set_filed"),
            site_.Text(ex, set_differs ? "audit.figure.set_differs" : "audit.figure.set_same"), set_differs);
        PageData h;
        h.set("filing", fid);
        h.set("filed_hash", f.event.figures.set_hash);
        h.set("chain_hash", chain.set_hash);
        hashes.push_back(h);
      }
      d.set("filings", filings);
      d.set("has_set_hashes", !hashes.is_empty_list());
      d.set("set_hashes", hashes);

      const std::vector<InvoiceRow> mine = InvoicesOf(lc, id);
      const size_t pages = std::max<size_t>(1, (mine.size() + kInvoicesPerPage - 1) / kInvoicesPerPage);
      page = std::min(page, pages);
      d.set("invoices_heading", site_.Text(ex, "audit.taxpayer.invoices", {{"count", std::to_string(mine.size())}}));
      if (pages > 1)
        d.set("page_text", site_.Text(ex, "audit.taxpayer.page", {{"page", std::to_string(page)}, {"pages", std::to_string(pages)}}));
      const std::string base = "/audit/taxpayers/" + id + "?page=";
      if (page > 1) d.set("previous_link", base + std::to_string(page - 1));
      if (page < pages) d.set("next_link", base + std::to_string(page + 1));
      d.set("csv_link", "/audit/taxpayers/" + id + "/invoices.csv");
      PageData invoices = List();
      for (size_t i = (page - 1) * kInvoicesPerPage; i < mine.size() && i < page * kInvoicesPerPage; ++i) {
        const InvoiceRow& st = mine[i];
        PageData x;
        x.set("invoice_no", st.no);
        x.set("color", site_.Text(ex, "state.color." + std::string(invoice::ColorName(st.color))));
        x.set("date", invoice::ChinaDate(st.issued_at_ms));
        x.set("total", invoice::FormatYuan(st.total));
        x.set("tax", invoice::FormatYuan(st.tax));
        x.set("reimbursement", site_.Text(ex, "state.reimbursement." + std::string(invoice::ReimbursementName(st.reimbursement))));
        x.set("block", site_.Text(ex, "step.block", {{"height", std::to_string(st.height)}}));
        invoices.push_back(x);
      }
      d.set("invoices", invoices);

      PageData rows = List();
      for (const Anomaly& a : anomalies)
        if (a.taxpayer == id) rows.push_back(AnomalyRow(catalog, lang, lc, a, "/audit"));
      d.set("anomalies", rows);
      return true;
    });
    if (!found) return site_.SendNotice(ex, 404, "audit.unknown_taxpayer", {{"tax_id", id}}, "/audit", "audit.back");
    site_.SendPage(ex, 200, "audit_taxpayer", d);
  });

  // Every invoice of a taxpayer, for a spreadsheet: UTF-8 with a byte order mark (so Excel
  // reads the Chinese), dates in China Standard Time, states in the reader's language.
  r.Add("GET", "/audit/taxpayers/([0-9A-Z]{18})/invoices.csv", [this](Exchange& ex) {
    if (!site_.PageUserOrLogin(ex, TokenRole::kAuditor)) return;
    const std::string id = ex.Param(0);
    std::optional<std::vector<InvoiceRow>> rows = authority_->WithLifecycle([&](const invoice::Lifecycle& lc) {
      return lc.FindTaxpayer(id) ? std::optional<std::vector<InvoiceRow>>(InvoicesOf(lc, id)) : std::nullopt;
    });
    if (!rows) return site_.SendNotice(ex, 404, "audit.unknown_taxpayer", {{"tax_id", id}}, "/audit", "audit.back");
    std::string csv = "\xEF\xBB\xBF" "invoice_no,type,date,total_yuan,tax_yuan,reimbursement,block\r\n";
    for (const InvoiceRow& st : *rows)
      csv += st.no + "," + Csv(site_.Text(ex, "state.color." + std::string(invoice::ColorName(st.color)))) + "," +
             invoice::ChinaDate(st.issued_at_ms) + "," + invoice::FormatYuan(st.total) + "," + invoice::FormatYuan(st.tax) +
             "," + Csv(site_.Text(ex, "state.reimbursement." + std::string(invoice::ReimbursementName(st.reimbursement)))) +
             "," + std::to_string(st.height) + "\r\n";
    ex.response().set("Content-Disposition", "attachment; filename=\"invoices-" + id + ".csv\"");
    ex.Send(200, "text/csv; charset=utf-8", csv);
  });

  r.Add("GET", "/audit/invoices/([0-9]{20})", [this](Exchange& ex) {
    if (!site_.PageUserOrLogin(ex, TokenRole::kAuditor)) return;
    const std::string no = ex.Param(0);
    auto leaf = authority_->LeafOfInvoice(no);
    if (!leaf) return site_.SendNotice(ex, 404, "audit.unknown_invoice", {{"invoice_no", no}}, "/audit", "audit.back");
    PageData d = site_.Page(ex, "audit.invoice.title", {{"invoice_no", no}});
    authority_->WithLifecycle([&](const invoice::Lifecycle& lc) {
      const invoice::InvoiceState& st = *lc.FindInvoice(no);
      const invoice::Invoice& inv = st.invoice;
      const std::string color = std::string(invoice::ColorName(inv.color));
      d.set("invoice_no", no);
      d.set("color", color);
      d.set("heading", site_.Text(ex, "audit.invoice.heading", {{"color", site_.Text(ex, "state.color." + color)}, {"invoice_no", no}}));
      d.set("seller_name", inv.seller.name);
      d.set("seller_tax_id", inv.seller.tax_id);
      d.set("buyer_name", inv.buyer.name);
      d.set("buyer_tax_id", inv.buyer.tax_id);
      d.set("date", invoice::ChinaDate(inv.issued_at_ms));
      d.set("total_text", site_.Text(ex, "audit.invoice.total_value",
                                     {{"total", invoice::FormatYuan(inv.TotalFen())}, {"tax", invoice::FormatYuan(inv.TaxFen())}}));
      d.set("payment_id", inv.payment_id);
      d.set("reimbursement",
            site_.Text(ex, "state.reimbursement." + std::string(invoice::ReimbursementName(st.reimbursement))));
      if (!st.claimant.empty())
        d.set("claimant", site_.Text(ex, "audit.invoice.claimant", {{"company", st.claimant}, {"employee", st.employee}}));
      PageData trace = List();
      for (const invoice::Step& s : st.history) trace.push_back(StepRow(site_.templates().catalog(), site_.Lang(ex), s));
      d.set("trace", trace);
      d.set("leaf_hash", st.issued.leaf_hash);
      return 0;
    });
    auto head = store_->Head();
    auto proof = head.ok() ? store_->InclusionProof(*leaf, head->header.tree_size) : ledger::Result<std::vector<ledger::Hash>>(head.status());
    auto leaves = store_->Leaves(*leaf, *leaf + 1);
    bool ok = head.ok() && proof.ok() && leaves.ok() && !leaves->empty() && head->SignatureValid(store_->authority_key()) &&
              ledger::VerifyInclusion(*leaf, head->header.tree_size, leaves->front().leaf_hash, *proof, head->header.tree_root);
    d.set("proof_ok", ok);
    d.set("proof_text",
          ok ? site_.Text(ex, "audit.invoice.proof_ok", {{"block", site_.Text(ex, "step.block", {{"height", std::to_string(head->header.height)}})},
                                                          {"size", std::to_string(head->header.tree_size)},
                                                          {"count", std::to_string(proof->size())}})
             : site_.Text(ex, "audit.invoice.proof_failed"));
    d.set("leaf_index", site_.Text(ex, "audit.invoice.leaf_index", {{"index", std::to_string(*leaf)}}));
    if (head.ok()) d.set("tree_root", head->header.tree_root.Hex());
    PageData hashes = List();
    if (proof.ok())
      for (const auto& h : *proof) hashes.push_back(PageData(h.Hex()));
    d.set("proof", hashes);
    site_.SendPage(ex, 200, "audit_invoice", d);
  });
}

}  // namespace app
