// The company's pages on a taxpayer node: /scan (read an invoice's QR code from a photo, an
// upload or the camera, check it, claim it) and /claims (an employee's claims; finance
// settles, releases and answers red-letter confirmation requests). Users sign in through the
// Site's session (app/http/site.h): the cookie is HttpOnly and SameSite=Strict, and a POST
// whose Origin names another site is refused as well.
#include <Poco/Net/HTMLForm.h>
#include <Poco/Net/NameValueCollection.h>
#include <Poco/Net/PartHandler.h>
#include <Poco/StreamCopier.h>

#include <sstream>

#include "app/http/api_error.h"
#include "app/company/company_routes.h"
#include "app/company/qr_scan.h"
#include "invoice/money.h"

namespace app {
namespace {

constexpr int kDecodeWaitMs = 10000;  // a picture's turn and decoding, at most

// Keeps the uploaded file of a multipart form (the body is already capped at 1 MiB).
class UploadHandler : public Poco::Net::PartHandler {
 public:
  void handlePart(const Poco::Net::MessageHeader& header, std::istream& stream) override {
    std::string disposition;
    Poco::Net::NameValueCollection params;
    Poco::Net::MessageHeader::splitParameters(header.get("Content-Disposition", ""), disposition, params);
    std::string data;
    Poco::StreamCopier::copyToString(stream, data);
    if (params.get("name", "") == "photo") photo = std::move(data);
  }
  std::string photo;
};

}  // namespace

void CompanyRoutes::AddPages(Router& r) {
  auto user_page = [this](Exchange& ex, const std::string& title) {
    PageData d = site_.BasePage(title);
    if (auto who = site_.PageUser(ex)) {
      d.set("user_name", who->name.empty() ? who->tax_id : who->name);
      d.set("user_role", TokenRoleName(who->role));
    }
    return d;
  };

  // The scan page; with ?no=&h=[&a=] it shows that invoice, checked.
  auto scan_page = [this, user_page](Exchange& ex, int status, const std::string& no, const std::string& h,
                                     const std::optional<std::string>& a, std::string error) {
    PageData d = user_page(ex, "扫码报销 Scan an invoice");
    if (!no.empty() && error.empty()) {
      try {
        CheckedInvoice c = company_->Check(no, h, a);
        d.set("checked", true);
        d.set("invoice_no", c.invoice_no);
        d.set("h", h);
        d.set("seller_name", c.seller_name);
        d.set("seller_tax_id", c.seller_tax_id);
        d.set("issued_at", c.issued_at);
        d.set("total", invoice::FormatYuan(c.total_fen));
        if (c.remaining_fen != c.total_fen) {
          d.set("reversed", true);
          d.set("remaining", invoice::FormatYuan(c.remaining_fen));
        }
        d.set("buyer_kind", c.buyer_is_company ? "a company (named on the invoice)" : "an individual");
        d.set("reimbursement", c.reimbursement);
        d.set("height", std::to_string(c.height));
        d.set("leaf_index", std::to_string(c.leaf_index));
        auto who = site_.PageUser(ex);
        bool open = c.reimbursement == "none" && c.color == "blue" && c.remaining_fen > 0;
        if (who && who->role == TokenRole::kEmployee && open) d.set("can_claim", true);
        if (!who && open) {
          d.set("sign_in_to_claim", true);
          d.set("next", Poco::URI("/scan?no=" + no + "&h=" + h).toString());
        }
      } catch (const ApiError& e) {
        error = e.what();
        status = e.status();
      }
    }
    if (!error.empty()) d.set("error", error);
    site_.SendPage(ex, status, "scan", d);
  };

  r.Add("GET", "/scan", [scan_page](Exchange& ex) {
    scan_page(ex, 200, ex.Query("no").value_or(""), ex.Query("h").value_or(""), ex.Query("a"), "");
  });

  // What a QR code of this network holds: <authority public URL>/r/{no}?h=...&a=...
  auto parse_code = [this](const std::string& text) -> std::optional<std::string> {
    const std::string prefix = config_.authority_public_url + "/r/";
    if (text.rfind(prefix, 0) != 0) return std::nullopt;
    std::string no, h, a;
    try {
      Poco::URI uri(text);
      no = uri.getPath().substr(uri.getPath().rfind('/') + 1);
      for (const auto& [k, v] : uri.getQueryParameters()) {
        if (k == "h") h = v;
        if (k == "a") a = v;
      }
    } catch (const Poco::Exception&) {
      return std::nullopt;  // not a URL (bad escapes): not one of ours
    }
    if (no.size() != 20 || h.empty()) return std::nullopt;
    Poco::URI check("/scan");
    check.addQueryParameter("no", no);
    check.addQueryParameter("h", h);
    if (!a.empty()) check.addQueryParameter("a", a);
    return check.toString();
  };
  auto no_code = [this] {
    return "That is not an invoice code of this network (it should open " + config_.authority_public_url + "/r/…).";
  };

  r.Add("POST", "/scan", [this, scan_page, parse_code, no_code](Exchange& ex) {
    UploadHandler upload;
    auto form = FormOf(ex, &upload);
    std::string text = TrimmedField(form->get("code", ""), kAnyWhiteSpace);
    if (text.empty() && !upload.photo.empty()) {
      // Reading a picture costs CPU: only for the signed-in people of this node.
      if (!site_.PageUser(ex)) return scan_page(ex, 401, "", "", {}, "Sign in to read a picture; or paste the code's link.");
      auto r = qr_decoder_->Decode(std::move(upload.photo), kDecodeWaitMs);
      if (r.outcome != QrDecoder::Outcome::kDone)
        return scan_page(ex, 503, "", "", {}, "Pictures are being read for others just now; try again in a moment.");
      if (!r.error.empty()) return scan_page(ex, 422, "", "", {}, r.error);
      if (!r.text) return scan_page(ex, 422, "", "", {}, "No QR code could be read in that picture. Try a sharper, closer photo.");
      text = *r.text;
    }
    if (text.empty()) return scan_page(ex, 422, "", "", {}, "Choose a picture of the QR code, or paste its link.");
    auto target = parse_code(text);
    if (!target) return scan_page(ex, 422, "", "", {}, no_code());
    ex.Redirect(*target);
  });

  // The page's camera and large photos: the picture as the body; JSON back.
  r.Add("POST", "/scan/decode", [this, parse_code, no_code](Exchange& ex) {
    if (!site_.PageUser(ex)) throw ApiError(401, "unauthenticated", "sign in to read pictures");
    auto r = qr_decoder_->Decode(ex.Body(), kDecodeWaitMs);
    if (r.outcome != QrDecoder::Outcome::kDone) {
      ex.response().set("Retry-After", "2");
      throw ApiError(503, "busy", "pictures are being read for others just now; try again in a moment");
    }
    if (!r.error.empty()) throw ApiError(422, "unreadable_image", r.error);
    std::optional<std::string> code = r.text;
    if (!code) throw ApiError(422, "no_qr_code", "no QR code was found in the picture");
    auto target = parse_code(*code);
    if (!target) throw ApiError(422, "foreign_code", no_code());
    Poco::JSON::Object::Ptr out = new Poco::JSON::Object;
    out->set("code", *code);
    out->set("check_url", *target);
    ex.Json(200, out);
  });

  r.Add("POST", "/scan/claim", [this, scan_page](Exchange& ex) {
    SameOrigin(ex);
    auto form = FormOf(ex);
    std::string no = form->get("invoice_no", ""), h = form->get("h", "");
    auto who = site_.PageUser(ex);
    if (!who || who->role != TokenRole::kEmployee)
      return ex.Redirect("/login?next=" + Poco::URI("/scan?no=" + no + "&h=" + h).toString());
    try {
      company_->Claim(who->name, no, h);
    } catch (const ApiError& e) {
      std::string why = e.what();
      if (e.height()) why += " — the winning claim was sealed at block " + std::to_string(e.height()) + ".";
      return scan_page(ex, e.status(), "", "", {}, "Not claimed: " + why);
    }
    ex.Redirect("/claims?claimed=" + no);
  });

  auto claims_page = [this, user_page](Exchange& ex, int status, const std::string& notice, const std::string& error) {
    auto who = site_.PageUser(ex);
    if (!who || (who->role != TokenRole::kEmployee && who->role != TokenRole::kFinance))
      return ex.Redirect("/login?next=/claims");
    bool finance = who->role == TokenRole::kFinance;
    PageData d = user_page(ex, finance ? "报销审核 Claims" : "我的报销 My claims");
    if (finance) {
      d.set("finance", true);
      d.set("company", config_.name);
    }
    if (!notice.empty()) d.set("notice", notice);
    if (!error.empty()) d.set("error", error);
    PageData claims = List();
    for (const ClaimRecord& c : company_->Claims(finance ? "" : who->name)) {
      PageData row;
      row.set("invoice_no", c.invoice_no);
      row.set("seller", c.seller_name.empty() ? "—" : c.seller_name);
      row.set("total", invoice::FormatYuan(c.total_fen));
      row.set("employee", c.employee);
      row.set("status", c.status);
      if (c.status == "locked") row.set("locked", true);
      row.set("claimed_height", std::to_string(c.claimed_height));
      if (c.closed_height) row.set("closed_height", std::to_string(c.closed_height));
      claims.push_back(row);
    }
    d.set("claims", claims);
    if (finance) {
      PageData reqs = List();
      for (const auto& [id, c] : ConfirmationsOf(config_.tax_id)) {
        if (c.company != config_.tax_id) continue;
        PageData row;
        row.set("request_id", id);
        row.set("invoice_no", c.request.invoice_no);
        row.set("seller", c.seller);
        row.set("amount", invoice::FormatYuan(c.request.amount_fen));
        row.set("reason", c.request.reason);
        row.set("status", std::string(invoice::ConfirmationStatusName(c.status)));
        if (c.status == invoice::ConfirmationState::Status::kPending) row.set("pending", true);
        reqs.push_back(row);
      }
      d.set("confirmations", reqs);
    }
    site_.SendPage(ex, status, "claims", d);
  };

  r.Add("GET", "/claims", [claims_page](Exchange& ex) {
    auto claimed = ex.Query("claimed");
    claims_page(ex, 200, claimed ? "Claimed " + *claimed + ": it is locked for you until finance settles it." : "", "");
  });

  // Finance's buttons: settle or release a claim, accept or refuse a confirmation request.
  auto finance_action = [this, claims_page](Exchange& ex, const std::function<std::string()>& act) {
    SameOrigin(ex);
    auto who = site_.PageUser(ex);
    if (!who || who->role != TokenRole::kFinance) return ex.Redirect("/login?next=/claims");
    try {
      claims_page(ex, 200, act(), "");
    } catch (const ApiError& e) {
      claims_page(ex, e.status(), "", e.what());
    }
  };
  r.Add("POST", "/claims/([0-9]{20})/(settle|release)", [this, finance_action](Exchange& ex) {
    finance_action(ex, [&] {
      bool settle = ex.Param(1) == "settle";
      SealedAt s = settle ? company_->Settle(ex.Param(0)) : company_->Release(ex.Param(0));
      return std::string(settle ? "Settled " : "Released ") + ex.Param(0) + " at block " + std::to_string(s.height) + ".";
    });
  });
  r.Add("POST", "/confirmations/([A-Za-z0-9._-]{1,64})/(accept|refuse)", [this, finance_action](Exchange& ex) {
    finance_action(ex, [&] {
      bool accept = ex.Param(1) == "accept";
      SealedAt s = company_->Answer(ex.Param(0), accept);
      return std::string(accept ? "Accepted " : "Refused ") + ex.Param(0) + " at block " + std::to_string(s.height) + ".";
    });
  });
}

}  // namespace app
