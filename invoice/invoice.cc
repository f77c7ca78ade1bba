#include "invoice/invoice.h"

#include <charconv>

#include "invoice/amount_words.h"
#include "invoice/credit_code.h"
#include "invoice/invoice_number.h"

namespace invoice {
namespace {

__int128 Pow10(int n) {
  __int128 p = 1;
  while (n-- > 0) p *= 10;
  return p;
}

// Valid UTF-8 without control characters; the XML and page writers rely on it.
bool CleanText(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return false;
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (n == 0 || i + n > s.size() || (n == 2 && c < 0xc2)) return false;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    i += n;
  }
  return true;
}

}  // namespace

std::optional<Problem> CheckText(const std::string& s, const std::string& field, bool required) {
  if (required && s.empty()) return Problem{"missing_field", field, field + " is required"};
  if (s.size() > kMaxTextBytes) return Problem{"too_long", field, field + " is longer than 300 bytes"};
  if (!CleanText(s)) return Problem{"invalid_text", field, field + " contains control characters"};
  // Spaces alone are no text: the canonical XML cannot carry them (a parser takes them for
  // an empty element), so such an invoice could never be sealed.
  if (!s.empty() && s.find_first_not_of(' ') == std::string::npos)
    return Problem{required ? "missing_field" : "invalid_text", field, field + " is blank"};
  return std::nullopt;
}

std::optional<Problem> ValidateBuyer(const Party& buyer, const std::string& prefix) {
  if (auto e = CheckText(buyer.name, prefix + "name", true)) return e;
  if (!buyer.tax_id.empty() && !IsValidCreditCode(buyer.tax_id))
    return Problem{"invalid_tax_id", prefix + "tax_id", DescribeCreditCodeError(CheckCreditCode(buyer.tax_id))};
  if (auto e = CheckText(buyer.email, prefix + "email", false)) return e;
  if (!buyer.email.empty() && buyer.email.find('@') == std::string::npos)
    return Problem{"invalid_email", prefix + "email", prefix + "email is not an e-mail address"};
  return std::nullopt;
}

std::optional<Decimal> Decimal::Parse(std::string_view t, int max_scale) {
  bool neg = !t.empty() && t[0] == '-';
  if (neg) t.remove_prefix(1);
  size_t dot = t.find('.');
  std::string_view whole = t.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view() : t.substr(dot + 1);
  if (whole.empty() || whole.size() > 12 || frac.size() > static_cast<size_t>(max_scale) ||
      whole.size() + frac.size() > 18 || (dot != std::string_view::npos && frac.empty()))
    return std::nullopt;  // at most 18 digits in all: the units fit in int64
  int64_t units = 0;
  for (std::string_view part : {whole, frac})
    for (char c : part) {
      if (c < '0' || c > '9') return std::nullopt;
      units = units * 10 + (c - '0');
    }
  Decimal d{neg ? -units : units, static_cast<int>(frac.size())};
  // Canonical scale: drop trailing fraction zeros.
  while (d.scale > 0 && d.units % 10 == 0) {
    d.units /= 10;
    --d.scale;
  }
  return d;
}

Decimal Line::NetUnitPriceYuan() const {
  // |net fen| / |quantity| in units of 1e-8 yuan: |net| * 10^6 * 10^scale / |units|.
  __int128 net = Split().net_fen, units = quantity.units;
  if (units == 0) return Decimal{0, 0};
  if (net < 0) net = -net;  // a red line: the amount and the quantity are negative, the price is not
  if (units < 0) units = -units;
  __int128 scaled = net * 1000000;
  for (int i = 0; i < quantity.scale; ++i) scaled *= 10;
  __int128 q = scaled / units;
  if ((scaled % units) * 2 >= units) ++q;  // half up
  int scale = 8;
  while (q > INT64_MAX && scale > 0) {  // absurd quantities only: fewer decimals
    q = (q + 5) / 10;
    --scale;
  }
  return Decimal{q > INT64_MAX ? INT64_MAX : static_cast<int64_t>(q), scale};
}

std::string Decimal::ToString() const {
  Decimal c = *this;  // canonical: no trailing fraction zeros
  while (c.scale > 0 && c.units % 10 == 0) {
    c.units /= 10;
    --c.scale;
  }
  return c.Format();
}

std::string Decimal::Format() const {
  bool neg = units < 0;
  std::string digits = std::to_string(neg ? -units : units);
  if (scale > 0) {
    if (digits.size() <= static_cast<size_t>(scale)) digits = std::string(scale + 1 - digits.size(), '0') + digits;
    digits.insert(digits.size() - scale, ".");
  }
  return (neg ? "-" : "") + digits;
}

bool Decimal::operator==(const Decimal& o) const {
  int s = std::max(scale, o.scale);
  return units * Pow10(s - scale) == o.units * Pow10(s - o.scale);
}

