// A VAT return from the chain: which invoices a period covers and the figures they make.
// The merchant computes its return this way from its own sealed invoices; the authority
// recomputes it from its chain before sealing the filing and compares figure by figure.
#pragma once

#include <string>
#include <vector>

#include "invoice/lifecycle.h"

namespace tax {

// Whether an invoice issued at `issued_ms` (Unix ms) falls in `period` ("2026-10" or
// "2026-Q4"): by its issue date in China (UTC+8), the date printed on it.
bool InPeriod(uint64_t issued_ms, const std::string& period);

struct Covered {
  const invoice::Invoice* invoice;
  std::string leaf_hash;  // hex, of its issue entry
};

// The figures of the invoices covered (all one seller's, all in one period): per rate the
// blue net and tax and the red deductions (each line split by the contract's rule), counts,
// first and last number, and SHA-256 over the sorted leaf hashes (raw 32 bytes each).
invoice::FilingFigures ComputeReturn(const std::vector<Covered>& invoices);

// The invoices of `seller` issued in `period` (by the date in China), as a lifecycle filter.
invoice::InvoiceFilter PeriodFilter(const std::string& seller, const std::string& period);

// The return of `seller` for `period` from everything `lc` holds: its issued invoices (blue
// and red) dated in the period.
invoice::FilingFigures ReturnFromLifecycle(const invoice::Lifecycle& lc, const std::string& seller,
                                           const std::string& period);

// The filing as an XML document (for GET /v1/filings/{id}.xml): the event's figures with the
// totals, and where it was sealed.
std::string EncodeFilingXml(const invoice::FileEvent& filing, const std::string& seller_name, const invoice::Place& place);

struct Difference {
  std::string figure;  // e.g. "rates[0.13].tax_fen", "invoice_count", "set_hash"
  std::string filed, chain;
};
// Every figure where `filed` differs from `chain`; empty when they agree.
std::vector<Difference> CompareFigures(const invoice::FilingFigures& filed, const invoice::FilingFigures& chain);

}  // namespace tax
