// Unified social credit codes (统一社会信用代码, GB 32100-2015): 18 characters from a
// 31-character set, the 6-digit administrative region at positions 3-8, and a check
// character over the first 17.
#pragma once

#include <string>
#include <string_view>

namespace invoice {

enum class CreditCodeError { kOk, kLength, kCharset, kRegion, kCheckCharacter };

CreditCodeError CheckCreditCode(std::string_view code);
inline bool IsValidCreditCode(std::string_view code) { return CheckCreditCode(code) == CreditCodeError::kOk; }
// The check character for the first 17 characters (which must be in the charset).
char CreditCodeCheckChar(std::string_view first17);
std::string DescribeCreditCodeError(CreditCodeError e);

}  // namespace invoice
