// What the authority asks of an event before it seals it, beyond the lifecycle's rules:
// that the event is of its time. A captured claim or settlement sent again days later, an
// invoice dated 2099 or years back, is refused. Not applied when a chain is replayed: the
// rules decide what may be sealed, not what was.
#pragma once

#include <cstdint>
#include <optional>

#include "invoice/lifecycle.h"

namespace invoice {

struct TimeLimits {
  uint64_t skew_ms = 5 * 60 * 1000;             // clocks may differ this much either way
  uint64_t max_age_ms = 72ull * 3600 * 1000;    // issue, apply, file: queued during an outage
};

// The time an event carries: the invoice's issue time, or the event's own (EventMeta).
uint64_t EventTime(const Event& event);

// Refusal::kTimeOutOfRange if `event` is dated after `block_time_ms` plus the skew, or, for
// claims, settlements, releases and confirmations (sent as they happen), before it minus the
// skew; for the others, before it minus max_age. nullopt when its time is fine.
std::optional<Verdict> CheckEventTime(const Event& event, uint64_t block_time_ms, const TimeLimits& limits);

}  // namespace invoice
