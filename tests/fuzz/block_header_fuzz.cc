// The 92-byte block header (ledger::BlockHeader::Decode), read from binary pages, X-Node-Head
// and signed head files. Fixed-width and canonical: an accepted header re-encodes to itself.
#include <algorithm>

#include "ledger/block.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto header = ledger::BlockHeader::Decode(ledger::ByteView(data, size));
  if (!header.ok()) return 0;
  ledger::Bytes again = header->Encode();
  FUZZ_CHECK(again.size() == size && std::equal(again.begin(), again.end(), data));
  FUZZ_CHECK(ledger::BlockHeader::Decode(again).ok() && *ledger::BlockHeader::Decode(again) == *header);
  (void)header->BlockHash();
  return 0;
}
