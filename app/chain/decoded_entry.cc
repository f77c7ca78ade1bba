#include "app/chain/decoded_entry.h"

#include <algorithm>
#include <thread>

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

std::vector<DecodedEntry> DecodedEntry::DecodeAll(std::vector<ledger::Bytes> batch) {
  std::vector<DecodedEntry> out(batch.size());
  const size_t threads = batch.size() < kParallelFrom ? 1 : std::max(1u, std::thread::hardware_concurrency());
  auto part = [&](size_t first) {
    for (size_t i = first; i < batch.size(); i += threads) out[i] = Decode(std::move(batch[i]));
  };
  std::vector<std::thread> helpers;
  for (size_t t = 1; t < threads; ++t) helpers.emplace_back(part, t);
  part(0);
  for (std::thread& h : helpers) h.join();
  return out;
}

}  // namespace app
