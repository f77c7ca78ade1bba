#include "app/http/request_bodies.h"

#include <Poco/JSON/Array.h>

#include <charconv>
#include <cstdio>
#include <sstream>

#include "app/http/api_error.h"
#include "app/http/json_body.h"
#include "app/merchant/order_json.h"
#include "app/merchant/payment_crypto.h"
#include "invoice/credit_code.h"
#include "invoice/lifecycle.h"
#include "invoice/time_format.h"
#include "invoice/ubl.h"
#include "ledger/entry.h"
#include "ledger/keys.h"

namespace app {

using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

constexpr size_t kMaxEntriesPerBatch = 1000;

// A UTC time: "2026-10-15T08:00:00Z" or with milliseconds.
uint64_t RequireTimeMs(const Object::Ptr& o, const std::string& key, const std::string& prefix) {
  std::string t = RequireString(o, key, prefix);
  auto ms = invoice::ParseUtcMs(t);
  if (!ms && t.size() == 20 && t.back() == 'Z') ms = invoice::ParseUtcMs(t.substr(0, 19) + ".000Z");
  if (!ms) throw ApiError(422, "invalid_time", prefix + key + " is a UTC time like 2026-10-15T08:00:00Z", prefix + key);
  return *ms;
}

}  // namespace

RegisterBody RegisterFromJson(const Object::Ptr& body) {
  RegisterBody b;
  b.tax_id = RequireString(body, "tax_id");
  b.name = RequireString(body, "name");
  std::string key = RequireString(body, "node_public_key");
  if (!invoice::IsValidCreditCode(b.tax_id))
    throw ApiError(422, "invalid_tax_id", invoice::DescribeCreditCodeError(invoice::CheckCreditCode(b.tax_id)), "tax_id");
  if (key.rfind("-----BEGIN", 0) == 0) {
    auto k = ledger::PublicKeyFromPem(key);
    if (!k.ok()) throw ApiError(422, "invalid_key", "node_public_key is not an Ed25519 key", "node_public_key");
    key = ledger::ToHex(*k);
  }
  b.node_key = key;
  return b;
}

std::vector<ledger::Bytes> EventEntriesFromJson(const Object::Ptr& req, const std::string& node_id) {
  if (!req->has("entries") || req->get("entries").type() != typeid(Array::Ptr))
    throw ApiError::BadRequest("missing_field", "entries is required (an array of base64 entries)", "entries");
  Array::Ptr arr = req->getArray("entries");
  if (arr->size() == 0 || arr->size() > kMaxEntriesPerBatch)
    throw ApiError::BadRequest("invalid_field", "entries holds 1..1000 entries", "entries");
  std::vector<ledger::Bytes> entries;
  for (size_t i = 0; i < arr->size(); ++i) {
    Poco::Dynamic::Var v = arr->get(i);
    auto bytes = v.isString() ? ledger::FromBase64(v.toString()) : std::nullopt;
    if (!bytes) throw ApiError::BadRequest("invalid_field", "entries[" + std::to_string(i) + "] is not base64",
                                           "entries[" + std::to_string(i) + "]");
    auto entry = ledger::Entry::Decode(*bytes);
    if (!entry.ok())
      throw ApiError::BadRequest("invalid_entry", "entries[" + std::to_string(i) + "] is not a canonical entry envelope: " +
                                 entry.status().message(), "entries[" + std::to_string(i) + "]");
    if (entry->submitter != node_id)
      throw ApiError(403, "forbidden", "entries[" + std::to_string(i) + "] was submitted by another taxpayer",
                     "entries[" + std::to_string(i) + "]");
    entries.push_back(std::move(*bytes));
  }
  return entries;
}

ClaimBody ClaimFromJson(const Object::Ptr& body) {
  ClaimBody b;
  b.invoice_no = RequireString(body, "invoice_no");
  b.h = RequireString(body, "h");
  return b;
}

FilingBody FilingFromJson(const Object::Ptr& body) {
  FilingBody b;
  b.period = RequireString(body, "period");
  b.amends = body->has("amends") ? RequireString(body, "amends") : "";
  if (!invoice::ValidPeriod(b.period))
    throw ApiError(422, "invalid_period", "period is a month (2026-10) or a quarter (2026-Q4)", "period");
  return b;
}

bool PeriodIsOver(const std::string& period, uint64_t now_ms) {
  std::string today = invoice::ChinaDate(now_ms).substr(0, 7);  // YYYY-MM
  int year = std::stoi(period.substr(0, 4));
  int last_month = period[5] == 'Q' ? (period[6] - '0') * 3 : std::stoi(period.substr(5, 2));
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04d-%02d", year, last_month);
  return today > std::string(buf);
}

std::vector<ReportedPayment> PaymentsReportFromJson(const Object::Ptr& body) {
  if (!body->has("payments") || body->get("payments").type() != typeid(Array::Ptr))
    throw ApiError::BadRequest("missing_field", "payments is required (an array)", "payments");
  Array::Ptr arr = body->getArray("payments");
  if (arr->size() > 10000) throw ApiError(422, "too_many", "at most 10,000 payments per report", "payments");
  std::vector<ReportedPayment> payments;
  for (size_t i = 0; i < arr->size(); ++i) {
    const std::string at = "payments[" + std::to_string(i) + "].";
    Object::Ptr p = arr->getObject(i);
    if (!p) throw ApiError::BadRequest("invalid_field", "payments[" + std::to_string(i) + "] is not an object", "payments");
    ReportedPayment rp{RequireString(p, "seller", at), RequireString(p, "payment_id", at), RequireInt(p, "amount_fen", at),
                       RequireTimeMs(p, "paid_at", at)};
    if (rp.amount_fen <= 0) throw ApiError(422, "invalid_amount", "amount_fen is positive", at + "amount_fen");
    payments.push_back(rp);
  }
  return payments;
}

AlarmBody AlarmFromJson(const Object::Ptr& o) {
  AlarmBody b;
  b.reason = RequireString(o, "reason").substr(0, 500);
  std::ostringstream detail;
  o->stringify(detail);
  b.detail = detail.str().substr(0, 4000);
  return b;
}

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
