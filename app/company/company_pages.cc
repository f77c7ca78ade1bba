// The company's pages on a taxpayer node: /scan (read an invoice's QR code from a photo, an
// upload or the camera, check it, claim it) and /claims (an employee's claims; finance
// settles, releases, settles several at once and answers red-letter confirmation requests).
// Every word comes from the catalog (scan.*, claims.*, state.*); a form's POST answers 303
// to GET /claims?done=<what> or ?error=<code> (POST-redirect-GET). Users sign in through
// the Site's session (app/http/site.h): the cookie is HttpOnly and SameSite=Strict, and a
// POST whose Origin names another site is refused as well.
#include <Poco/Net/HTMLForm.h>
#include <Poco/Net/NameValueCollection.h>
#include <Poco/Net/PartHandler.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <map>
#include <set>
#include <sstream>

#include "app/http/api_error.h"
#include "app/company/company_routes.h"
#include "app/company/qr_scan.h"
#include "invoice/money.h"
#include "invoice/qr.h"
#include "invoice/time_format.h"

namespace app {
namespace {

constexpr int kDecodeWaitMs = 10000;     // a picture's turn and decoding, at most
constexpr size_t kMaxBulkSettle = 200;   // claims one "settle selected" may name
constexpr size_t kMaxFailedListed = 20;  // failed invoice numbers carried back in the URL

bool IsInvoiceNo(const std::string& s) {
  return s.size() == 20 && s.find_first_not_of("0123456789") == std::string::npos;
}

// The claims page's status filter: all (empty), or one claim status.
std::string StatusFilter(const std::optional<std::string>& s) {
  return s && (*s == "locked" || *s == "settled" || *s == "released") ? *s : "";
}

// A local page to sign in for and come back to, as the value of /login?next=.
std::string NextParam(const std::string& path_and_query) {
  std::string next;
  Poco::URI::encode(path_and_query, "&?=#+%", next);
  return next;
}

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
  // The catalog's word for a code (`prefix` + code), or `fallback`'s ("—" without one):
  // people read states and refusals as words, never as codes.
  auto word = [this](Exchange& ex, const std::string& prefix, const std::string& code, const std::string& fallback) {
    if (fallback.empty() && !site_.templates().catalog().Has(prefix + code)) return std::string("—");
    return site_.Word(ex, prefix, code, fallback);
  };
  auto block = [this](Exchange& ex, uint64_t height) {
    return site_.Text(ex, "step.block", {{"height", std::to_string(height)}});
  };
  // The scan page's words for an error (scan.error.<code>), in one sentence with the
  // winning claim's block when the refusal names it.
  auto scan_error = [this, word, block](Exchange& ex, const std::string& code, const std::string& field, uint64_t height) {
    const std::string key = code == "not_genuine" && field == "a" ? "amount_mismatch" : code;
    if (height && site_.templates().catalog().Has("scan.error." + key + "_at"))
      return site_.Text(ex, "scan.error." + key + "_at", {{"block", block(ex, height)}});
    return word(ex, "scan.error.", key, "scan.error.other");
  };

