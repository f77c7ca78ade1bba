#include "tax/vat_return.h"

namespace tax {

void RateAccumulator::Add(invoice::Fen gross_fen, invoice::TaxRate rate) {
  invoice::VatSplit s = invoice::SplitGross(gross_fen, rate);
  RateTotals& t = totals_[rate];
  t.gross_fen += gross_fen;
  t.net_fen += s.net_fen;
  t.tax_fen += s.tax_fen;
}

RateTotals RateAccumulator::Sum() const {
  RateTotals sum;
  for (const auto& [rate, t] : totals_) {
    sum.gross_fen += t.gross_fen;
    sum.net_fen += t.net_fen;
    sum.tax_fen += t.tax_fen;
  }
  return sum;
}

}  // namespace tax
