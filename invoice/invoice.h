// The invoice: parties, lines and totals, blue (issued for a payment) or red (reversing
// part or all of a blue one), and the rules that make one valid. Pure values, no I/O.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "invoice/money.h"

namespace invoice {

// An exact decimal: units / 10^scale, scale 0..6. Used for quantities and unit prices.
struct Decimal {
  int64_t units = 0;
  int scale = 0;
  // "12", "0.5", "-3.125" (at most 12 integer and `max_scale` fraction digits).
  static std::optional<Decimal> Parse(std::string_view text, int max_scale = 6);
  std::string ToString() const;  // canonical: no trailing fraction zeros, no "+"

 private:
  std::string Format() const;

 public:
  bool operator==(const Decimal& o) const;
};

struct Party {
  std::string name;
  std::string tax_id;  // unified social credit code; empty for an individual buyer
  std::string email;   // optional, buyers only
  bool operator==(const Party&) const = default;
};

struct Line {
  std::string name;
  std::string spec;    // optional (规格型号)
  std::string unit;    // optional (单位)
  Decimal quantity;    // negative on red invoices
  Decimal unit_price_fen;  // tax-inclusive, in fen, may have a fraction
  Fen gross_fen = 0;   // tax-inclusive amount; negative on red invoices
  TaxRate rate = *TaxRate::FromPercent(13);
  // Derived by the contract's per-line rule.
  VatSplit Split() const { return SplitGross(gross_fen, rate); }
  // The national layout's unit price (单价): without tax, in yuan, the net amount divided
  // by the quantity, rounded half up to 8 decimals (always positive).
  Decimal NetUnitPriceYuan() const;
  bool operator==(const Line&) const = default;
};

enum class Color { kBlue, kRed };

struct RateTotal {
  Fen gross_fen = 0, net_fen = 0, tax_fen = 0;
  bool operator==(const RateTotal&) const = default;
};

struct Invoice {
  std::string invoice_no;  // 20 digits
  Color color = Color::kBlue;
  uint64_t issued_at_ms = 0;  // Unix ms
  Party seller;
  Party buyer;
  std::vector<Line> lines;
  std::string order_id;
  std::string payment_id;    // the payment (blue) or refund (red) it was issued for
  std::string original_no;   // red only: the blue invoice it reverses
  std::string red_reason;    // red only: 01 invoicing error, 02 sales return, 03 service stopped, 04 allowance
  std::string confirmation_id;  // red only, when the original was claimed: the buyer's confirmation
  // Documents made before the national XML's UnPrice was the price without tax held the
  // price with tax there (and no UnPriceWithTax); such an invoice, read from a chain,
  // encodes back to exactly those bytes.
  bool legacy_unit_price = false;

  Fen TotalFen() const;
  Fen NetFen() const;
  Fen TaxFen() const;
  std::map<TaxRate, RateTotal> TotalsByRate() const;
  bool operator==(const Invoice&) const = default;
};

// What is wrong with an invoice: a machine code, the field at fault (JSON-path style,
// e.g. "items[2].gross_fen") and a sentence.
struct Problem {
  std::string code;
  std::string field;
  std::string message;
};

inline constexpr size_t kMaxLines = 2000;
inline constexpr size_t kMaxTextBytes = 300;  // names, specs, units (UTF-8 bytes)

// The rule for every text field of an invoice, the one the authority applies: valid UTF-8,
// no control characters, at most kMaxTextBytes, not spaces alone, present if `required`.
// Edges (forms, APIs, payment callbacks) check what they take in with it, so that nothing
// is stored that the authority would refuse.
std::optional<Problem> CheckText(const std::string& s, const std::string& field, bool required);
// A buyer as the invoice needs it: a name, a valid credit code if any, an e-mail address if
// any (field names are `prefix` + name, tax_id, email).
std::optional<Problem> ValidateBuyer(const Party& buyer, const std::string& prefix);
// Checks the invoice on its own (not against the chain): numbers, parties, lines, limits.
std::optional<Problem> Validate(const Invoice& inv);
// Checks one line: quantity x unit price within 1 fen of the amount, sign by colour.
std::optional<Problem> ValidateLine(const Line& line, Color color, const std::string& field_prefix);

std::string_view ColorName(Color c);  // "blue" / "red"
bool IsRedReason(std::string_view code);

}  // namespace invoice
