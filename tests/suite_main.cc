// The tests' main: runs them on the suite EINVOICE_SUITE names (ed25519-sha256 when unset), so
// that CTest runs every test of the chain once per suite (tests/CMakeLists.txt). Processes the
// tests start read it too (the append child) or are configured with it (chain.suite).
#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>

#include "ledger/suite.h"

int main(int argc, char** argv) {
  if (const char* name = std::getenv("EINVOICE_SUITE"); name != nullptr && *name != '\0') {
    std::optional<ledger::Suite> suite = ledger::ParseSuite(name);
    if (!suite) {
      std::cerr << "EINVOICE_SUITE must be ed25519-sha256 or sm2-sm3, not '" << name << "'\n";
      return 2;
    }
    ledger::UseSuite(*suite);
  }
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
