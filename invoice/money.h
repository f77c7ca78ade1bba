// Money in integer fen (1 yuan = 100 fen) and the contract's VAT rule. No floating point
// anywhere: rates are whole percentages, and every division rounds half up explicitly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace invoice {

using Fen = int64_t;

// A VAT rate allowed by the contract: 13, 9, 6, 3, 1 or 0 percent.
class TaxRate {
 public:
  // Parses the contract's decimal string form ("0.13", "0.09", "0.06", "0.03", "0.01", "0").
  static std::optional<TaxRate> Parse(std::string_view text);
  static std::optional<TaxRate> FromPercent(int percent);
  int percent() const { return percent_; }
  std::string ToString() const;  // canonical "0.13" form; "0" for the zero rate
  auto operator<=>(const TaxRate&) const = default;

 private:
  explicit TaxRate(int percent) : percent_(percent) {}
  int percent_ = 0;
};

struct VatSplit {
  Fen net_fen = 0;
  Fen tax_fen = 0;
};

// Prices include VAT: tax = round_half_up(gross * rate / (1 + rate)), net = gross - tax.
// A negative gross (a red line) splits as the negation of its magnitude.
VatSplit SplitGross(Fen gross_fen, TaxRate rate);

// "1409.50" for 140950 fen; "-12.00" for -1200.
std::string FormatYuan(Fen fen);
// Parses "1409.50", "1409.5" or "1409" into fen; nothing else (no signs, no exponents).
std::optional<Fen> ParseYuan(std::string_view text);

}  // namespace invoice
