// An entry: the canonical envelope a node signs and the authority seals unchanged. The
// ledger treats `kind` and `payload` as opaque; the invoice domain gives them meaning.
// Decode() accepts only canonical bytes, so Encode(Decode(b)) == b for every accepted b.
#pragma once

#include <string>

#include "ledger/hash.h"
#include "ledger/keys.h"
#include "ledger/status.h"

namespace ledger {

struct Entry {
  std::string kind;        // 1..32 of [a-z0-9_.]
  std::string submitter;   // 1..64 of [0-9A-Za-z_.-]: a tax id, or "authority"
  PublicKeyBytes submitter_key{};
  Bytes payload;           // at most 1 MiB
  SignatureBytes signature{};

  // The bytes the signature covers: the envelope without its last 64 bytes.
  Bytes SignedPart() const;
  Bytes Encode() const;
  bool SignatureValid() const;

  // Builds and signs an entry with `key` (whose public half becomes submitter_key).
  static Result<Entry> Make(std::string kind, std::string submitter, Bytes payload,
                            const PrivateKey& key);
  static Result<Entry> Decode(ByteView bytes);
  static Status CheckFields(const std::string& kind, const std::string& submitter, size_t payload_len);
};

}  // namespace ledger
