#include "app/documents/invoice_json.h"

#include <Poco/JSON/Array.h>

#include <map>

#include "app/chain/chain_json.h"
#include "app/documents/order_json.h"
#include "invoice/amount_words.h"
#include "invoice/time_format.h"

namespace app {

using Poco::JSON::Array;
using Poco::JSON::Object;

Array::Ptr LifecycleJson(const invoice::InvoiceState& st, bool with_employee) {
  Array::Ptr out = new Array;
  for (const invoice::Step& step : st.history) {
    Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("event", std::string(invoice::StepName(step.kind)));
    o->set("height", step.place.height);
    o->set("time", Rfc3339(step.place.time_ms));
    if (!step.company.empty()) o->set("company", step.company);
    if (with_employee && !step.employee.empty()) o->set("employee", step.employee);
    if (step.kind == invoice::Step::Kind::kReversed) o->set("red_invoice_no", step.ref);
    else if (!step.ref.empty()) o->set("request_id", step.ref);
    if (step.kind != invoice::Step::Kind::kIssued && step.amount_fen) o->set("amount_fen", step.amount_fen);
    out->add(o);
  }
  return out;
}

Object::Ptr InvoiceJson(const InvoiceRecord& r, const std::string& qr_url, const invoice::InvoiceState* st,
                        bool with_employee) {
  const invoice::Invoice& inv = r.invoice;
  Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("invoice_no", inv.invoice_no);
  o->set("color", std::string(invoice::ColorName(inv.color)));
  o->set("status", r.status);
  o->set("issued_at", Rfc3339(inv.issued_at_ms));
  o->set("seller", PartyJson(inv.seller));
  o->set("buyer", PartyJson(inv.buyer));
  o->set("lines", LinesJson(inv.lines));
  o->set("net_fen", inv.NetFen());
  o->set("tax_fen", inv.TaxFen());
  o->set("total_fen", inv.TotalFen());
  o->set("total_in_words", invoice::AmountInWords(inv.TotalFen()).value_or(""));
  o->set("order_id", inv.order_id);
  o->set("payment_id", inv.payment_id);
  if (inv.color == invoice::Color::kRed) {
    o->set("original_no", inv.original_no);
    o->set("red_reason", inv.red_reason);
  } else {
    Array::Ptr reds = new Array;
    for (const auto& n : r.reversals) reds->add(n);
    o->set("reversals", reds);
  }
  o->set("reimbursement", std::string(invoice::ReimbursementName(st ? st->reimbursement : invoice::Reimbursement::kNone)));
  if (st && !st->claimant.empty()) {
    Object::Ptr claim = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    claim->set("company", st->claimant);
    if (with_employee) claim->set("employee", st->employee);
    claim->set("height", st->claimed.height);
    o->set("claim", claim);
  }
  o->set("lifecycle", st ? LifecycleJson(*st, with_employee) : Array::Ptr(new Array));
  Object::Ptr ledger = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  if (r.height >= 0) ledger->set("height", r.height);
  else ledger->set("height", Poco::Dynamic::Var());
  if (r.leaf_index >= 0) ledger->set("leaf_index", r.leaf_index);
  else ledger->set("leaf_index", Poco::Dynamic::Var());
  ledger->set("leaf_hash", r.leaf_hash);
  o->set("ledger", ledger);
  if (r.status == "rejected") {
    Object::Ptr refusal = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    refusal->set("code", r.refusal_code);
    refusal->set("message", r.refusal_message);
    o->set("refusal", refusal);
  }
  o->set("qr_url", qr_url);
  return o;
}

PageData StepRow(const Catalog& catalog, std::string_view lang, const invoice::Step& step) {
  using K = invoice::Step::Kind;
  auto text = [&](std::string_view key, Catalog::Args args = {}) { return catalog.Text(lang, key, args); };
  PageData row;
  const std::string name(invoice::StepName(step.kind));
  row.set("event", name);
  row.set("label", text("step." + name));
  row.set("height", std::to_string(step.place.height));
  row.set("block", text("step.block", {{"height", std::to_string(step.place.height)}}));
  row.set("time", invoice::ChinaDateTime(step.place.time_ms));
  std::string detail;
  if (!step.company.empty()) detail = text("step.detail.company", {{"company", step.company}});
  if (step.kind == K::kReversed)
    detail = text("step.detail.reversed", {{"invoice_no", step.ref}, {"amount", invoice::FormatYuan(step.amount_fen)}});
  if (step.kind == K::kConfirmationRequested)
    detail = text("step.detail.requested",
                  {{"request_id", step.ref}, {"company", step.company}, {"amount", invoice::FormatYuan(step.amount_fen)}});
  if (step.kind == K::kConfirmationAccepted || step.kind == K::kConfirmationRefused)
    detail = text("step.detail.answered", {{"request_id", step.ref}});
  row.set("detail", detail);
  return row;
}

}  // namespace app
