// Amounts in words on invoices and cheques (中文大写金额), by the PBOC's rules for filling in
// payment documents: 零壹贰叁肆伍陆柒捌玖, 拾佰仟万亿, 元角分, 整 after whole yuan.
#pragma once

#include <optional>
#include <string>

#include "invoice/money.h"

namespace invoice {

// The largest amount the platform accepts on one invoice: 999,999,999,999.99 yuan.
inline constexpr Fen kMaxAmountFen = 99'999'999'999'999;

// e.g. 140950 -> 壹仟肆佰零玖元伍角; 10000 -> 壹佰元整; 1640902 -> 壹万陆仟肆佰零玖元零贰分.
// A negative amount (a red invoice) gets the prefix 负. Nothing beyond kMaxAmountFen.
std::optional<std::string> AmountInWords(Fen fen);

}  // namespace invoice
