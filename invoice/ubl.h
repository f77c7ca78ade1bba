// UBL 2.1 documents with the EN 16931 / Peppol BIS Billing 3.0 core: an `Invoice` (type
// 380) for a blue invoice and a `CreditNote` (type 381) for a red one, valid against the
// OASIS XSD. Amounts are CNY with two decimals; a CreditNote states the reversed amounts
// as positive numbers and references the original invoice.
#pragma once

#include <string>

#include "invoice/invoice.h"

namespace invoice {

std::string EncodeUbl(const Invoice& inv);

// The calendar date in China Standard Time (UTC+8), as printed on invoices: "2026-11-24".
std::string ChinaDate(uint64_t ms);

}  // namespace invoice
