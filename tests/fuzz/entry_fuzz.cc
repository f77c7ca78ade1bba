// The entry envelope (ledger::Entry::Decode), as the authority reads it from POST /v1/events
// and every node from the chain. Decode accepts only canonical bytes, so whatever it accepts
// must encode back to exactly the input.
#include <algorithm>

#include "ledger/entry.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto entry = ledger::Entry::Decode(ledger::ByteView(data, size));
  if (!entry.ok()) return 0;
  ledger::Bytes again = entry->Encode();
  FUZZ_CHECK(again.size() == size && std::equal(again.begin(), again.end(), data));
  FUZZ_CHECK(ledger::Entry::CheckFields(entry->kind, entry->submitter, entry->payload.size()).ok());
  // The authority checks the signature next: any key and signature bytes must be safe to try.
  (void)entry->SignatureValid();
  return 0;
}
