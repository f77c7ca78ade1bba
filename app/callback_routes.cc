// Payment callbacks: POST /v1/callbacks/wechatpay (WeChat Pay API v3 notifications) and
// POST /v1/callbacks/generic (HMAC scheme). Each is authenticated, decoded and recorded
// durably before it is answered 204; README "Payment callbacks" lists every refusal.
#include <Poco/JSON/Parser.h>

#include <charconv>

#include "app/api_error.h"
#include "app/json_body.h"
#include "app/node.h"
#include "app/order_json.h"
#include "app/payment_crypto.h"

namespace app {
namespace {

using Poco::JSON::Object;

// Refuses the callback with the contract's error and counts the reason.
[[noreturn]] void Reject(Metrics& m, const std::string& provider, int status, const std::string& code,
                         const std::string& message, const std::string& field = "") {
  m.CountCallbackRejected(provider, code);
  throw ApiError(status, code, message, field);
}

std::optional<int64_t> ParseUnix(const std::string& s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
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

void Node::AddCallbackRoutes(Router& r) {
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
    auto t = ParseUnix(ts);
    int64_t now_s = static_cast<int64_t>(Now() / 1000);
    if (!t || *t < now_s - config_.callback_tolerance_s || *t > now_s + config_.callback_tolerance_s)
      Reject(metrics_, p, 401, "stale_timestamp", "Wechatpay-Timestamp is more than 5 minutes off");
    if (!wechat_public_key_ || !wechat_public_key_->VerifySha256(ts + "\n" + nonce + "\n" + body + "\n", sig))
      Reject(metrics_, p, 401, "invalid_signature", "Wechatpay-Signature does not verify with the platform key");
    Object::Ptr n;
    std::string event_type, plain;
    try {
      n = ParseJsonObject(body);
      event_type = RequireString(n, "event_type");
      if (!n->has("resource") || n->get("resource").type() != typeid(Object::Ptr))
        throw ApiError::BadRequest("missing_field", "resource is required", "resource");
      Object::Ptr res = n->getObject("resource");
      if (RequireString(res, "algorithm", "resource.") != "AEAD_AES_256_GCM")
        throw ApiError::BadRequest("invalid_field", "resource.algorithm must be AEAD_AES_256_GCM", "resource.algorithm");
      auto decrypted = payment::AesGcmDecrypt(config_.wechat_api_v3_key, RequireString(res, "nonce", "resource."),
                                              OptionalString(res, "associated_data", "resource.").value_or(""),
                                              RequireString(res, "ciphertext", "resource."));
      if (!decrypted)
        throw ApiError::BadRequest("undecryptable_resource",
                                   "resource does not decrypt with the API v3 key (wrong key or tampered)", "resource");
      plain = *decrypted;
    } catch (const ApiError& e) {
      Reject(metrics_, p, e.status(), e.code(), e.what(), e.field());
    }
    if (event_type != "TRANSACTION.SUCCESS" && event_type != "REFUND.SUCCESS") {
      ex.Send(204, "text/plain", "");  // other events are acknowledged and ignored
      return;
    }
    PaymentNotice notice;
    try {
      Object::Ptr res = ParseJsonObject(plain);
      if (RequireString(res, "mchid") != config_.wechat_mchid)
        throw ApiError(422, "wrong_merchant", "the notification is for another merchant id", "mchid");
      notice.order_id = RequireString(res, "out_trade_no");
      notice.payment_id = RequireString(res, "transaction_id");
      if (!res->has("amount") || res->get("amount").type() != typeid(Object::Ptr))
        throw ApiError::BadRequest("missing_field", "amount is required", "amount");
      Object::Ptr amount = res->getObject("amount");
      if (event_type == "TRANSACTION.SUCCESS") {
        if (RequireString(res, "trade_state") != "SUCCESS")
          throw ApiError(422, "not_successful", "trade_state is not SUCCESS", "trade_state");
        notice.amount_fen = RequireInt(amount, "total", "amount.");
      } else {
        if (RequireString(res, "refund_status") != "SUCCESS")
          throw ApiError(422, "not_successful", "refund_status is not SUCCESS", "refund_status");
        notice.kind = PaymentNotice::Kind::kRefund;
        notice.refund_id = RequireString(res, "refund_id");
        notice.amount_fen = RequireInt(amount, "refund", "amount.");
        CheckReference(notice.refund_id, "refund_id");
      }
      // The ids become invoice text (PaymentId) and log lines: the invoice's text rules.
      CheckReference(notice.order_id, "out_trade_no");
      CheckReference(notice.payment_id, "transaction_id");
    } catch (const ApiError& e) {
      Reject(metrics_, p, e.status(), e.code(), e.what(), e.field());
    }
    Answer(ex, metrics_, p, merchant_->Record(notice));
  });

  r.Add("POST", "/v1/callbacks/generic", [this](Exchange& ex) {
    const std::string p = "generic";
    if (config_.generic_secret.empty()) Reject(metrics_, p, 404, "not_configured", "the generic provider is not configured");
    std::string body = CallbackBody(ex, metrics_, p);
    // X-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, t + "." + body)>
    std::string header = ex.request().get("X-Signature", ""), t, v1;
    for (size_t pos = 0; pos < header.size();) {
      size_t end = header.find(',', pos);
      if (end == std::string::npos) end = header.size();
      std::string part = header.substr(pos, end - pos);
      if (part.rfind("t=", 0) == 0) t = part.substr(2);
      if (part.rfind("v1=", 0) == 0) v1 = part.substr(3);
      pos = end + 1;
    }
    auto ts = ParseUnix(t);
    if (!ts || v1.empty()) Reject(metrics_, p, 401, "missing_signature", "X-Signature: t=<unix>,v1=<hex> is required");
    int64_t now_s = static_cast<int64_t>(Now() / 1000);
    if (*ts < now_s - config_.callback_tolerance_s || *ts > now_s + config_.callback_tolerance_s)
      Reject(metrics_, p, 401, "stale_timestamp", "the signature's timestamp is more than 300 s off");
    if (!payment::ConstantTimeEquals(payment::HmacSha256Hex(config_.generic_secret, t + "." + body), v1))
      Reject(metrics_, p, 401, "invalid_signature", "X-Signature does not match the body");
    PaymentNotice notice;
    try {
      Object::Ptr n = ParseJsonObject(body);
      RequireString(n, "event_id");
      std::string type = RequireString(n, "type");
      notice.order_id = RequireString(n, "order_id");
      notice.payment_id = RequireString(n, "payment_id");
      if (type == "payment.succeeded") {
        notice.amount_fen = RequireInt(n, "amount_fen");
      } else if (type == "refund.succeeded") {
        notice.kind = PaymentNotice::Kind::kRefund;
        notice.refund_id = RequireString(n, "refund_id");
        notice.amount_fen = RequireInt(n, "refund_fen");
        CheckReference(notice.refund_id, "refund_id");
      } else {
        throw ApiError::BadRequest("invalid_field", "type is payment.succeeded or refund.succeeded", "type");
      }
      CheckReference(notice.order_id, "order_id");
      CheckReference(notice.payment_id, "payment_id");
    } catch (const ApiError& e) {
      Reject(metrics_, p, e.status(), e.code(), e.what(), e.field());
    }
    Answer(ex, metrics_, p, merchant_->Record(notice));
  });
}

}  // namespace app
