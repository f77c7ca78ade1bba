#include "app/documents/invoice_json.h"

#include <Poco/JSON/Array.h>

#include <map>

#include "app/chain/chain_json.h"
#include "app/documents/order_json.h"
#include "invoice/amount_words.h"

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

PageData StepRow(const invoice::Step& step) {
  using K = invoice::Step::Kind;
  static const std::map<K, std::string> kLabels = {
      {K::kIssued, "开具 issued"}, {K::kReversed, "红冲 reversed"}, {K::kClaimed, "报销锁定 claimed"},
      {K::kSettled, "已报销 settled"}, {K::kReleased, "退回 released"},
      {K::kConfirmationRequested, "红字确认单 confirmation requested"},
      {K::kConfirmationAccepted, "确认 confirmation accepted"}, {K::kConfirmationRefused, "拒绝 confirmation refused"}};
  PageData row;
  row.set("event", std::string(invoice::StepName(step.kind)));
  row.set("label", kLabels.at(step.kind));
  row.set("height", std::to_string(step.place.height));
  row.set("time", Rfc3339(step.place.time_ms));
  std::string detail;
  if (!step.company.empty()) detail = "company " + step.company;
  if (step.kind == K::kReversed) detail = "red invoice " + step.ref + ", ¥" + invoice::FormatYuan(step.amount_fen);
  if (step.kind == K::kConfirmationRequested)
    detail = "request " + step.ref + " to " + step.company + " for ¥" + invoice::FormatYuan(step.amount_fen);
  if (step.kind == K::kConfirmationAccepted || step.kind == K::kConfirmationRefused) detail = "request " + step.ref;
  row.set("detail", detail);
  return row;
}

}  // namespace app
