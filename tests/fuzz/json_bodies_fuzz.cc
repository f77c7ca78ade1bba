// The JSON bodies of every API route family, each read by the function its handler calls:
// orders and buyers (merchant: OrderFromJson, BuyerFromJson), taxpayer registrations and
// event batches (authority), reimbursement claims (company), filings (merchant), payment
// reports and split-view alarms (audit). Every parser sees every input: they share one
// grammar (JSON through ParseJsonObject), so a seed of one shape mutates into the others.
// A refusal is an ApiError (the handler's 4xx); anything else that escapes (a 503 for the
// client, a crash) is a finding.
#include <Poco/JSON/Array.h>

#include <sstream>
#include <string>

#include "app/http/api_error.h"
#include "app/http/json_body.h"
#include "app/documents/order_json.h"
#include "app/authority/authority_bodies.h"
#include "app/company/claim_body.h"
#include "app/filing/filing_body.h"
#include "app/merchant/callback_bodies.h"
#include "invoice/invoice.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

template <typename F>
void Attempt(F&& parse) {
  try {
    parse();
  } catch (const app::ApiError& e) {
    FUZZ_CHECK(e.status() >= 400 && e.status() < 500);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Poco::JSON::Object::Ptr o;
  Attempt([&] { o = app::ParseJsonObject(std::string(fuzz::AsText(data, size))); });
  if (!o) return 0;
  Attempt([&] {
    // POST /v1/orders, and what its handler computes from the order for the answer.
    invoice::Order order = app::OrderFromJson(o);
    invoice::Invoice probe;
    probe.lines = order.items;
    (void)probe.NetFen();
    (void)probe.TaxFen();
    (void)probe.TotalFen();
    std::ostringstream answer;
    app::LinesJson(order.items)->stringify(answer);
  });
  Attempt([&] { app::BuyerFromJson(o, ""); });  // POST /v1/orders/{id}/buyer
  Attempt([&] { app::RegisterFromJson(o); });
  Attempt([&] { app::EventEntriesFromJson(o, std::string(fuzz::kMerchantTaxId)); });
  Attempt([&] { app::ClaimFromJson(o); });
  Attempt([&] {
    app::FilingBody f = app::FilingFromJson(o);
    (void)app::PeriodIsOver(f.period, fuzz::kNowMs);
  });
  Attempt([&] { app::PaymentsReportFromJson(o); });
  Attempt([&] { app::AlarmFromJson(o); });
  return 0;
}
