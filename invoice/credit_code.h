// Unified social credit codes (统一社会信用代码, GB 32100-2015): 18 characters from a
// 31-character set: the registration authority (1st), the kind of organisation within it
// (2nd), the registration authority's GB/T 2260 region (3rd-8th), the organisation code
// (9th-17th) and a check character over the first 17.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace invoice {

enum class CreditCodeError { kOk, kLength, kCharset, kAuthority, kKind, kRegion, kCheckCharacter };

CreditCodeError CheckCreditCode(std::string_view code);
inline bool IsValidCreditCode(std::string_view code) { return CheckCreditCode(code) == CreditCodeError::kOk; }
// The check character for the first 17 characters (which must be in the charset).
char CreditCodeCheckChar(std::string_view first17);
// An English sentence naming the part of the code that is wrong (for APIs and logs).
std::string DescribeCreditCodeError(CreditCodeError e);
// A short stable name of the error, for message catalogs: "length", "charset", "authority",
// "kind", "region", "check_character" ("ok" for kOk).
std::string_view CreditCodeErrorName(CreditCodeError e);
// The name of a GB/T 2260 region ("440300" -> "深圳市"), if the code is one.
std::optional<std::string_view> RegionName(std::string_view six_digits);

}  // namespace invoice
