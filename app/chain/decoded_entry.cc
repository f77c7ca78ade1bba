#include "app/chain/decoded_entry.h"

namespace app {

DecodedEntry DecodedEntry::Decode(ledger::Bytes bytes) {
  DecodedEntry d;
  d.bytes = std::move(bytes);
  auto entry = ledger::Entry::Decode(d.bytes);
  if (!entry.ok()) {
    d.envelope_problem = entry.status().message();
    return d;
  }
  d.envelope = std::move(*entry);
  d.signature_ok = d.envelope->SignatureValid();
  d.event = invoice::DecodeEvent(d.envelope->kind,
                                 std::string_view(reinterpret_cast<const char*>(d.envelope->payload.data()),
                                                  d.envelope->payload.size()));
  return d;
}

}  // namespace app
