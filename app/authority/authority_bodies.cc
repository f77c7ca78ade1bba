#include "app/authority/authority_bodies.h"

#include <Poco/JSON/Array.h>

#include <charconv>
#include <cstdio>
#include <sstream>

#include "app/http/api_error.h"
#include "app/http/json_body.h"
#include "invoice/credit_code.h"
#include "invoice/time_format.h"
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
  const std::string suite(ledger::SuiteName(ledger::ActiveSuite()));
  std::optional<ledger::Bytes> raw;
  if (key.rfind("-----BEGIN", 0) == 0) {
    auto k = ledger::PublicKeyFromPem(key);
    if (k.ok()) raw = *k;
  } else if (auto hex = ledger::FromHex(key); hex && ledger::ToHex(*hex) == key) {  // lower-case only
    raw = std::move(hex);
  }
  if (!raw || ledger::SuiteOfKey(*raw) != ledger::ActiveSuite())
    throw ApiError(422, "invalid_key",
                   "node_public_key is not a public key of this network's suite, " + suite +
                       (ledger::ActiveSuite() == ledger::Suite::kSm2Sm3 ? " (SM2: 130 hex digits 04...)" : " (Ed25519: 64 hex digits)"),
                   "node_public_key");
  b.node_key = ledger::ToHex(*raw);
  return b;
}

std::vector<DecodedEntry> EventEntriesFromJson(const Object::Ptr& req, const std::string& node_id) {
  if (!req->has("entries") || req->get("entries").type() != typeid(Array::Ptr))
    throw ApiError::BadRequest("missing_field", "entries is required (an array of base64 entries)", "entries");
  Array::Ptr arr = req->getArray("entries");
  if (arr->size() == 0 || arr->size() > kMaxEntriesPerBatch)
    throw ApiError::BadRequest("invalid_field", "entries holds 1..1000 entries", "entries");
  std::vector<ledger::Bytes> raw;
  for (size_t i = 0; i < arr->size(); ++i) {
    Poco::Dynamic::Var v = arr->get(i);
    auto bytes = v.isString() ? ledger::FromBase64(v.toString()) : std::nullopt;
    if (!bytes) throw ApiError::BadRequest("invalid_field", "entries[" + std::to_string(i) + "] is not base64",
                                           "entries[" + std::to_string(i) + "]");
    raw.push_back(std::move(*bytes));
  }
  std::vector<DecodedEntry> entries = DecodedEntry::DecodeAll(std::move(raw));
  for (size_t i = 0; i < entries.size(); ++i) {
    const DecodedEntry& entry = entries[i];
    if (!entry.envelope)
      throw ApiError::BadRequest("invalid_entry", "entries[" + std::to_string(i) + "] is not a canonical entry envelope: " +
                                 entry.envelope_problem, "entries[" + std::to_string(i) + "]");
    if (entry.envelope->submitter != node_id)
      throw ApiError(403, "forbidden", "entries[" + std::to_string(i) + "] was submitted by another taxpayer",
                     "entries[" + std::to_string(i) + "]");
  }
  return entries;
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

}  // namespace app
