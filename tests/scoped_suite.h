// For known-answer tests of one suite: runs the scope on `suite` whatever EINVOICE_SUITE says
// (tests/suite_main.cc), and restores the process's suite after it.
#pragma once

#include "ledger/suite.h"

namespace testing_suite {

class ScopedSuite {
 public:
  explicit ScopedSuite(ledger::Suite suite) : old_(ledger::ActiveSuite()) { ledger::UseSuite(suite); }
  ~ScopedSuite() { ledger::UseSuite(old_); }
  ScopedSuite(const ScopedSuite&) = delete;
  ScopedSuite& operator=(const ScopedSuite&) = delete;

 private:
  ledger::Suite old_;
};

}  // namespace testing_suite
