#include <Poco/JSON/Array.h>

#include "app/http/api_error.h"
#include "app/chain/chain_json.h"
#include "app/http/json_body.h"
#include "app/filing/filing_routes.h"
#include "app/base/secrets.h"
#include "app/filing/filing_body.h"
#include "app/documents/filing_json.h"
#include "invoice/ubl.h"
#include "tax/filing.h"

namespace app {

using Poco::JSON::Array;
using Poco::JSON::Object;

FilingRoutes::FilingRoutes(Config config, Site& site, Authority& authority)
    : config_(std::move(config)), site_(site), authority_(&authority) {}

FilingRoutes::FilingRoutes(Config config, Site& site, PartyView& view, SyncSubmitter& submitter)
    : config_(std::move(config)), site_(site), view_(&view), submitter_(&submitter) {}

void FilingRoutes::Add(Router& r) {
  // Reads a filing: on a merchant node its own, at the authority any (auditor).
  auto with_filing = [this](Exchange& ex, const std::function<void(const invoice::Lifecycle::FilingState&)>& f) {
    auto find = [&](const invoice::Lifecycle& lc) {
      const auto* s = lc.FindFiling(ex.Param(0));
      if (!s || (!authority_ && s->event.seller != config_.tax_id)) throw ApiError::NotFound("no filing " + ex.Param(0));
      f(*s);
    };
    if (authority_) authority_->WithLifecycle(find);
    else view_->With(find);
  };
  auto roles = [this]() -> std::initializer_list<TokenRole> {
    static const std::initializer_list<TokenRole> kAuth = {TokenRole::kAuditor}, kMerchant = {TokenRole::kMerchant};
    return authority_ ? kAuth : kMerchant;
  };
  // The .xml route first: a filing id may itself contain dots.
  r.Add("GET", "/v1/filings/([A-Za-z0-9._-]{1,64})\\.xml", [this, with_filing, roles](Exchange& ex) {
    site_.Authorize(ex, roles());
    with_filing(ex, [&](const auto& s) {
      std::string name = s.event.seller == config_.tax_id ? config_.name : "";
      if (authority_)
        authority_->WithLifecycle([&](const invoice::Lifecycle& lc) {
          if (const auto* t = lc.FindTaxpayer(s.event.seller)) name = t->name;
          return 0;
        });
      ex.Send(200, "application/xml; charset=utf-8", tax::EncodeFilingXml(s.event, name, s.place));
    });
  });
  r.Add("GET", "/v1/filings/([A-Za-z0-9._-]{1,64})", [this, with_filing, roles](Exchange& ex) {
    site_.Authorize(ex, roles());
    with_filing(ex, [&](const auto& s) { ex.Json(200, FilingJson(s)); });
  });
  if (authority_) return;

  r.Add("GET", "/v1/filings", [this](Exchange& ex) {
    site_.Authorize(ex, {TokenRole::kMerchant});
    std::string period = ex.Query("period").value_or("");
    Array::Ptr arr = view_->With([&](const invoice::Lifecycle& lc) {
      Array::Ptr a = new Array;
      for (const auto& [id, s] : lc.filings())
        if (s.event.seller == config_.tax_id && (period.empty() || s.event.period == period)) a->add(FilingJson(s));
      return a;
    });
    Object::Ptr out = new Object;
    out->set("filings", arr);
    ex.Json(200, out);
  });

  r.Add("POST", "/v1/filings", [this](Exchange& ex) {
    site_.Authorize(ex, {TokenRole::kMerchant});
    FilingBody body = FilingFromJson(ParseJsonObject(ex.Body()));
    const std::string& period = body.period;
    if (!PeriodIsOver(period, site_.Now()))
      throw ApiError(422, "period_not_over", "a return is filed once its period has ended", "period");
    // File from the whole chain as the authority has it: wait until this replica holds its head.
    auto head = submitter_->Check("/v1/chain/head");
    uint64_t want = head->getValue<uint64_t>("height");
    if (!view_->WaitForHeight(want, 30000))
      throw ApiError(503, "replica_behind", "this node's replica has not yet caught up with the authority (height " +
                                                std::to_string(view_->height()) + " of " + std::to_string(want) +
                                                "); nothing was filed, try again");
    invoice::FileEvent f;
    f.meta = {"file-" + RandomHex(8), site_.Now()};
    f.filing_id = "F-" + config_.tax_id + "-" + period + "-" + RandomHex(4);
    f.seller = config_.tax_id;
    f.period = period;
    f.amends = body.amends;
    f.figures = view_->With([&](const invoice::Lifecycle& lc) { return tax::ReturnFromLifecycle(lc, config_.tax_id, period); });
    submitter_->Submit(f);
    view_->With([&](const invoice::Lifecycle& lc) {
      const auto* s = lc.FindFiling(f.filing_id);
      if (!s) throw ApiError(503, "replica_behind", "the filing was sealed; this node has not replicated it yet");
      ex.Json(201, FilingJson(*s));
      return 0;
    });
  });
}

}  // namespace app
