// What became of one entry a taxpayer node submitted (POST /v1/events answers one per
// entry, in order): sealed where, or refused why. The authority builds it, the answer
// carries it as JSON, and the submitting node reads it back typed: one type, both ways.
#pragma once

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <cstdint>
#include <string>
#include <vector>

#include "invoice/verdict.h"
#include "tax/filing.h"

namespace app {

struct EntryOutcome {
  std::string leaf_hash;       // hex
  bool sealed = false;         // true also when it was already on the chain (idempotent)
  uint64_t height = 0;         // the block that sealed it
  uint64_t leaf_index = 0;
  invoice::Verdict verdict;    // why it was refused, or what an apply was granted
  std::vector<tax::Difference> differences;  // a refused filing: each figure that differs from the chain
};

// {leaf_hash, status: sealed|refused, height, leaf_index | code, http_status, message, field?,
// conflict_height?, differences?; granted?: {prefix, first, count}}.
Poco::JSON::Object::Ptr OutcomeJson(const EntryOutcome& o);
// The same, read back; throws std::runtime_error naming what is missing or malformed.
EntryOutcome OutcomeFromJson(const Poco::JSON::Object::Ptr& o);
// A refused filing's differences as the API shows them: [{figure, filed, chain}, …].
Poco::JSON::Array::Ptr DifferencesJson(const std::vector<tax::Difference>& differences);

}  // namespace app
