// The request bodies and headers that route handlers read from outside, as functions of
// those bytes alone: the handler authenticates, calls one, and acts on what it returns, and
// tests/fuzz drives the very same functions with hostile input. Orders and buyers have
// theirs in order_json.h. Each function throws ApiError (a 4xx naming the field) for any
// input it refuses, and nothing else. Thread-safe (no state).
#pragma once

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "app/authority/audit.h"
#include "app/merchant/merchant.h"
#include "ledger/hash.h"

namespace app {

// POST /v1/taxpayers: {tax_id, name, node_public_key}; the key as PEM or 64 hex digits,
// returned as hex when it was PEM. 422 for a bad credit code or a PEM that is no Ed25519 key.
struct RegisterBody {
  std::string tax_id, name, node_key;
};
RegisterBody RegisterFromJson(const Poco::JSON::Object::Ptr& o);

// POST /v1/events: {entries: [base64 entry envelope, ...]}, 1..1000 canonical entries, each
// submitted by `node_id` (403 otherwise). Returns the entries' bytes, in order.
std::vector<ledger::Bytes> EventEntriesFromJson(const Poco::JSON::Object::Ptr& o, const std::string& node_id);

// POST /v1/reimbursements: {invoice_no, h}.
struct ClaimBody {
  std::string invoice_no, h;
};
ClaimBody ClaimFromJson(const Poco::JSON::Object::Ptr& o);

// POST /v1/filings: {period, amends?}; 422 unless the period is a month or a quarter.
struct FilingBody {
  std::string period, amends;
};
FilingBody FilingFromJson(const Poco::JSON::Object::Ptr& o);
// Whether the last day of a valid period (invoice::ValidPeriod) has passed, China time: a
// return is filed after its period.
bool PeriodIsOver(const std::string& period, uint64_t now_ms);

// POST /v1/audit/payments: {payments: [{seller, payment_id, amount_fen, paid_at}, ...]}, at
// most 10,000, amounts positive, times UTC ("2026-10-15T08:00:00Z", milliseconds optional).
std::vector<ReportedPayment> PaymentsReportFromJson(const Poco::JSON::Object::Ptr& o);

// POST /v1/alarms: {reason, ...}: the reason (at most 500 bytes) and the whole body as JSON
// text (at most 4000 bytes), as the audit record keeps them.
struct AlarmBody {
  std::string reason, detail;
};
AlarmBody AlarmFromJson(const Poco::JSON::Object::Ptr& o);

// Payment callbacks (README "Payment callbacks"). A decimal Unix time in seconds, or nullopt.
std::optional<int64_t> ParseUnixSeconds(const std::string& s);

// A WeChat Pay API v3 notification, its signature already verified: the event type and the
// resource decrypted with the API v3 key (400 undecryptable_resource when it does not).
struct WechatNotification {
  std::string event_type, resource;
};
WechatNotification ParseWechatNotification(const std::string& body, const std::string& api_v3_key);
// The decrypted resource of a TRANSACTION.SUCCESS or REFUND.SUCCESS notification for
// merchant `mchid` (422 wrong_merchant for another), as the payment or refund it reports.
PaymentNotice WechatResourceNotice(const std::string& resource, const std::string& event_type, const std::string& mchid);

// X-Signature of the generic scheme: "t=<unix>,v1=<hex>" (parts in any order; unknown parts
// and a missing part leave the field empty: the caller refuses that).
struct GenericSignature {
  std::string t, v1;
};
GenericSignature ParseGenericSignature(const std::string& header);
// The body of a generic callback, its signature already verified.
PaymentNotice GenericNoticeFromJson(const std::string& body);

}  // namespace app
