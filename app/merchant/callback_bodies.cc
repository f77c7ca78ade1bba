#include "app/merchant/callback_bodies.h"

#include <Poco/JSON/Array.h>

#include <cctype>
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

AlipayParams ParseAlipayForm(const std::string& body) {
  AlipayParams params;
  // application/x-www-form-urlencoded: name=value pairs joined by &, '+' a space, %XX a byte.
  auto decode = [](std::string_view s, const char* field) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '+') {
        out += ' ';
      } else if (s[i] == '%') {
        auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
        if (i + 2 >= s.size() || !hex(s[i + 1]) || !hex(s[i + 2]))
          throw ApiError::BadRequest("malformed_form", "a %-escape is not two hex digits", field);
        out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
        i += 2;
      } else {
        out += s[i];
      }
    }
    return out;
  };
  std::string_view rest = body;
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string name = decode(pair.substr(0, eq), "body");
    std::string value = eq == std::string_view::npos ? "" : decode(pair.substr(eq + 1), "body");
    if (name.empty() || name.size() > 64) throw ApiError::BadRequest("malformed_form", "a parameter name is empty or too long", "body");
    if (params.size() >= 64) throw ApiError::BadRequest("malformed_form", "more than 64 parameters", "body");
    if (!params.emplace(name, std::move(value)).second)
      throw ApiError::BadRequest("duplicate_parameter", name + " is given twice", name);
  }
  return params;
}

std::string AlipaySignedContent(const AlipayParams& params) {
  std::string content;
  for (const auto& [name, value] : params) {  // std::map: sorted by name (bytes), as Alipay sorts
    if (name == "sign" || name == "sign_type" || value.empty()) continue;
    if (!content.empty()) content += '&';
    content += name + "=" + value;
  }
  return content;
}

std::optional<PaymentNotice> AlipayNotice(const AlipayParams& params, const std::string& app_id,
                                          const std::string& seller_id) {
  auto get = [&](const char* name) -> std::string {
    auto it = params.find(name);
    if (it == params.end() || it->second.empty())
      throw ApiError::BadRequest("missing_field", std::string(name) + " is required", name);
    return it->second;
  };
  auto optional = [&](const char* name) {
    auto it = params.find(name);
    return it == params.end() ? std::string() : it->second;
  };
  auto yuan = [&](const char* name) {
    auto fen = invoice::ParseYuan(get(name));
    if (!fen) throw ApiError::BadRequest("invalid_field", std::string(name) + " is yuan with at most 2 decimals", name);
    return *fen;
  };
  if (std::string charset = optional("charset"); !charset.empty() && charset != "utf-8" && charset != "UTF-8")
    throw ApiError::BadRequest("invalid_field", "charset must be utf-8 (set it so in the Alipay application)", "charset");
  if (get("app_id") != app_id) throw ApiError(422, "wrong_app", "the notification is for another Alipay application", "app_id");
  if (!seller_id.empty() && get("seller_id") != seller_id)
    throw ApiError(422, "wrong_merchant", "the notification is for another Alipay seller", "seller_id");
  PaymentNotice notice;
  notice.order_id = get("out_trade_no");
  notice.payment_id = get("trade_no");
  const std::string status = get("trade_status");
  // A refund names its request (out_biz_no); a trade's later notices (TRADE_FINISHED) may
  // carry its refund_fee without one, and are about the payment.
  const bool refund = !optional("out_biz_no").empty();
  if (refund) {
    if (status != "TRADE_SUCCESS" && status != "TRADE_FINISHED" && status != "TRADE_CLOSED")
      throw ApiError(422, "not_successful", "a refund's trade_status is TRADE_SUCCESS, TRADE_FINISHED or TRADE_CLOSED",
                     "trade_status");
    notice.kind = PaymentNotice::Kind::kRefund;
    notice.refund_id = get("out_biz_no");
    notice.amount_fen = yuan("refund_fee");  // Alipay's refund_fee: the trade's refunded total
    notice.refunded_total = true;
    get("gmt_refund");
    CheckReference(notice.refund_id, "out_biz_no");
  } else {
    if (status == "WAIT_BUYER_PAY" || status == "TRADE_CLOSED") return std::nullopt;  // nothing paid
    if (status != "TRADE_SUCCESS" && status != "TRADE_FINISHED")
      throw ApiError(422, "not_successful", "trade_status is not TRADE_SUCCESS or TRADE_FINISHED", "trade_status");
    notice.amount_fen = yuan("total_amount");
  }
  CheckReference(notice.order_id, "out_trade_no");
  CheckReference(notice.payment_id, "trade_no");
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
