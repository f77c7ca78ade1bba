#include "invoice/events.h"

#include <cctype>

namespace invoice {

bool ValidPeriod(const std::string& p) {
  // "YYYY-MM" (01..12) or "YYYY-Qn" (1..4)
  if (p.size() != 7 || p[4] != '-') return false;
  for (int i = 0; i < 4; ++i)
    if (!std::isdigit(static_cast<unsigned char>(p[i]))) return false;
  if (p[5] == 'Q') return p[6] >= '1' && p[6] <= '4';
  if (!std::isdigit(static_cast<unsigned char>(p[5])) || !std::isdigit(static_cast<unsigned char>(p[6]))) return false;
  int m = (p[5] - '0') * 10 + (p[6] - '0');
  return m >= 1 && m <= 12;
}

Fen FilingFigures::NetFen() const {
  Fen n = 0;
  for (const auto& r : rates) n += r.net_fen + r.red_net_fen;
  return n;
}

Fen FilingFigures::TaxFen() const {
  Fen t = 0;
  for (const auto& r : rates) t += r.tax_fen + r.red_tax_fen;
  return t;
}

}  // namespace invoice
