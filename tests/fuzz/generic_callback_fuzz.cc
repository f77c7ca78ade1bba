// The generic payment callback (POST /v1/callbacks/generic): the X-Signature header
// ("t=<unix>,v1=<hex>") and, past the signature, the body. Input: the header's value up to
// the first newline, then the body. The target checks the HMAC as the handler does, but
// reads the body whether or not it verifies (random bytes never do). The whole input is also
// read as an Alipay notification's form (POST /v1/callbacks/alipay).
#include <string>

#include "app/http/api_error.h"
#include "app/merchant/payment_crypto.h"
#include "app/merchant/callback_bodies.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = fuzz::AsText(data, size);
  size_t nl = in.find('\n');
  std::string header(in.substr(0, nl)), body(nl == std::string_view::npos ? "" : in.substr(nl + 1));
  app::GenericSignature sig = app::ParseGenericSignature(header);
  FUZZ_CHECK(sig.t.size() <= header.size() && sig.v1.size() <= header.size());
  if (auto ts = app::ParseUnixSeconds(sig.t)) {
    const int64_t now_s = static_cast<int64_t>(fuzz::kNowMs / 1000), tolerance = 300;
    (void)(*ts < now_s - tolerance || *ts > now_s + tolerance);
    (void)app::payment::ConstantTimeEquals(
        app::payment::HmacSha256Hex(std::string(fuzz::kGenericSecret), sig.t + "." + body), sig.v1);
  }
  // The same bytes as an Alipay notification (POST /v1/callbacks/alipay): the form, the
  // signed content, and the notice for an app id and seller id it may name.
  try {
    app::AlipayParams params = app::ParseAlipayForm(std::string(in));
    FUZZ_CHECK(params.size() <= 64);
    FUZZ_CHECK(app::AlipaySignedContent(params).size() <= in.size() + params.size());
    auto app_id = params.count("app_id") ? params.at("app_id") : std::string("2021000000000000");
    if (auto notice = app::AlipayNotice(params, app_id, "")) FUZZ_CHECK(!notice->order_id.empty() && notice->amount_fen >= 0);
  } catch (const app::ApiError& e) {
    FUZZ_CHECK(e.status() >= 400 && e.status() < 500);
  }
  try {
    app::PaymentNotice notice = app::GenericNoticeFromJson(body);
    FUZZ_CHECK(!notice.order_id.empty() && !notice.payment_id.empty());
  } catch (const app::ApiError& e) {
    FUZZ_CHECK(e.status() >= 400 && e.status() < 500);
  }
  return 0;
}
