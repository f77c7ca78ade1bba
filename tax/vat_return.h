// Per-rate VAT totals: the figures a return is made of. Pure arithmetic over invoice lines;
// the filing workflow that feeds it from the chain lives in app/.
#pragma once

#include <map>

#include "invoice/money.h"

namespace tax {

struct RateTotals {
  invoice::Fen gross_fen = 0;
  invoice::Fen net_fen = 0;
  invoice::Fen tax_fen = 0;
};

// Adds lines by rate; each line's split follows the contract's per-line rule.
class RateAccumulator {
 public:
  void Add(invoice::Fen gross_fen, invoice::TaxRate rate);
  const std::map<invoice::TaxRate, RateTotals>& totals() const { return totals_; }
  RateTotals Sum() const;

 private:
  std::map<invoice::TaxRate, RateTotals> totals_;
};

}  // namespace tax
