// An invoice as the contract's JSON (GET /v1/invoices/{no}): the document, where it is on
// the chain, and its lifecycle as the node knows it (and as rows of a page). The merchant serves its own invoices,
// the authority any invoice, to the bureau.
#pragma once

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <cstdint>
#include <string>
#include <vector>

#include "app/http/pages.h"
#include "invoice/invoice.h"
#include "invoice/lifecycle_state.h"

namespace app {

// An invoice and where it stands on the chain.
struct InvoiceRecord {
  invoice::Invoice invoice;
  std::string status;        // pending, sealed, rejected
  std::string leaf_hash;     // hex
  int64_t height = -1;       // sealed only
  int64_t leaf_index = -1;
  std::string refusal_code;  // rejected only
  std::string refusal_message;
  std::vector<std::string> reversals;  // blue: the red invoices against it
};

// The contract's invoice JSON, with the lifecycle as the node knows it (`st` null: nothing
// beyond the record). The employee who claimed is shown only to the authority's auditors
// (`with_employee`).
Poco::JSON::Object::Ptr InvoiceJson(const InvoiceRecord& r, const std::string& qr_url, const invoice::InvoiceState* st,
                                    bool with_employee);
// An invoice's lifecycle trace: each step with its block height.
Poco::JSON::Array::Ptr LifecycleJson(const invoice::InvoiceState& st, bool with_employee);
// One row of an invoice's lifecycle trace on a page (invoice page, audit pages).
PageData StepRow(const Catalog& catalog, std::string_view lang, const invoice::Step& step);

}  // namespace app
