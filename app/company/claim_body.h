// The request body of POST /v1/reimbursements,
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

namespace app {

// POST /v1/reimbursements: {invoice_no, h}.
struct ClaimBody {
  std::string invoice_no, h;
};
ClaimBody ClaimFromJson(const Poco::JSON::Object::Ptr& o);

}  // namespace app
