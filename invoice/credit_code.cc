#include "invoice/credit_code.h"

namespace invoice {
namespace {

// GB 32100-2015 §4.2: digits and upper-case letters without I, O, Z, S, V.
constexpr std::string_view kCharset = "0123456789ABCDEFGHJKLMNPQRTUWXY";
constexpr int kWeights[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};

int ValueOf(char c) {
  size_t p = kCharset.find(c);
  return p == std::string_view::npos ? -1 : static_cast<int>(p);
}

}  // namespace

char CreditCodeCheckChar(std::string_view first17) {
  int sum = 0;
  for (size_t i = 0; i < 17 && i < first17.size(); ++i) sum += ValueOf(first17[i]) * kWeights[i];
  int c = 31 - sum % 31;
  return kCharset[c == 31 ? 0 : c];
}

CreditCodeError CheckCreditCode(std::string_view code) {
  if (code.size() != 18) return CreditCodeError::kLength;
  for (char c : code)
    if (ValueOf(c) < 0) return CreditCodeError::kCharset;
  for (size_t i = 2; i < 8; ++i)
    if (code[i] < '0' || code[i] > '9') return CreditCodeError::kRegion;
  if (CreditCodeCheckChar(code.substr(0, 17)) != code[17]) return CreditCodeError::kCheckCharacter;
  return CreditCodeError::kOk;
}

std::string DescribeCreditCodeError(CreditCodeError e) {
  switch (e) {
    case CreditCodeError::kOk: return "valid";
    case CreditCodeError::kLength: return "a unified social credit code has 18 characters";
    case CreditCodeError::kCharset: return "a unified social credit code uses 0-9 and A-Y without I, O, S, V, Z";
    case CreditCodeError::kRegion: return "characters 3 to 8 of a unified social credit code are a region code (digits)";
    case CreditCodeError::kCheckCharacter: return "the check character (18th) of the unified social credit code is wrong";
  }
  return "invalid";
}

}  // namespace invoice
