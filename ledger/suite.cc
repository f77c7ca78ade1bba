#include "ledger/suite.h"

#include <atomic>

namespace ledger {
namespace {

std::atomic<Suite> g_suite{kDefaultSuite};

}  // namespace

std::string_view SuiteName(Suite s) { return s == Suite::kSm2Sm3 ? "sm2-sm3" : "ed25519-sha256"; }

std::optional<Suite> ParseSuite(std::string_view name) {
  if (name == "ed25519-sha256") return Suite::kEd25519Sha256;
  if (name == "sm2-sm3") return Suite::kSm2Sm3;
  return std::nullopt;
}

Suite ActiveSuite() { return g_suite.load(std::memory_order_relaxed); }
void UseSuite(Suite s) { g_suite.store(s, std::memory_order_relaxed); }

Status SuiteMismatch(std::string_view what, Suite theirs) {
  return Status::InvalidArgument(std::string(what) + " is " + std::string(SuiteName(theirs)) +
                                 ", this node's chain is " + std::string(SuiteName(ActiveSuite())));
}

}  // namespace ledger
