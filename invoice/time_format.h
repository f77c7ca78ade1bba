// Unix milliseconds <-> "2026-11-24T01:30:00.000Z" (RFC 3339, UTC, always milliseconds).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace invoice {

std::string FormatUtcMs(uint64_t ms);
std::optional<uint64_t> ParseUtcMs(std::string_view text);  // only the exact form above
std::string DateOf(uint64_t ms);                            // "2026-11-24"
// For people: the time in China Standard Time (UTC+8, no daylight saving), to the second:
// "2026-11-24 09:30:00".
std::string ChinaDateTime(uint64_t ms);

}  // namespace invoice
