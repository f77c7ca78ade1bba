#include "invoice/time_format.h"

#include <chrono>
#include <cstdio>

namespace invoice {

using namespace std::chrono;

std::string FormatUtcMs(uint64_t ms) {
  sys_days day = floor<days>(sys_time<milliseconds>(milliseconds(ms)));
  year_month_day ymd(day);
  uint64_t in_day = ms - static_cast<uint64_t>(duration_cast<milliseconds>(day.time_since_epoch()).count());
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02u:%02u:%02u.%03uZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<unsigned>(in_day / 3600000), static_cast<unsigned>(in_day / 60000 % 60),
                static_cast<unsigned>(in_day / 1000 % 60), static_cast<unsigned>(in_day % 1000));
  return buf;
}

std::string DateOf(uint64_t ms) { return FormatUtcMs(ms).substr(0, 10); }

std::string ChinaDateTime(uint64_t ms) {
  std::string utc = FormatUtcMs(ms + 8ull * 3600 * 1000);  // China Standard Time is UTC+8 all year
  return utc.substr(0, 10) + " " + utc.substr(11, 8);
}

std::optional<uint64_t> ParseUtcMs(std::string_view t) {
  if (t.size() != 24 || t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' || t[16] != ':' || t[19] != '.' ||
      t[23] != 'Z')
    return std::nullopt;
  auto num = [&](size_t pos, size_t len) -> int {
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (t[i] < '0' || t[i] > '9') return -1;
      v = v * 10 + (t[i] - '0');
    }
    return v;
  };
  int y = num(0, 4), mo = num(5, 2), d = num(8, 2), h = num(11, 2), mi = num(14, 2), s = num(17, 2), ms = num(20, 3);
  if (y < 1970 || mo < 1 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59 || ms < 0) return std::nullopt;
  year_month_day ymd{year(y), month(static_cast<unsigned>(mo)), day(static_cast<unsigned>(d))};
  if (!ymd.ok()) return std::nullopt;
  int64_t day_ms = duration_cast<milliseconds>(sys_days(ymd).time_since_epoch()).count();
  return static_cast<uint64_t>(day_ms) + ((h * 60 + mi) * 60 + s) * 1000ull + static_cast<uint64_t>(ms);
}

}  // namespace invoice
