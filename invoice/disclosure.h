// Who may read an entry of the chain in full (invoice/README.md "Disclosure"): the bureau reads all;
// a taxpayer reads the entries it submitted, its registration, the invoices it is buyer of,
// and the claims, confirmations and red invoices about invoices it is seller, buyer or
// claimant of. Everyone else sees only the entry's hash. Pure: the caller holds the
// lifecycle steady while asking.
#pragma once

#include <string>

#include "invoice/events.h"
#include "invoice/lifecycle.h"

namespace invoice {

// Whether taxpayer `tax_id` may read the entry that `submitter` sent with `event` (null:
// an entry whose payload does not decode: only its submitter may).
bool MayRead(const Lifecycle& lc, const std::string& tax_id, const std::string& submitter, const Event* event);

}  // namespace invoice
