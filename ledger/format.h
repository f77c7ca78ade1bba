// The chain's byte formats, defined once. ledger/README.md "Chain format" is the prose grammar of
// exactly these constants; change one and you change every hash on the chain.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ledger::format {

// Entry envelope:
//   magic "EIE1" | kind_len u8 | kind | submitter_len u8 | submitter | submitter_key[32]
//   | payload_len u32 BE | payload | signature[64]
// The signature is Ed25519 over every byte before it.
inline constexpr uint8_t kEntryMagic[4] = {'E', 'I', 'E', '1'};
inline constexpr size_t kMaxKindLen = 32;
inline constexpr size_t kMaxSubmitterLen = 64;
inline constexpr uint32_t kMaxPayloadLen = 1 << 20;  // 1 MiB
inline constexpr size_t kKeyLen = 32;
inline constexpr size_t kSignatureLen = 64;

// Block header (92 bytes, field order = hashing order):
//   magic "EIB1" | height u64 BE | prev_hash[32] | time_ms u64 BE | tree_size u64 BE
//   | tree_root[32]
// block_hash = SHA-256(header); the authority's Ed25519 signature is over the header.
inline constexpr uint8_t kBlockMagic[4] = {'E', 'I', 'B', '1'};
inline constexpr size_t kHeaderLen = 4 + 8 + 32 + 8 + 8 + 32;

}  // namespace ledger::format
