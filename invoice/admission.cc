#include "invoice/admission.h"

#include "invoice/time_format.h"

namespace invoice {

uint64_t EventTime(const Event& event) {
  if (auto* i = std::get_if<IssueEvent>(&event)) return i->invoice.issued_at_ms;
  return std::visit(
      [](const auto& e) -> uint64_t {
        if constexpr (requires { e.meta; }) return e.meta.time_ms;
        else return 0;
      },
      event);
}

std::optional<Verdict> CheckEventTime(const Event& event, uint64_t block_time_ms, const TimeLimits& limits) {
  const uint64_t t = EventTime(event);
  const bool field_is_issue_time = std::holds_alternative<IssueEvent>(event);
  const std::string field = field_is_issue_time ? "issued_at" : "time";
  auto refuse = [&](std::string why) {
    Verdict v;
    v.refusal = Refusal::kTimeOutOfRange;
    v.message = "the event is dated " + FormatUtcMs(t) + ", " + why + " (sealing at " + FormatUtcMs(block_time_ms) + ")";
    v.field = field;
    return v;
  };
  if (t > block_time_ms + limits.skew_ms) return refuse("later than the clocks may differ");
  const bool as_it_happens = std::holds_alternative<ReimburseEvent>(event) || std::holds_alternative<ConfirmEvent>(event);
  const uint64_t age = as_it_happens ? limits.skew_ms : limits.max_age_ms;
  if (t + age < block_time_ms)
    return refuse(as_it_happens ? "earlier than the clocks may differ (it is sent as it happens)"
                                : "older than the authority accepts");
  return std::nullopt;
}

}  // namespace invoice
