// A VAT return as the contract's JSON (GET /v1/filings/{id}, the audit's drill-down).
#pragma once

#include <Poco/JSON/Object.h>

#include "invoice/lifecycle.h"

namespace app {

// The figures of a return: per rate, totals, counts, the invoice range and set_hash.
Poco::JSON::Object::Ptr FiguresJson(const invoice::FilingFigures& f);
// A sealed filing with where it is on the chain and what amends it.
Poco::JSON::Object::Ptr FilingJson(const invoice::Lifecycle::FilingState& s);

}  // namespace app
