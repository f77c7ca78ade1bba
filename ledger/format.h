// The chain's byte formats, defined once. ledger/README.md "Chain format" is the prose grammar of
// exactly these constants; change one and you change every hash on the chain.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "ledger/suite.h"

namespace ledger::format {

// The magic's last byte names the suite (ledger/suite.h): '1' ed25519-sha256, '2' sm2-sm3.
// A chain holds entries and headers of its own suite only.
//
// Entry envelope:
//   magic | kind_len u8 | kind | submitter_len u8 | submitter | submitter_key[K]
//   | payload_len u32 BE | payload | signature[64]
// ed25519-sha256: magic "EIE1", K = 32 (RFC 8032 key), Ed25519 signature;
// sm2-sm3: magic "EIE2", K = 65 (0x04 || X || Y), SM2 signature r || s.
// The signature is over every byte before it.
inline constexpr uint8_t kEntryMagic[4] = {'E', 'I', 'E', '1'};
inline constexpr uint8_t kEntryMagicSm2[4] = {'E', 'I', 'E', '2'};
inline constexpr size_t kMaxKindLen = 32;
inline constexpr size_t kMaxSubmitterLen = 64;
inline constexpr uint32_t kMaxPayloadLen = 1 << 20;  // 1 MiB
inline constexpr size_t kKeyLen = 32;
inline constexpr size_t kSignatureLen = 64;

// Block header (92 bytes, field order = hashing order):
//   magic | height u64 BE | prev_hash[32] | time_ms u64 BE | tree_size u64 BE | tree_root[32]
// magic "EIB1" (ed25519-sha256) or "EIB2" (sm2-sm3); block_hash = H(header) with the
// suite's hash; the authority's signature (the suite's) is over the header.
inline constexpr uint8_t kBlockMagic[4] = {'E', 'I', 'B', '1'};
inline constexpr uint8_t kBlockMagicSm2[4] = {'E', 'I', 'B', '2'};

inline const uint8_t* EntryMagic(Suite s) { return s == Suite::kSm2Sm3 ? kEntryMagicSm2 : kEntryMagic; }
inline const uint8_t* BlockMagic(Suite s) { return s == Suite::kSm2Sm3 ? kBlockMagicSm2 : kBlockMagic; }
// The suite a magic names: its first three bytes must be `family` ("EIE" or "EIB").
inline std::optional<Suite> SuiteOfMagic(const uint8_t magic[4], const uint8_t family[4]) {
  if (magic[0] != family[0] || magic[1] != family[1] || magic[2] != family[2]) return std::nullopt;
  if (magic[3] == '1') return Suite::kEd25519Sha256;
  if (magic[3] == '2') return Suite::kSm2Sm3;
  return std::nullopt;
}
inline constexpr size_t kHeaderLen = 4 + 8 + 32 + 8 + 8 + 32;

}  // namespace ledger::format