  // The scan page; with ?no=&h=[&a=] it shows that invoice, checked.
  auto scan_page = [this, word, block, scan_error](Exchange& ex, int status, const std::string& no, const std::string& h,
                                                   const std::optional<std::string>& a, std::string error) {
    PageData d = site_.Page(ex, "scan.title");
    if (!no.empty() && error.empty()) {
      try {
        CheckedInvoice c = company_->Check(no, h, a);
        d.set("checked", true);
        d.set("invoice_no", c.invoice_no);
        d.set("h", h);
        d.set("seller_name", c.seller_name);
        d.set("seller_tax_id", c.seller_tax_id);
        auto issued = invoice::ParseUtcMs(c.issued_at);
        d.set("issued_at", issued ? invoice::ChinaDateTime(*issued) : std::string("—"));
        d.set("total", invoice::FormatYuan(c.total_fen));
        if (c.remaining_fen != c.total_fen)
          d.set("remaining_text", site_.Text(ex, "scan.remaining", {{"remaining", invoice::FormatYuan(c.remaining_fen)}}));
        d.set("buyer_kind", site_.Text(ex, c.buyer_is_company ? "scan.buyer_company" : "scan.buyer_person"));
        d.set("reimbursement", word(ex, "state.reimbursement.", c.reimbursement, ""));
        d.set("block", block(ex, c.height));
        if (auto f = config_.finality ? config_.finality() : std::nullopt; f && c.leaf_index < f->size) {
          std::string names;
          for (const auto& n : f->cosigned_by) names += (names.empty() ? "" : "、") + n;
          d.set("finality_text", site_.Text(ex, "check.final_text",
                                            {{"count", std::to_string(f->cosigned_by.size())},
                                             {"k", std::to_string(f->quorum)},
                                             {"n", std::to_string(f->witnesses)},
                                             {"names", names}}));
        }
        auto who = site_.PageUser(ex);
        bool open = c.reimbursement == "none" && c.color == "blue" && c.remaining_fen > 0;
        if (who && who->role == TokenRole::kEmployee && open) {
          d.set("can_claim", true);
          d.set("claim_text", site_.Text(ex, "scan.claim", {{"name", who->name.empty() ? who->tax_id : who->name}}));
        }
        if (!who && open) {
          d.set("sign_in_to_claim", true);
          d.set("next", NextParam("/scan?no=" + no + "&h=" + h));
        }
      } catch (const ApiError& e) {
        error = scan_error(ex, e.code(), e.field(), e.height());
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
  // For the API's JSON (POST /scan/decode); people read scan.error.foreign_code.
  auto no_code = [this] {
    return "That is not an invoice code of this network (it should open " + config_.authority_public_url + "/r/…).";
  };

  r.Add("POST", "/scan", [this, scan_page, scan_error, parse_code](Exchange& ex) {
    UploadHandler upload;
    auto form = FormOf(ex, &upload);
    auto refuse = [&](int status, const char* code) { scan_page(ex, status, "", "", {}, scan_error(ex, code, "", 0)); };
    std::string text = TrimmedField(form->get("code", ""), kAnyWhiteSpace);
    if (text.empty() && !upload.photo.empty()) {
      // Reading a picture costs CPU: only for the signed-in people of this node.
      if (!site_.PageUser(ex)) return refuse(401, "sign_in_to_read");
      auto r = qr_decoder_->Decode(std::move(upload.photo), kDecodeWaitMs);
      if (r.outcome != QrDecoder::Outcome::kDone) return refuse(503, "busy");
      if (!r.error.empty()) return refuse(422, "unreadable_image");
      if (!r.text) return refuse(422, "no_qr_code");
      text = *r.text;
    }
    if (text.empty()) return refuse(422, "no_input");
    auto target = parse_code(text);
    if (!target)
      return scan_page(ex, 422, "", "", {},
                       site_.Text(ex, "scan.error.foreign_code", {{"url", config_.authority_public_url}}));
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

  // A claim, then (POST-redirect-GET) the employee's claims with the notice.
  r.Add("POST", "/scan/claim", [this, scan_page, scan_error](Exchange& ex) {
    SameOrigin(ex);
    auto form = FormOf(ex);
    std::string no = form->get("invoice_no", ""), h = form->get("h", "");
    auto who = site_.PageUser(ex);
    if (!who || who->role != TokenRole::kEmployee) return ex.Redirect("/login?next=" + NextParam("/scan?no=" + no + "&h=" + h));
    try {
      company_->Claim(who->name, no, h);
    } catch (const ApiError& e) {
      return scan_page(ex, e.status(), "", "", {}, scan_error(ex, e.code(), e.field(), e.height()));
    }
    ex.Redirect("/claims?done=claimed");
  });

  // An employee's claims (我的报销) or finance's review (报销审核, ?status= filters), with
  // the notice or error a POST redirected here with.
  r.Add("GET", "/claims", [this, word, block](Exchange& ex) {
    auto who = site_.PageUser(ex);
    if (!who || (who->role != TokenRole::kEmployee && who->role != TokenRole::kFinance))
      return ex.Redirect("/login?next=/claims");
    const bool finance = who->role == TokenRole::kFinance;
    const std::string filter = finance ? StatusFilter(ex.Query("status")) : "";
    PageData d = site_.Page(ex, finance ? "claims.title_finance" : "claims.title_employee");
    if (finance) {
      d.set("finance", true);
      d.set("company_text", site_.Text(ex, "claims.company", {{"company", config_.name}}));
      d.set("filter_query", filter.empty() ? "" : "?status=" + filter);
      PageData filters = List();
      for (std::string s : {"", "locked", "settled", "released"}) {
        PageData f;
        f.set("text", site_.Text(ex, s.empty() ? "claims.filter.all" : "state.claim." + s));
        f.set("href", s.empty() ? "/claims" : "/claims?status=" + s);
        if (s == filter) f.set("current", true);
        filters.push_back(f);
      }
      d.set("filters", filters);
    }
    d.set("filtered", !filter.empty());

    // What the POST that redirected here did: ?done=, ?n=, ?failed=, ?failed_no=, ?error=.
    auto number = [&](const char* name) -> std::optional<uint64_t> {
      auto q = ex.Query(name);
      if (!q || q->empty() || q->size() > 6 || q->find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
      return std::stoull(*q);
    };
    const std::string done = ex.Query("done").value_or("");
    if (done == "settled" && number("n")) {
      if (*number("n") > 0) d.set("notice", site_.Text(ex, "claims.done.settled_n", {{"n", std::to_string(*number("n"))}}));
    } else if (done == "claimed" || done == "settled" || done == "released" || done == "accepted" || done == "refused") {
      d.set("notice", site_.Text(ex, "claims.done." + done));
    }
    if (auto failed = number("failed"); failed && *failed > 0) {
      d.set("failed_text", site_.Text(ex, "claims.failed", {{"failed", std::to_string(*failed)}}));
      PageData nos = List();
      std::istringstream listed(ex.Query("failed_no").value_or(""));
      size_t count = 0;
      for (std::string no; std::getline(listed, no, ',') && count < kMaxFailedListed;)
        if (IsInvoiceNo(no)) {
          nos.push_back(PageData(no));
          ++count;
        }
      d.set("failed_nos", nos);
    }
    if (auto error = ex.Query("error")) d.set("error", word(ex, "claims.error.", *error, "claims.error.other"));

    std::vector<ClaimRecord> records = company_->Claims(finance ? "" : who->name);
    // Each invoice's public check (its QR code's link), where this node holds its issue
    // entry (an invoice made out to the company, not to a person).
    std::map<std::string, std::string> check_urls;
    if (!config_.authority_public_url.empty())
      check_urls = view_->With([&](const invoice::Lifecycle& lc) {
        std::map<std::string, std::string> urls;
        for (const ClaimRecord& c : records) {
          if (urls.count(c.invoice_no)) continue;
          const invoice::InvoiceState* st = lc.FindInvoice(c.invoice_no);
          if (st && !st->issued.leaf_hash.empty() && st->invoice.invoice_no == c.invoice_no)
            urls[c.invoice_no] = invoice::QrPayloadUrl(config_.authority_public_url, c.invoice_no, st->issued.leaf_hash,
                                                       st->invoice.TotalFen());
        }
        return urls;
      });
    PageData claims = List();
    bool has_locked = false;
    for (const ClaimRecord& c : records) {
      if (!filter.empty() && c.status != filter) continue;
      const std::string total = invoice::FormatYuan(c.total_fen);
      const std::string status_text = word(ex, "state.claim.", c.status, "");
      PageData row;
      row.set("invoice_no", c.invoice_no);
      row.set("seller", c.seller_name.empty() ? "—" : c.seller_name);
      row.set("total", total);
      row.set("employee", c.employee);
      row.set("status", c.status);
      row.set("status_text", status_text);
      row.set("claimed_at", c.claimed_ms ? invoice::ChinaDateTime(c.claimed_ms) : std::string("—"));
      row.set("claimed_block", site_.Text(ex, "claims.block_claimed", {{"block", block(ex, c.claimed_height)}}));
      if (c.closed_height)
        row.set("closed_block", site_.Text(ex, "claims.block_closed", {{"status", status_text}, {"block", block(ex, c.closed_height)}}));
      if (auto url = check_urls.find(c.invoice_no); url != check_urls.end()) row.set("check_url", url->second);
      if (finance && c.status == "locked") {
        has_locked = true;
        row.set("locked", true);
        row.set("select_label", site_.Text(ex, "claims.select", {{"invoice_no", c.invoice_no}}));
        row.set("settle_confirm", site_.Text(ex, "claims.settle_confirm",
                                             {{"employee", c.employee}, {"invoice_no", c.invoice_no}, {"total", total}}));
        row.set("release_confirm",
                site_.Text(ex, "claims.release_confirm", {{"employee", c.employee}, {"invoice_no", c.invoice_no}}));
      }
      claims.push_back(row);
    }
    d.set("claims", claims);
    d.set("has_locked", has_locked);
    if (finance) {
      PageData reqs = List();
      for (const auto& [id, c] : ConfirmationsOf(config_.tax_id)) {
        if (c.company != config_.tax_id) continue;
        const std::string status(invoice::ConfirmationStatusName(c.status));
        const std::string amount = invoice::FormatYuan(c.request.amount_fen);
        PageData row;
        row.set("request_id", id);
        row.set("invoice_no", c.request.invoice_no);
        row.set("seller", c.seller);
        row.set("amount", amount);
        row.set("reason", word(ex, "state.red_reason.", c.request.reason, ""));
        row.set("status", status);
        row.set("status_text", status == "used" ? site_.Text(ex, "claims.confirmations.used")
                                                : word(ex, "state.confirmation.", status, ""));
        if (c.status == invoice::ConfirmationState::Status::kPending) {
          row.set("pending", true);
          row.set("accept_confirm", site_.Text(ex, "claims.accept_confirm",
                                               {{"request_id", id}, {"invoice_no", c.request.invoice_no}, {"amount", amount}}));
          row.set("refuse_confirm",
                  site_.Text(ex, "claims.refuse_confirm", {{"request_id", id}, {"invoice_no", c.request.invoice_no}}));
        }
        reqs.push_back(row);
      }
      d.set("confirmations", reqs);
    }
    site_.SendPage(ex, 200, "claims", d);
  });

  // Finance's buttons: settle or release a claim, accept or refuse a confirmation request;
  // then (POST-redirect-GET) the claims page says what happened: ?done=<act()> or
  // ?error=<code>, keeping the page's status filter.
  auto finance_user = [this](Exchange& ex) {
    SameOrigin(ex);
    auto who = site_.PageUser(ex);
    if (!who || who->role != TokenRole::kFinance) {
      ex.Redirect("/login?next=/claims");
      return false;
    }
    return true;
  };
  auto back = [](Exchange& ex) {
    const std::string filter = StatusFilter(ex.Query("status"));
    return filter.empty() ? std::string() : "&status=" + filter;
  };
  auto finance_action = [this, finance_user, back](Exchange& ex, const std::function<std::string()>& act) {
    if (!finance_user(ex)) return;
    std::string done;
    try {
      done = act();
    } catch (const ApiError& e) {
      const bool known = site_.templates().catalog().Has("claims.error." + e.code());
      return ex.Redirect("/claims?error=" + (known ? e.code() : std::string("other")) + back(ex));
    }
    ex.Redirect("/claims?done=" + done + back(ex));
  };
  r.Add("POST", "/claims/([0-9]{20})/(settle|release)", [this, finance_action](Exchange& ex) {
    finance_action(ex, [&] {
      const bool settle = ex.Param(1) == "settle";
      if (settle) company_->Settle(ex.Param(0));
      else company_->Release(ex.Param(0));
      return std::string(settle ? "settled" : "released");
    });
  });
  // "Settle selected": each checked claim (repeated invoice_no fields) settled as one
  // settle would; the page then says how many were settled and which were not.
  r.Add("POST", "/claims/settle", [this, finance_user, back](Exchange& ex) {
    if (!finance_user(ex)) return;
    auto form = FormOf(ex);
    std::vector<std::string> nos;
    std::set<std::string> seen;
    for (const auto& [name, value] : *form)
      if (name == "invoice_no" && seen.insert(value).second) nos.push_back(value);
    if (nos.empty()) return ex.Redirect("/claims?error=nothing_selected" + back(ex));
    uint64_t settled = 0;
    std::vector<std::string> failed;
    bool unreachable = false;  // the authority did not answer: the rest are not tried
    for (size_t i = 0; i < nos.size(); ++i) {
      if (unreachable || i >= kMaxBulkSettle) {
        failed.push_back(nos[i]);
        continue;
      }
      try {
        company_->Settle(nos[i]);
        ++settled;
      } catch (const ApiError& e) {
        failed.push_back(nos[i]);
        unreachable = e.status() == 503;
      }
    }
    std::string url = "/claims?done=settled&n=" + std::to_string(settled);
    if (!failed.empty()) {
      url += "&failed=" + std::to_string(failed.size());
      std::string listed;
      size_t count = 0;
      for (const std::string& no : failed)
        if (IsInvoiceNo(no) && count++ < kMaxFailedListed) listed += (listed.empty() ? "" : ",") + no;
      if (!listed.empty()) url += "&failed_no=" + listed;
    }
    ex.Redirect(url + back(ex));
  });
  r.Add("POST", "/confirmations/([A-Za-z0-9._-]{1,64})/(accept|refuse)", [this, finance_action](Exchange& ex) {
    finance_action(ex, [&] {
      const bool accept = ex.Param(1) == "accept";
      company_->Answer(ex.Param(0), accept);
      return std::string(accept ? "accepted" : "refused");
    });
  });
}

}  // namespace app