Fen Invoice::TotalFen() const {
  Fen t = 0;
  for (const Line& l : lines) t += l.gross_fen;
  return t;
}
Fen Invoice::TaxFen() const {
  Fen t = 0;
  for (const Line& l : lines) t += l.Split().tax_fen;
  return t;
}
Fen Invoice::NetFen() const { return TotalFen() - TaxFen(); }

std::map<TaxRate, RateTotal> Invoice::TotalsByRate() const {
  std::map<TaxRate, RateTotal> out;
  for (const Line& l : lines) {
    VatSplit s = l.Split();
    RateTotal& t = out[l.rate];
    t.gross_fen += l.gross_fen;
    t.net_fen += s.net_fen;
    t.tax_fen += s.tax_fen;
  }
  return out;
}

std::string_view ColorName(Color c) { return c == Color::kBlue ? "blue" : "red"; }

bool IsRedReason(std::string_view code) { return code == "01" || code == "02" || code == "03" || code == "04"; }

std::optional<Problem> ValidateLine(const Line& l, Color color, const std::string& p) {
  if (auto e = CheckText(l.name, p + ".name", true)) return e;
  if (auto e = CheckText(l.spec, p + ".spec", false)) return e;
  if (auto e = CheckText(l.unit, p + ".unit", false)) return e;
  if (l.gross_fen == 0 || l.gross_fen > kMaxAmountFen || l.gross_fen < -kMaxAmountFen)
    return Problem{"invalid_amount", p + ".gross_fen", "a line amount must be non-zero and within the limit"};
  if ((color == Color::kBlue) != (l.gross_fen > 0))
    return Problem{"invalid_amount", p + ".gross_fen",
                   color == Color::kBlue ? "a blue invoice's line amounts are positive"
                                         : "a red invoice's line amounts are negative"};
  if (l.unit_price_fen.units <= 0)
    return Problem{"invalid_amount", p + ".unit_price_fen", "the unit price must be positive"};
  if ((l.quantity.units > 0) != (l.gross_fen > 0))
    return Problem{"invalid_quantity", p + ".quantity", "the quantity must have the sign of the amount"};
  // |q x p - gross| <= 1 fen, exactly: scale everything by 10^(qs + ps).
  int s = l.quantity.scale + l.unit_price_fen.scale;
  __int128 product = static_cast<__int128>(l.quantity.units) * l.unit_price_fen.units;
  __int128 diff = product - static_cast<__int128>(l.gross_fen) * Pow10(s);
  if (diff < 0) diff = -diff;
  if (diff > Pow10(s))
    return Problem{"amount_mismatch", p + ".gross_fen", "quantity x unit price differs from the amount by more than 1 fen"};
  return std::nullopt;
}

std::optional<Problem> Validate(const Invoice& inv) {
  if (!InvoiceNumber::Parse(inv.invoice_no))
    return Problem{"invalid_invoice_no", "invoice_no", "an invoice number has 20 digits"};
  if (auto e = CheckText(inv.seller.name, "seller.name", true)) return e;
  if (!IsValidCreditCode(inv.seller.tax_id))
    return Problem{"invalid_tax_id", "seller.tax_id", DescribeCreditCodeError(CheckCreditCode(inv.seller.tax_id))};
  if (auto e = ValidateBuyer(inv.buyer, "buyer.")) return e;
  if (inv.lines.empty()) return Problem{"missing_field", "items", "an invoice has at least one line"};
  if (inv.lines.size() > kMaxLines) return Problem{"too_many_lines", "items", "an invoice has at most 2000 lines"};
  for (size_t i = 0; i < inv.lines.size(); ++i)
    if (auto e = ValidateLine(inv.lines[i], inv.color, "items[" + std::to_string(i) + "]")) return e;
  Fen total = 0;
  for (const Line& l : inv.lines) {
    total += l.gross_fen;
    if (total > kMaxAmountFen || total < -kMaxAmountFen)
      return Problem{"invalid_amount", "items", "the invoice total is over the limit of 999,999,999,999.99"};
  }
  if (auto e = CheckText(inv.order_id, "order_id", false)) return e;
  if (auto e = CheckText(inv.payment_id, "payment_id", true)) return e;
  if (inv.color == Color::kBlue) {
    if (!inv.original_no.empty() || !inv.red_reason.empty() || !inv.confirmation_id.empty())
      return Problem{"invalid_field", "original_no", "a blue invoice reverses nothing"};
  } else {
    if (!InvoiceNumber::Parse(inv.original_no))
      return Problem{"invalid_invoice_no", "original_no", "a red invoice names the 20-digit number it reverses"};
    if (!IsRedReason(inv.red_reason))
      return Problem{"invalid_reason", "red_reason", "the red-letter reason is 01, 02, 03 or 04"};
    if (auto e = CheckText(inv.confirmation_id, "confirmation_id", false)) return e;
  }
  return std::nullopt;
}

}  // namespace invoice
