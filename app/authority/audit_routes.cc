// The bureau's audit API at the authority (auditor role): GET /v1/audit/verify,
// /v1/audit/anomalies, /v1/audit/taxpayers/{tax_id}; POST /v1/audit/payments (the payment
// platform's report of payments, imported by an auditor or admin) and POST /v1/alarms
// (split-view alarms, node-signed by the taxpayer node that saw them).
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include "app/http/api_error.h"
#include "app/authority/audit.h"
#include "app/chain/chain_json.h"
#include "app/http/json_body.h"
#include "app/authority/audit_routes.h"
#include "app/authority/authority_bodies.h"
#include "app/documents/filing_json.h"
#include "ledger/verifier.h"
#include "invoice/time_format.h"
#include "tax/filing.h"

namespace app {

using Poco::JSON::Array;
using Poco::JSON::Object;

Object::Ptr AnomalyJson(const Anomaly& a) {
  Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("rule", a.rule);
  o->set("taxpayer", a.taxpayer);
  o->set("summary", a.summary);
  if (!a.invoice_no.empty()) o->set("invoice_no", a.invoice_no);
  if (a.height) o->set("height", a.height);
  o->set("time", Rfc3339(a.time_ms));
  Object::Ptr ev = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  for (const auto& [k, v] : a.evidence) ev->set(k, v);
  o->set("evidence", ev);
  return o;
}

std::vector<Anomaly> AuditRoutes::Anomalies() {
  AuditRules rules;
  rules.invoice_deadline_ms = static_cast<uint64_t>(config_.audit_invoice_deadline_hours) * 3600 * 1000;
  rules.filing_deadline_day = config_.audit_filing_deadline_day;
  auto records = audit_->Records();
  auto payments = audit_->Payments();
  return authority_->WithLifecycle(
      [&](const invoice::Lifecycle& lc) { return FindAnomalies(lc, records, payments, rules, site_.Now()); });
}

AuditRoutes::LastVerify AuditRoutes::RunVerify() {
  auto report = ledger::VerifyChain(config_.db_path, {});
  LastVerify v;
  v.time_ms = site_.Now();
  if (!report.ok()) {
    v.problem = report.status().ToString();
  } else {
    v.ok = report->ok;
    v.height = report->height;
    v.blocks = report->blocks;
    v.entries = report->entries;
    v.seconds = report->seconds;
    v.bad_item = report->bad_item;
    v.problem = report->problem;
  }
  MutexLock lock(verify_mu_);
  last_verify_ = v;
  return v;
}

AuditRoutes::AuditRoutes(Config config, Site& site, Authority& authority, AuditStore& audit, ledger::BlockStore& store,
                         NodeCallers& callers)
    : config_(std::move(config)), site_(site), authority_(&authority), audit_(&audit), store_(&store), callers_(callers) {}

void AuditRoutes::AddApi(Router& r) {
  r.Add("GET", "/v1/audit/verify", [this](Exchange& ex) {
    site_.Authorize(ex, {TokenRole::kAuditor});
    LastVerify v = RunVerify();
    Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("ok", v.ok);
    o->set("height", v.height);
    o->set("blocks", v.blocks);
    o->set("entries", v.entries);
    o->set("seconds", v.seconds);
    o->set("entries_per_s", v.seconds > 0 ? static_cast<uint64_t>(v.entries / v.seconds) : 0);
    if (!v.ok) {
      o->set("bad_item", v.bad_item);
      o->set("problem", v.problem);
    }
    o->set("verified_at", Rfc3339(v.time_ms));
    ex.Json(200, o);
  });

  r.Add("GET", "/v1/audit/anomalies", [this](Exchange& ex) {
    site_.Authorize(ex, {TokenRole::kAuditor});
    std::string taxpayer = ex.Query("taxpayer").value_or(""), rule = ex.Query("rule").value_or("");
    Array::Ptr arr = new Array;
    for (const Anomaly& a : Anomalies())
      if ((taxpayer.empty() || a.taxpayer == taxpayer) && (rule.empty() || a.rule == rule)) arr->add(AnomalyJson(a));
    Object::Ptr o = new Object;
    o->set("anomalies", arr);
    o->set("count", arr->size());
    ex.Json(200, o);
  });

  r.Add("POST", "/v1/audit/payments", [this](Exchange& ex) {
    site_.Authorize(ex, {TokenRole::kAuditor, TokenRole::kAdmin});
    std::vector<ReportedPayment> payments = PaymentsReportFromJson(ParseJsonObject(ex.Body()));
    Object::Ptr o = new Object;
    o->set("received", payments.size());
    o->set("new", audit_->ReportPayments(payments));
    ex.Json(200, o);
  });

  r.Add("GET", "/v1/audit/taxpayers/([0-9A-Z]{18})", [this](Exchange& ex) {
    site_.Authorize(ex, {TokenRole::kAuditor});
    const std::string id = ex.Param(0);
    Object::Ptr o = authority_->WithLifecycle([&](const invoice::Lifecycle& lc) -> Object::Ptr {
      const invoice::RegisterEvent* reg = lc.FindTaxpayer(id);
      if (!reg) return nullptr;
      Object::Ptr out = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
      out->set("tax_id", id);
      out->set("name", reg->name);
      Array::Ptr invoices = new Array, reversals = new Array, claims = new Array;
      invoice::Fen total = 0, tax = 0;
      lc.ForEachInvoice([&](const std::string&, const invoice::InvoiceState& st) {
        const std::string& no = st.invoice.invoice_no;
        if (no.empty()) return;
        bool sold = st.invoice.seller.tax_id == id, claimed = st.claimant == id;
        if (sold) {
          Object::Ptr i = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
          i->set("invoice_no", no);
          i->set("color", std::string(invoice::ColorName(st.invoice.color)));
          i->set("issued_at", Rfc3339(st.invoice.issued_at_ms));
          i->set("total_fen", st.invoice.TotalFen());
          i->set("tax_fen", st.invoice.TaxFen());
          i->set("reimbursement", std::string(invoice::ReimbursementName(st.reimbursement)));
          i->set("height", st.issued.height);
          (st.invoice.color == invoice::Color::kRed ? reversals : invoices)->add(i);
          total += st.invoice.TotalFen();
          tax += st.invoice.TaxFen();
        }
        if (claimed) {
          Object::Ptr c = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
          c->set("invoice_no", no);
          c->set("seller", st.invoice.seller.tax_id);
          c->set("employee", st.employee);
          c->set("status", std::string(invoice::ReimbursementName(st.reimbursement)));
          c->set("claim_height", st.claimed.height);
          claims->add(c);
        }
      });
      out->set("total_fen", total);
      out->set("tax_fen", tax);
      out->set("invoices", invoices);
      out->set("reversals", reversals);
      out->set("claims", claims);
      Array::Ptr filings = new Array;
      for (const auto& [fid, f] : lc.filings()) {
        if (f.event.seller != id) continue;
        Object::Ptr x = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        x->set("filing_id", fid);
        x->set("period", f.event.period);
        if (!f.amended_by.empty()) x->set("amended_by", f.amended_by);
        x->set("height", f.place.height);
        x->set("filed", FiguresJson(f.event.figures));
        invoice::FilingFigures now = tax::ReturnFromLifecycle(lc, id, f.event.period);
        x->set("chain", FiguresJson(now));
        x->set("differences", DifferencesJson(tax::CompareFigures(f.event.figures, now)));
        filings->add(x);
      }
      out->set("filings", filings);
      return out;
    });
    if (!o) throw ApiError::NotFound("no taxpayer " + id + " is registered");
    Array::Ptr anomalies = new Array;
    for (const Anomaly& a : Anomalies())
      if (a.taxpayer == id) anomalies->add(AnomalyJson(a));
    o->set("anomalies", anomalies);
    ex.Json(200, o);
  });

  // A taxpayer node reports a split view: signed by its node key over the body.
  r.Add("POST", "/v1/alarms", [this](Exchange& ex) {
    std::string body = ex.Body();
    std::string node = callers_.Require(ex, body);
    AlarmBody alarm = AlarmFromJson(ParseJsonObject(body));
    AuditRecord rec;
    rec.time_ms = site_.Now();
    rec.kind = "split_view";
    rec.taxpayer = node;
    rec.code = alarm.reason;
    rec.detail = alarm.detail;
    audit_->Record(rec);
    ex.Send(204, "text/plain", "");
  });
}

}  // namespace app
