// The one seam between errors as values and app/'s exceptions. The domain libraries return
// ledger::Status and ledger::Result<T>; where app/ cannot handle a failure it becomes a
// std::runtime_error naming what failed (a route answers it 500 and logs it, a CLI verb
// prints it, the node's start stops with it). Refusals a client caused are ApiErrors,
// raised where the input is read, never here.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "ledger/status.h"

namespace app {

// Throws std::runtime_error("<context>: <status>") unless `s` is ok.
inline void OrThrow(const ledger::Status& s, std::string_view context = {}) {
  if (s.ok()) return;
  throw std::runtime_error(context.empty() ? s.ToString() : std::string(context) + ": " + s.ToString());
}
template <typename T>
void OrThrow(const ledger::Result<T>& r, std::string_view context = {}) {
  OrThrow(r.status(), context);
}
// The value of `r`, or the throw above.
template <typename T>
T ValueOrThrow(ledger::Result<T>&& r, std::string_view context = {}) {
  OrThrow(r.status(), context);
  return std::move(r).value();
}

}  // namespace app
