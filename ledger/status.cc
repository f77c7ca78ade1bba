#include "ledger/status.h"

namespace ledger {

std::string Status::ToString() const {
  const char* name = "ok";
  switch (code_) {
    case Code::kOk: return "ok";
    case Code::kInvalidArgument: name = "invalid argument"; break;
    case Code::kCorruption: name = "corruption"; break;
    case Code::kNotFound: name = "not found"; break;
    case Code::kIOError: name = "I/O error"; break;
    case Code::kConflict: name = "conflict"; break;
  }
  return std::string(name) + ": " + message_;
}

}  // namespace ledger
