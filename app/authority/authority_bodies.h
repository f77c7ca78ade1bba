// The request bodies of the authority's API (registration, node-submitted entries, the
// bureau's payment reports, alarms from taxpayer nodes),
// as functions of those bytes alone: the handler authenticates, calls one, and acts on what
// it returns, and tests/fuzz drives the very same functions with hostile input. Each function
// throws ApiError (a 4xx naming the field) for any input it refuses, and nothing else.
// Thread-safe (no state).
#pragma once

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "app/authority/audit.h"
#include "app/chain/decoded_entry.h"
#include "ledger/hash.h"

namespace app {

// POST /v1/taxpayers: {tax_id, name, node_public_key}; the key as PEM or 64 hex digits,
// returned as hex when it was PEM. 422 for a bad credit code or a PEM that is no Ed25519 key.
struct RegisterBody {
  std::string tax_id, name, node_key;
};
RegisterBody RegisterFromJson(const Poco::JSON::Object::Ptr& o);

// POST /v1/events: {entries: [base64 entry envelope, ...]}, 1..1000 canonical entries, each
// submitted by `node_id` (403 otherwise). Returns the entries, in order, decoded once.
std::vector<DecodedEntry> EventEntriesFromJson(const Poco::JSON::Object::Ptr& o, const std::string& node_id);

// POST /v1/audit/payments: {payments: [{seller, payment_id, amount_fen, paid_at}, ...]}, at
// most 10,000, amounts positive, times UTC ("2026-10-15T08:00:00Z", milliseconds optional).
std::vector<ReportedPayment> PaymentsReportFromJson(const Poco::JSON::Object::Ptr& o);

// POST /v1/alarms: {reason, ...}: the reason (at most 500 bytes) and the whole body as JSON
// text (at most 4000 bytes), as the audit record keeps them.
struct AlarmBody {
  std::string reason, detail;
};
AlarmBody AlarmFromJson(const Poco::JSON::Object::Ptr& o);

}  // namespace app
