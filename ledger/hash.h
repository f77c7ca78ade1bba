// SHA-256 hashes and the RFC 9162 domain-separated tree hashes, through OpenSSL EVP.
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

namespace ledger {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

struct Hash {
  std::array<uint8_t, 32> bytes{};
  bool operator==(const Hash&) const = default;
  std::string Hex() const;
  ByteView View() const { return ByteView(bytes.data(), bytes.size()); }
};

Hash Sha256(ByteView data);
Hash LeafHash(ByteView entry);                      // SHA-256(0x00 || entry)
Hash NodeHash(const Hash& left, const Hash& right); // SHA-256(0x01 || left || right)
Hash EmptyRoot();                                   // SHA-256("") for the empty tree

std::string ToHex(ByteView data);
std::optional<Bytes> FromHex(std::string_view hex);
std::optional<Hash> HashFromHex(std::string_view hex);
std::string ToBase64(ByteView data);
std::optional<Bytes> FromBase64(std::string_view b64);

inline ByteView AsBytes(std::string_view s) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

}  // namespace ledger
