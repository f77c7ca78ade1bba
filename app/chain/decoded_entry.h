// An entry as a node receives it, decoded once and passed down: its bytes, the envelope
// (ledger/entry.h), whether the signature holds, and the lifecycle event it carries (or why
// it does not decode). The authority decodes each submitted entry on the request's thread,
// before the sealing lock, and every later step (the checks, a retried apply's grant, the
// audit record of a refusal) reads this instead of decoding again.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "invoice/event_codec.h"
#include "ledger/entry.h"

namespace app {

struct DecodedEntry {
  ledger::Bytes bytes;
  std::optional<ledger::Entry> envelope;  // nullopt: not a canonical envelope
  std::string envelope_problem;           // why not
  bool signature_ok = false;              // the envelope's signature verifies (the chain's suite)
  std::optional<std::variant<invoice::Event, invoice::Problem>> event;  // with the envelope

  // Decodes `bytes`, verifying the signature.
  static DecodedEntry Decode(ledger::Bytes bytes);
  // A batch, in order; from kParallelFrom entries on every core, so that a merchant's queue
  // arriving as one request does not verify on one core (an SM2 verification costs several
  // Ed25519 ones: app/bench/README.md).
  static std::vector<DecodedEntry> DecodeAll(std::vector<ledger::Bytes> batch);
  static constexpr size_t kParallelFrom = 32;
  // The event, if the envelope and the payload both decode.
  const invoice::Event* Event() const {
    return event ? std::get_if<invoice::Event>(&*event) : nullptr;
  }
};

}  // namespace app
