// The bureau's dashboard at the authority (auditor, signed in): /audit with the chain's
// state, charts, anomalies and taxpayers; /audit/taxpayers/{id}, the drill-down with filed
// figures beside the chain's; /audit/invoices/{no}, one invoice's lifecycle trace and its
// inclusion proof, verified against the signed head.
#include <Poco/URI.h>

#include "app/http/api_error.h"
#include "app/authority/audit_pages.h"
#include "app/documents/invoice_json.h"
#include "app/chain/chain_json.h"
#include "app/authority/audit_routes.h"
#include "invoice/ubl.h"
#include "ledger/merkle.h"
#include "tax/filing.h"

namespace app {
void AuditRoutes::AddPages(Router& r) {
  auto page = [this](const Principal& who, const std::string& title) {
    PageData d = site_.BasePage(title);
    d.set("user_name", who.name.empty() ? std::string("auditor") : who.name);
    d.set("user_role", TokenRoleName(who.role));
    d.set("is_auditor", true);
    return d;
  };

  r.Add("GET", "/audit", [this, page](Exchange& ex) {
    auto who = site_.PageUserOrLogin(ex, TokenRole::kAuditor);
    if (!who) return;
    std::string period = ex.Query("period").value_or("");
    if (!period.empty() && !invoice::ValidPeriod(period)) period.clear();
    auto anomalies = Anomalies();
    PageData d = page(*who, "税务稽核 Audit");
    authority_->WithLifecycle([&](const invoice::Lifecycle& lc) {
      AddAuditOverview(d, lc, anomalies, period, "/audit");
      return 0;
    });
    auto head = store_->Head();
    d.set("height", head.ok() ? std::to_string(head->header.height) : "—");
    d.set("tree_size", head.ok() ? std::to_string(head->header.tree_size) : "—");
    d.set("period_value", period);
    std::optional<LastVerify> v;
    {
      MutexLock lock(verify_mu_);
      v = last_verify_;
    }
    if (v) {
      d.set("verified", true);
      d.set("verified_at", Rfc3339(v->time_ms));
      d.set("verify_result", v->ok ? "OK up to height " + std::to_string(v->height)
                                   : "FAILED at " + v->bad_item + ": " + v->problem);
      d.set("verify_entries", std::to_string(v->entries));
      char secs[32];
      std::snprintf(secs, sizeof secs, "%.3f", v->seconds);
      d.set("verify_seconds", std::string(secs));
      d.set("verify_rate", std::to_string(v->seconds > 0 ? static_cast<uint64_t>(v->entries / v->seconds) : 0));
    }
    site_.SendPage(ex, 200, "audit", d);
  });

  r.Add("POST", "/audit/verify", [this](Exchange& ex) {
    SameOrigin(ex);
    if (!site_.PageUserOrLogin(ex, TokenRole::kAuditor)) return;
    RunVerify();
    ex.Redirect("/audit");
  });

  r.Add("GET", "/audit/taxpayers/([0-9A-Z]{18})", [this, page](Exchange& ex) {
    auto who = site_.PageUserOrLogin(ex, TokenRole::kAuditor);
    if (!who) return;
    const std::string id = ex.Param(0);
    auto anomalies = Anomalies();
    PageData d = page(*who, "纳税人 " + id);
    bool found = authority_->WithLifecycle([&](const invoice::Lifecycle& lc) {
      const invoice::RegisterEvent* reg = lc.FindTaxpayer(id);
      if (!reg) return false;
      d.set("tax_id", id);
      d.set("name", reg->name);
      PageData filings = List();
      for (const auto& filing : lc.filings()) {  // not a structured binding: `row` captures these (clang 14)
        const std::string& fid = filing.first;
        const auto& f = filing.second;
        if (f.event.seller != id) continue;
        invoice::FilingFigures chain = tax::ReturnFromLifecycle(lc, id, f.event.period);
        auto row = [&](const std::string& figure, const std::string& filed, const std::string& now) {
          PageData x;
          x.set("filing_id", fid);
          x.set("period", f.event.period);
          x.set("height", std::to_string(f.place.height));
          x.set("amended", !f.amended_by.empty());
          x.set("figure", figure);
          x.set("filed", filed);
          x.set("chain", now);
          x.set("differs", filed != now);
          filings.push_back(x);
        };
        row("net (¥)", invoice::FormatYuan(f.event.figures.NetFen()), invoice::FormatYuan(chain.NetFen()));
        row("output tax (¥)", invoice::FormatYuan(f.event.figures.TaxFen()), invoice::FormatYuan(chain.TaxFen()));
        row("invoices", std::to_string(f.event.figures.invoice_count), std::to_string(chain.invoice_count));
        row("red invoices", std::to_string(f.event.figures.red_count), std::to_string(chain.red_count));
        row("numbers", f.event.figures.first_no + "–" + f.event.figures.last_no, chain.first_no + "–" + chain.last_no);
        row("invoice set hash", f.event.figures.set_hash.substr(0, 16), chain.set_hash.substr(0, 16));
      }
      d.set("filings", filings);
      struct Row {
        std::string no, color, date, total, tax, reimbursement;
        uint64_t height = 0;
      };
      std::vector<Row> mine;
      invoice::InvoiceFilter theirs;
      theirs.seller = id;
      lc.ForEachInvoice(theirs, [&](const std::string&, const invoice::InvoiceState& st) {
        if (st.invoice.invoice_no.empty()) return;
        mine.push_back({st.invoice.invoice_no, std::string(invoice::ColorName(st.invoice.color)),
                        invoice::ChinaDate(st.invoice.issued_at_ms), invoice::FormatYuan(st.invoice.TotalFen()),
                        invoice::FormatYuan(st.invoice.TaxFen()), std::string(invoice::ReimbursementName(st.reimbursement)),
                        st.issued.height});
      });
      std::stable_sort(mine.begin(), mine.end(), [](const Row& a, const Row& b) { return a.height > b.height; });
      d.set("invoice_count", std::to_string(mine.size()));
      d.set("more", mine.size() > 500);
      PageData invoices = List();
      for (size_t i = 0; i < mine.size() && i < 500; ++i) {
        const Row& st = mine[i];
        PageData x;
        x.set("invoice_no", st.no);
        x.set("color", st.color);
        x.set("date", st.date);
        x.set("total", st.total);
        x.set("tax", st.tax);
        x.set("reimbursement", st.reimbursement);
        x.set("height", std::to_string(st.height));
        invoices.push_back(x);
      }
      d.set("invoices", invoices);
      return true;
    });
    if (!found) return site_.SendMessagePage(ex, 404, "Unknown taxpayer", "No taxpayer " + id + " is registered.", "/audit", "Audit");
    PageData rows = List();
    for (const Anomaly& a : anomalies) {
      if (a.taxpayer != id) continue;
      PageData x;
      x.set("rule", a.rule);
      x.set("summary", a.summary);
      x.set("invoice_no", a.invoice_no);
      if (!a.invoice_no.empty()) x.set("invoice_link", "/audit/invoices/" + a.invoice_no);
      rows.push_back(x);
    }
    d.set("anomalies", rows);
    site_.SendPage(ex, 200, "audit_taxpayer", d);
  });

  r.Add("GET", "/audit/invoices/([0-9]{20})", [this, page](Exchange& ex) {
    auto who = site_.PageUserOrLogin(ex, TokenRole::kAuditor);
    if (!who) return;
    const std::string no = ex.Param(0);
    auto leaf = authority_->LeafOfInvoice(no);
    if (!leaf) return site_.SendMessagePage(ex, 404, "Unknown invoice", "No invoice " + no + " is on the chain.", "/audit", "Audit");
    PageData d = page(*who, "发票 " + no);
    authority_->WithLifecycle([&](const invoice::Lifecycle& lc) {
      const invoice::InvoiceState& st = *lc.FindInvoice(no);
      const invoice::Invoice& inv = st.invoice;
      d.set("invoice_no", no);
      d.set("color", std::string(invoice::ColorName(inv.color)));
      d.set("seller_name", inv.seller.name);
      d.set("seller_tax_id", inv.seller.tax_id);
      d.set("buyer_name", inv.buyer.name);
      d.set("buyer_tax_id", inv.buyer.tax_id);
      d.set("date", invoice::ChinaDate(inv.issued_at_ms));
      d.set("total", invoice::FormatYuan(inv.TotalFen()));
      d.set("tax", invoice::FormatYuan(inv.TaxFen()));
      d.set("payment_id", inv.payment_id);
      d.set("reimbursement", std::string(invoice::ReimbursementName(st.reimbursement)));
      if (!st.claimant.empty()) {
        d.set("claimant", st.claimant);
        d.set("employee", st.employee);
      }
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
    d.set("leaf_index", std::to_string(*leaf));
    if (head.ok()) {
      d.set("tree_size", std::to_string(head->header.tree_size));
      d.set("head_height", std::to_string(head->header.height));
      d.set("tree_root", head->header.tree_root.Hex());
    }
    PageData hashes = List();
    if (proof.ok())
      for (const auto& h : *proof) hashes.push_back(PageData(h.Hex()));
    d.set("proof", hashes);
    d.set("proof_len", std::to_string(proof.ok() ? proof->size() : 0));
    site_.SendPage(ex, 200, "audit_invoice", d);
  });
}

}  // namespace app
