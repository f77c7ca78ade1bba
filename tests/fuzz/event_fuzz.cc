// Event payloads (invoice::DecodeEvent), the canonical XML inside every entry. The first
// input byte picks the entry kind, the rest is the payload. Decode accepts only canonical
// bytes: an accepted payload re-encodes to exactly itself, under its own kind.
#include <string>

#include "invoice/event_codec.h"
#include "tests/fuzz/fuzz_check.h"

namespace {
// Every kind the chain knows, and one it does not (the decoder must refuse it cleanly).
constexpr std::string_view kKinds[] = {"register", "apply", "issue", "reimburse", "confirm", "file", "bogus"};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view kind = kKinds[data[0] % std::size(kKinds)];
  std::string_view payload = fuzz::AsText(data + 1, size - 1);
  auto decoded = invoice::DecodeEvent(kind, payload);
  auto* event = std::get_if<invoice::Event>(&decoded);
  if (!event) return 0;
  FUZZ_CHECK(invoice::EventKind(*event) == kind);
  FUZZ_CHECK(invoice::EncodeEvent(*event) == payload);
  return 0;
}
