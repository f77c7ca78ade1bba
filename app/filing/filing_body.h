// The request body of POST /v1/filings and the rule of when a period may be filed,
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

// POST /v1/filings: {period, amends?}; 422 unless the period is a month or a quarter.
struct FilingBody {
  std::string period, amends;
};
FilingBody FilingFromJson(const Poco::JSON::Object::Ptr& o);
// Whether the last day of a valid period (invoice::ValidPeriod) has passed, China time: a
// return is filed after its period.
bool PeriodIsOver(const std::string& period, uint64_t now_ms);

}  // namespace app
