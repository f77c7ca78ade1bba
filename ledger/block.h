// A block header: the few fields the authority signs to commit to the whole history. The
// header bytes are fixed-width (format.h); block_hash = SHA-256(header bytes).
#pragma once

#include <cstdint>

#include "ledger/hash.h"
#include "ledger/keys.h"
#include "ledger/status.h"

namespace ledger {

struct BlockHeader {
  uint64_t height = 0;   // 0 is the genesis block, which seals no entries
  Hash prev_hash;        // all zero for the genesis block
  uint64_t time_ms = 0;  // Unix time in milliseconds, never decreasing along the chain
  uint64_t tree_size = 0;  // entries ever sealed, this block included
  Hash tree_root;        // RFC 9162 root over those entries

  Bytes Encode() const;
  Hash BlockHash() const;
  static Result<BlockHeader> Decode(ByteView bytes);
  bool operator==(const BlockHeader&) const = default;
};

struct SignedHeader {
  BlockHeader header;
  SignatureBytes signature{};
  bool SignatureValid(const PublicKeyBytes& authority) const;
};

SignedHeader SignHeader(const BlockHeader& header, const PrivateKey& authority);

}  // namespace ledger
