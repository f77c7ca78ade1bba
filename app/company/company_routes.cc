// The buyer company's API on a taxpayer node (contract section 5, "Company node"):
// POST /v1/reimbursements (employee), POST /v1/reimbursements/{no}/settle|release (finance),
// GET /v1/reimbursements, and the red-letter confirmation requests a seller sends:
// GET /v1/confirmations, POST /v1/confirmations/{id}/accept|refuse (finance).
#include <Poco/JSON/Array.h>

#include "app/http/api_error.h"
#include "app/chain/chain_json.h"
#include "app/http/json_body.h"
#include "app/company/company_routes.h"
#include "app/company/claim_body.h"

namespace app {

using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

Object::Ptr SealedJson(const SealedAt& s) { return SealedPlaceJson(s.height, s.leaf_index, s.leaf_hash); }

Object::Ptr ClaimJson(const ClaimRecord& c) {
  Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("invoice_no", c.invoice_no);
  o->set("status", c.status);
  o->set("employee", c.employee);
  o->set("claimed_height", c.claimed_height);
  o->set("claimed_at", Rfc3339(c.claimed_ms));
  if (c.closed_height) o->set(c.status == "settled" ? "settled_height" : "released_height", c.closed_height);
  if (!c.seller_tax_id.empty()) {
    Object::Ptr seller = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    seller->set("name", c.seller_name);
    seller->set("tax_id", c.seller_tax_id);
    o->set("seller", seller);
    o->set("total_fen", c.total_fen);
  }
  return o;
}

}  // namespace

Object::Ptr ConfirmationJson(const std::string& id, const invoice::ConfirmationState& c) {
  Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("request_id", id);
  o->set("invoice_no", c.request.invoice_no);
  o->set("seller", c.seller);
  o->set("company", c.company);
  o->set("amount_fen", c.request.amount_fen);
  o->set("reason", c.request.reason);
  o->set("status", std::string(invoice::ConfirmationStatusName(c.status)));
  o->set("requested_height", c.requested.height);
  if (c.answered.height) o->set("answered_height", c.answered.height);
  if (!c.red_invoice_no.empty()) o->set("red_invoice_no", c.red_invoice_no);
  return o;
}

std::vector<std::pair<std::string, invoice::ConfirmationState>> CompanyRoutes::ConfirmationsOf(const std::string& tax_id) {
  return view_->With([&](const invoice::Lifecycle& lc) {
    std::vector<std::pair<std::string, invoice::ConfirmationState>> v;
    for (const auto& [id, c] : lc.confirmations())
      if (c.company == tax_id || c.seller == tax_id) v.emplace_back(id, c);
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second.requested.height > b.second.requested.height; });
    return v;
  });
}

CompanyRoutes::CompanyRoutes(Config config, Site& site, Company& company, PartyView& view, QrDecoder& qr_decoder)
    : config_(std::move(config)), site_(site), company_(&company), view_(&view), qr_decoder_(&qr_decoder) {}

void CompanyRoutes::AddApi(Router& r) {
  r.Add("POST", "/v1/reimbursements", [this](Exchange& ex) {
    Principal who = site_.Authorize(ex, {TokenRole::kEmployee});
    ClaimBody body = ClaimFromJson(ParseJsonObject(ex.Body()));
    const std::string& no = body.invoice_no;
    SealedAt s = company_->Claim(who.name, no, body.h);
    Object::Ptr out = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    out->set("invoice_no", no);
    out->set("status", "locked");
    out->set("company", company_->tax_id());
    out->set("employee", who.name);
    out->set("ledger", SealedJson(s));
    ex.Json(201, out);
  });

  for (const char* action : {"settle", "release"}) {
    const bool settle = std::string(action) == "settle";
    r.Add("POST", std::string("/v1/reimbursements/([0-9]{20})/") + action, [this, settle](Exchange& ex) {
      site_.Authorize(ex, {TokenRole::kFinance});
      SealedAt s = settle ? company_->Settle(ex.Param(0)) : company_->Release(ex.Param(0));
      Object::Ptr out = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
      out->set("invoice_no", ex.Param(0));
      out->set("status", settle ? "settled" : "released");
      out->set("reimbursement", settle ? "settled" : "none");
      out->set("ledger", SealedJson(s));
      ex.Json(200, out);
    });
  }

  r.Add("GET", "/v1/reimbursements", [this](Exchange& ex) {
    Principal who = site_.Authorize(ex, {TokenRole::kEmployee, TokenRole::kFinance});
    std::string status = ex.Query("status").value_or("");
    if (!status.empty() && status != "locked" && status != "settled" && status != "released")
      throw ApiError(422, "invalid_parameter", "status is locked, settled or released", "status");
    Array::Ptr arr = new Array;
    for (const ClaimRecord& c : company_->Claims(who.role == TokenRole::kEmployee ? who.name : ""))
      if (status.empty() || c.status == status) arr->add(ClaimJson(c));
    Object::Ptr out = new Object;
    out->set("reimbursements", arr);
    ex.Json(200, out);
  });

  // Red-letter confirmation requests: finance sees those addressed to its company, the
  // merchant those it sent.
  r.Add("GET", "/v1/confirmations", [this](Exchange& ex) {
    site_.Authorize(ex, {TokenRole::kFinance, TokenRole::kMerchant});
    Array::Ptr arr = new Array;
    for (const auto& [id, c] : ConfirmationsOf(config_.tax_id)) arr->add(ConfirmationJson(id, c));
    Object::Ptr out = new Object;
    out->set("confirmations", arr);
    ex.Json(200, out);
  });

  for (const char* action : {"accept", "refuse"}) {
    const bool accept = std::string(action) == "accept";
    r.Add("POST", std::string("/v1/confirmations/([A-Za-z0-9._-]{1,64})/") + action, [this, accept](Exchange& ex) {
      site_.Authorize(ex, {TokenRole::kFinance});
      SealedAt s = company_->Answer(ex.Param(0), accept);
      Object::Ptr out = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
      out->set("request_id", ex.Param(0));
      out->set("status", accept ? "accepted" : "refused");
      out->set("ledger", SealedJson(s));
      ex.Json(200, out);
    });
  }
}

}  // namespace app
