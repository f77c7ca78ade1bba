#include "app/filing/filing_body.h"

#include "app/http/api_error.h"
#include "app/http/json_body.h"
#include "invoice/lifecycle.h"
#include "invoice/time_format.h"
#include "invoice/ubl.h"

namespace app {

using Poco::JSON::Object;

FilingBody FilingFromJson(const Object::Ptr& body) {
  FilingBody b;
  b.period = RequireString(body, "period");
  b.amends = body->has("amends") ? RequireString(body, "amends") : "";
  if (!invoice::ValidPeriod(b.period))
    throw ApiError(422, "invalid_period", "period is a month (2026-10) or a quarter (2026-Q4)", "period");
  return b;
}

bool PeriodIsOver(const std::string& period, uint64_t now_ms) {
  std::string today = invoice::ChinaDate(now_ms).substr(0, 7);  // YYYY-MM
  int year = std::stoi(period.substr(0, 4));
  int last_month = period[5] == 'Q' ? (period[6] - '0') * 3 : std::stoi(period.substr(5, 2));
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04d-%02d", year, last_month);
  return today > std::string(buf);
}

}  // namespace app
