#include "invoice/money.h"

#include <array>
#include <charconv>

namespace invoice {
namespace {

constexpr std::array<int, 6> kAllowedPercents = {13, 9, 6, 3, 1, 0};

}  // namespace

std::optional<TaxRate> TaxRate::FromPercent(int percent) {
  for (int p : kAllowedPercents)
    if (p == percent) return TaxRate(p);
  return std::nullopt;
}

std::optional<TaxRate> TaxRate::Parse(std::string_view text) {
  for (int p : kAllowedPercents)
    if (TaxRate(p).ToString() == text) return TaxRate(p);
  if (text == "0.00") return TaxRate(0);
  return std::nullopt;
}

std::string TaxRate::ToString() const {
  if (percent_ == 0) return "0";
  std::string s = "0.";
  s += static_cast<char>('0' + percent_ / 10);
  s += static_cast<char>('0' + percent_ % 10);
  return s;
}

VatSplit SplitGross(Fen gross_fen, TaxRate rate) {
  bool negative = gross_fen < 0;
  // |gross| is bounded by the caller's amount limit (well under 2^53), so gross * 200 fits.
  __int128 g = negative ? -static_cast<__int128>(gross_fen) : gross_fen;
  __int128 num = g * rate.percent();
  __int128 den = 100 + rate.percent();
  Fen tax = static_cast<Fen>((2 * num + den) / (2 * den));  // round half up
  if (negative) tax = -tax;
  return VatSplit{gross_fen - tax, tax};
}

std::string FormatYuan(Fen fen) {
  bool negative = fen < 0;
  unsigned __int128 m = negative ? -static_cast<__int128>(fen) : fen;
  std::string digits = std::to_string(static_cast<uint64_t>(m / 100));
  int cents = static_cast<int>(m % 100);
  std::string out = negative ? "-" : "";
  out += digits;
  out += '.';
  out += static_cast<char>('0' + cents / 10);
  out += static_cast<char>('0' + cents % 10);
  return out;
}

std::optional<Fen> ParseYuan(std::string_view text) {
  size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  if (whole.empty() || whole.size() > 15 || frac.size() > 2 || (dot != std::string_view::npos && frac.empty()))
    return std::nullopt;
  for (char c : whole) if (c < '0' || c > '9') return std::nullopt;
  for (char c : frac) if (c < '0' || c > '9') return std::nullopt;
  Fen yuan = 0;
  std::from_chars(whole.data(), whole.data() + whole.size(), yuan);
  Fen cents = 0;
  for (size_t i = 0; i < 2; ++i) cents = cents * 10 + (i < frac.size() ? frac[i] - '0' : 0);
  return yuan * 100 + cents;
}

}  // namespace invoice
