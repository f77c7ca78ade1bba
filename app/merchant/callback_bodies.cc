#include "app/merchant/callback_bodies.h"

#include <Poco/JSON/Array.h>

#include <charconv>
#include <cstdio>
#include <sstream>

#include "app/http/api_error.h"
#include "app/http/json_body.h"
#include "app/documents/order_json.h"
#include "app/merchant/payment_crypto.h"
#include "invoice/time_format.h"

namespace app {

using Poco::JSON::Array;
using Poco::JSON::Object;

std::optional<int64_t> ParseUnixSeconds(const std::string& s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

WechatNotification ParseWechatNotification(const std::string& body, const std::string& api_v3_key) {
  WechatNotification w;
  Object::Ptr n = ParseJsonObject(body);
  w.event_type = RequireString(n, "event_type");
  if (!n->has("resource") || n->get("resource").type() != typeid(Object::Ptr))
    throw ApiError::BadRequest("missing_field", "resource is required", "resource");
  Object::Ptr res = n->getObject("resource");
  if (RequireString(res, "algorithm", "resource.") != "AEAD_AES_256_GCM")
    throw ApiError::BadRequest("invalid_field", "resource.algorithm must be AEAD_AES_256_GCM", "resource.algorithm");
  auto decrypted = payment::AesGcmDecrypt(api_v3_key, RequireString(res, "nonce", "resource."),
                                          OptionalString(res, "associated_data", "resource.").value_or(""),
                                          RequireString(res, "ciphertext", "resource."));
  if (!decrypted)
    throw ApiError::BadRequest("undecryptable_resource",
                               "resource does not decrypt with the API v3 key (wrong key or tampered)", "resource");
  w.resource = *decrypted;
  return w;
}

PaymentNotice WechatResourceNotice(const std::string& resource, const std::string& event_type, const std::string& mchid) {
  PaymentNotice notice;
  Object::Ptr res = ParseJsonObject(resource);
  if (RequireString(res, "mchid") != mchid)
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
  return notice;
}

GenericSignature ParseGenericSignature(const std::string& header) {
  GenericSignature s;
  for (size_t pos = 0; pos < header.size();) {
    size_t end = header.find(',', pos);
    if (end == std::string::npos) end = header.size();
    std::string part = header.substr(pos, end - pos);
    if (part.rfind("t=", 0) == 0) s.t = part.substr(2);
    if (part.rfind("v1=", 0) == 0) s.v1 = part.substr(3);
    pos = end + 1;
  }
  return s;
}

PaymentNotice GenericNoticeFromJson(const std::string& body) {
  PaymentNotice notice;
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
  return notice;
}

}  // namespace app
