// An entry as a node receives it, decoded once and passed down: its bytes, the envelope
// (ledger/entry.h), whether the signature holds, and the lifecycle event it carries (or why
// it does not decode). The authority decodes each submitted entry on the request's thread,
// before the sealing lock, and every later step (the checks, a retried apply's grant, the
// audit record of a refusal) reads this instead of decoding again.
#pragma once

#include <optional>
#include <string>
#include <variant>

#include "invoice/event_codec.h"
#include "ledger/entry.h"

namespace app {

struct DecodedEntry {
  ledger::Bytes bytes;
  std::optional<ledger::Entry> envelope;  // nullopt: not a canonical envelope
  std::string envelope_problem;           // why not
  bool signature_ok = false;              // the envelope's signature verifies (Ed25519)
  std::optional<std::variant<invoice::Event, invoice::Problem>> event;  // with the envelope

  // Decodes `bytes`, verifying the signature.
  static DecodedEntry Decode(ledger::Bytes bytes);
  // The event, if the envelope and the payload both decode.
  const invoice::Event* Event() const {
    return event ? std::get_if<invoice::Event>(&*event) : nullptr;
  }
};

}  // namespace app
