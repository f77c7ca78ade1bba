// Payment callbacks: POST /v1/callbacks/wechatpay (WeChat Pay API v3 notifications) and
// POST /v1/callbacks/generic (HMAC scheme). Each is authenticated, decoded and recorded
// durably before it is answered 204; app/README.md "Payment callbacks" lists every refusal.
#include <Poco/JSON/Parser.h>


#include "app/http/api_error.h"
#include "app/http/json_body.h"
#include "app/merchant/merchant_routes.h"
#include "app/documents/order_json.h"
#include "app/merchant/payment_crypto.h"
#include "app/merchant/callback_bodies.h"

namespace app {
namespace {

using Poco::JSON::Object;

// Refuses the callback with the contract's error and counts the reason.
[[noreturn]] void Reject(Metrics& m, const std::string& provider, int status, const std::string& code,
                         const std::string& message, const std::string& field = "") {
  m.CountCallbackRejected(provider, code);
  throw ApiError(status, code, message, field);
}

// The body, or the callback refused (and counted) as too large.
std::string CallbackBody(Exchange& ex, Metrics& m, const std::string& provider) {
  try {
    return ex.Body();
  } catch (const ApiError& e) {
    Reject(m, provider, e.status(), e.code(), e.what());
  }
}

void Answer(Exchange& ex, Metrics& m, const std::string& provider, NoticeOutcome outcome) {
  switch (outcome) {
    case NoticeOutcome::kRecorded:
    case NoticeOutcome::kDuplicate: ex.Send(204, "text/plain", ""); return;
    case NoticeOutcome::kUnknownOrder: Reject(m, provider, 404, "unknown_order", "no such order", "out_trade_no");
    case NoticeOutcome::kAmountMismatch:
      Reject(m, provider, 422, "amount_mismatch", "the paid amount differs from the order total", "amount");
    case NoticeOutcome::kAlreadyPaid:
      Reject(m, provider, 409, "already_paid", "the order was paid by another transaction", "transaction_id");
    case NoticeOutcome::kNotPaid: Reject(m, provider, 409, "not_paid", "a refund for an order that was never paid");
    case NoticeOutcome::kRefundTooLarge:
      Reject(m, provider, 422, "refund_exceeds_payment", "the refunds would exceed the payment", "amount");
  }
}

}  // namespace

CallbackRoutes::CallbackRoutes(Config config, std::optional<payment::RsaPublicKey> wechat_public_key,
                               std::optional<payment::RsaPublicKey> alipay_public_key, Site& site, Merchant& merchant,
                               Metrics& metrics)
    : config_(std::move(config)),
      wechat_public_key_(std::move(wechat_public_key)),
      alipay_public_key_(std::move(alipay_public_key)),
      site_(site),
      merchant_(&merchant),
      metrics_(metrics) {}

void CallbackRoutes::Add(Router& r) {
  r.Add("POST", "/v1/callbacks/wechatpay", [this](Exchange& ex) {
    const std::string p = "wechatpay";
    if (config_.wechat_api_v3_key.empty()) Reject(metrics_, p, 404, "not_configured", "WeChat Pay is not configured");
    std::string body = CallbackBody(ex, metrics_, p);
    const auto& req = ex.request();
    std::string ts = req.get("Wechatpay-Timestamp", ""), nonce = req.get("Wechatpay-Nonce", ""),
                sig = req.get("Wechatpay-Signature", ""), serial = req.get("Wechatpay-Serial", "");
    if (ts.empty() || nonce.empty() || sig.empty() || serial.empty())
      Reject(metrics_, p, 401, "missing_signature", "the Wechatpay-Timestamp/Nonce/Signature/Serial headers are required");
    if (serial != config_.wechat_serial)
      Reject(metrics_, p, 401, "unknown_serial", "Wechatpay-Serial names no platform key configured here");
    auto t = ParseUnixSeconds(ts);
    int64_t now_s = static_cast<int64_t>(site_.Now() / 1000);
    if (!t || *t < now_s - config_.callback_tolerance_s || *t > now_s + config_.callback_tolerance_s)
      Reject(metrics_, p, 401, "stale_timestamp", "Wechatpay-Timestamp is more than 5 minutes off");
    if (!wechat_public_key_ || !wechat_public_key_->VerifySha256(ts + "\n" + nonce + "\n" + body + "\n", sig))
      Reject(metrics_, p, 401, "invalid_signature", "Wechatpay-Signature does not verify with the platform key");
    WechatNotification n;
    try {
      n = ParseWechatNotification(body, config_.wechat_api_v3_key);
    } catch (const ApiError& e) {
      Reject(metrics_, p, e.status(), e.code(), e.what(), e.field());
    }
    if (n.event_type != "TRANSACTION.SUCCESS" && n.event_type != "REFUND.SUCCESS") {
      ex.Send(204, "text/plain", "");  // other events are acknowledged and ignored
      return;
    }
    PaymentNotice notice;
    try {
      notice = WechatResourceNotice(n.resource, n.event_type, config_.wechat_mchid);
    } catch (const ApiError& e) {
      Reject(metrics_, p, e.status(), e.code(), e.what(), e.field());
    }
    Answer(ex, metrics_, p, merchant_->Record(notice));
  });

  // Alipay's asynchronous notifications: a form signed RSA2 over its sorted parameters.
  // Alipay retries until it reads the body `success`, which is sent only once the payment
  // or refund is durably recorded (or was recorded before: a repeated notification).
  r.Add("POST", "/v1/callbacks/alipay", [this](Exchange& ex) {
    const std::string p = "alipay";
    if (config_.alipay_app_id.empty() || !alipay_public_key_) Reject(metrics_, p, 404, "not_configured", "Alipay is not configured");
    std::string body = CallbackBody(ex, metrics_, p);
    AlipayParams params;
    try {
      params = ParseAlipayForm(body);
    } catch (const ApiError& e) {
      Reject(metrics_, p, e.status(), e.code(), e.what(), e.field());
    }
    auto sign = params.find("sign");
    auto sign_type = params.find("sign_type");
    if (sign == params.end() || sign->second.empty()) Reject(metrics_, p, 401, "missing_signature", "sign is required", "sign");
    if (sign_type != params.end() && sign_type->second != "RSA2")
      Reject(metrics_, p, 401, "unsupported_signature", "sign_type must be RSA2", "sign_type");
    if (!alipay_public_key_->VerifySha256(AlipaySignedContent(params), sign->second))
      Reject(metrics_, p, 401, "invalid_signature", "sign does not verify with the Alipay public key", "sign");
    std::optional<PaymentNotice> notice;
    try {
      notice = AlipayNotice(params, config_.alipay_app_id, config_.alipay_seller_id);
    } catch (const ApiError& e) {
      Reject(metrics_, p, e.status(), e.code(), e.what(), e.field());
    }
    if (notice) {
      NoticeOutcome outcome = merchant_->Record(*notice);
      if (outcome != NoticeOutcome::kRecorded && outcome != NoticeOutcome::kDuplicate) Answer(ex, metrics_, p, outcome);
    }
    ex.Send(200, "text/plain", "success");
  });

  r.Add("POST", "/v1/callbacks/generic", [this](Exchange& ex) {
    const std::string p = "generic";
    if (config_.generic_secret.empty()) Reject(metrics_, p, 404, "not_configured", "the generic provider is not configured");
    std::string body = CallbackBody(ex, metrics_, p);
    // X-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, t + "." + body)>
    GenericSignature sig = ParseGenericSignature(ex.request().get("X-Signature", ""));
    const std::string &t = sig.t, &v1 = sig.v1;
    auto ts = ParseUnixSeconds(t);
    if (!ts || v1.empty()) Reject(metrics_, p, 401, "missing_signature", "X-Signature: t=<unix>,v1=<hex> is required");
    int64_t now_s = static_cast<int64_t>(site_.Now() / 1000);
    if (*ts < now_s - config_.callback_tolerance_s || *ts > now_s + config_.callback_tolerance_s)
      Reject(metrics_, p, 401, "stale_timestamp", "the signature's timestamp is more than 300 s off");
    if (!payment::ConstantTimeEquals(payment::HmacSha256Hex(config_.generic_secret, t + "." + body), v1))
      Reject(metrics_, p, 401, "invalid_signature", "X-Signature does not match the body");
    PaymentNotice notice;
    try {
      notice = GenericNoticeFromJson(body);
    } catch (const ApiError& e) {
      Reject(metrics_, p, e.status(), e.code(), e.what(), e.field());
    }
    Answer(ex, metrics_, p, merchant_->Record(notice));
  });
}

}  // namespace app
