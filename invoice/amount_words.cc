#include "invoice/amount_words.h"

namespace invoice {
namespace {

const char* const kDigits[] = {"零", "壹", "贰", "叁", "肆", "伍", "陆", "柒", "捌", "玖"};
const char* const kUnits[] = {"", "拾", "佰", "仟"};
const char* const kSections[] = {"", "万", "亿"};

// The whole-yuan part (yuan > 0). A zero digit, or a run of them, between non-zero digits
// is written once as 零 (also across 万 and 亿); trailing zeros are not written; a section
// (万, 亿) is named only if one of its digits is non-zero.
std::string YuanWords(uint64_t yuan) {
  std::string digits = std::to_string(yuan), out;
  bool zero_pending = false, section_nonzero = false;
  for (size_t i = 0; i < digits.size(); ++i) {
    size_t pos = digits.size() - 1 - i;
    int d = digits[i] - '0';
    if (d == 0) {
      zero_pending = true;
    } else {
      if (zero_pending) out += kDigits[0];
      zero_pending = false;
      out += kDigits[d];
      out += kUnits[pos % 4];
      section_nonzero = true;
    }
    if (pos % 4 == 0 && pos > 0) {
      if (section_nonzero) out += kSections[pos / 4];
      section_nonzero = false;
    }
  }
  return out;
}

}  // namespace

std::optional<std::string> AmountInWords(Fen fen) {
  if (fen < -kMaxAmountFen || fen > kMaxAmountFen) return std::nullopt;
  if (fen == 0) return "零元整";
  std::string out = fen < 0 ? "负" : "";
  uint64_t m = static_cast<uint64_t>(fen < 0 ? -fen : fen);
  uint64_t yuan = m / 100;
  int jiao = static_cast<int>(m / 10 % 10), fen_digit = static_cast<int>(m % 10);
  if (yuan > 0) out += YuanWords(yuan) + "元";
  if (jiao == 0 && fen_digit == 0) return out + "整";
  if (jiao > 0) {
    out += kDigits[jiao];
    out += "角";
  } else if (yuan > 0) {
    out += kDigits[0];  // 角 is zero and 分 is not: 零 after 元 is required
  }
  if (fen_digit > 0) {
    out += kDigits[fen_digit];
    out += "分";
  }
  return out;
}

}  // namespace invoice
