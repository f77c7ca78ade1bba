// The chain's hash (SHA-256 or SM3, by the active suite: ledger/suite.h) and the RFC 9162
// domain-separated tree hashes over it, through OpenSSL EVP. Both digests are 32 bytes.
//
// WARNING: the 0x00 / 0x01 prefixes are what stop a second-preimage attack in which an
// interior node (64 bytes: left || right) is passed off as a leaf entry. Never hash a leaf
// or a node without its prefix. Functions are thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/suite.h"

namespace ledger {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

struct Hash {
  std::array<uint8_t, 32> bytes{};
  bool operator==(const Hash&) const = default;
  std::string Hex() const;
  ByteView View() const { return ByteView(bytes.data(), bytes.size()); }
};

Hash Sha256(ByteView data);  // always SHA-256: local files, tokens, key IDs of signed notes
Hash Sm3(ByteView data);     // always SM3
// H is the active suite's hash: SHA-256 (ed25519-sha256) or SM3 (sm2-sm3).
Hash ChainHash(ByteView data);                      // H(data): block hashes, request digests
Hash LeafHash(ByteView entry);                      // H(0x00 || entry)
Hash NodeHash(const Hash& left, const Hash& right); // H(0x01 || left || right)
Hash EmptyRoot();                                   // H("") for the empty tree

std::string ToHex(ByteView data);
std::optional<Bytes> FromHex(std::string_view hex);
std::optional<Hash> HashFromHex(std::string_view hex);
std::string ToBase64(ByteView data);
std::optional<Bytes> FromBase64(std::string_view b64);

inline ByteView AsBytes(std::string_view s) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

}  // namespace ledger
