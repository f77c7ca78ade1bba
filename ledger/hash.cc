#include "ledger/hash.h"

#include <openssl/evp.h>

#include <memory>
#include <stdexcept>

namespace ledger {
namespace {

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

// One digest context per thread, reused: allocating a context per hash costs more than
// hashing a 64-byte node.
EVP_MD_CTX* ThreadCtx() {
  thread_local std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  return ctx.get();
}

// Fetched once: fetching per hash costs a provider lookup.
const EVP_MD* Md(Suite s) {
  static const EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  static const EVP_MD* sm3 = EVP_MD_fetch(nullptr, "SM3", nullptr);
  return s == Suite::kSm2Sm3 ? sm3 : sha256;
}

Hash Digest(Suite suite, std::initializer_list<ByteView> parts) {
  EVP_MD_CTX* ctx = ThreadCtx();
  const EVP_MD* md = Md(suite);
  Hash h;
  unsigned int len = 0;
  if (ctx == nullptr || md == nullptr || EVP_DigestInit_ex(ctx, md, nullptr) != 1)
    throw std::runtime_error("OpenSSL " + std::string(SuiteName(suite)) + " digest unavailable");
  for (ByteView p : parts) EVP_DigestUpdate(ctx, p.data(), p.size());
  EVP_DigestFinal_ex(ctx, h.bytes.data(), &len);
  return h;
}

int HexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string Hash::Hex() const { return ToHex(View()); }

Hash Sha256(ByteView data) { return Digest(Suite::kEd25519Sha256, {data}); }
Hash Sm3(ByteView data) { return Digest(Suite::kSm2Sm3, {data}); }
Hash ChainHash(ByteView data) { return Digest(ActiveSuite(), {data}); }

Hash LeafHash(ByteView entry) {
  static const uint8_t kLeafPrefix = 0x00;
  return Digest(ActiveSuite(), {ByteView(&kLeafPrefix, 1), entry});
}

Hash NodeHash(const Hash& left, const Hash& right) {
  static const uint8_t kNodePrefix = 0x01;
  return Digest(ActiveSuite(), {ByteView(&kNodePrefix, 1), left.View(), right.View()});
}

Hash EmptyRoot() { return ChainHash(ByteView()); }

std::string ToHex(ByteView data) {
  static const char* kDigits = "0123456789abcdef";
  std::string out(data.size() * 2, '0');
  for (size_t i = 0; i < data.size(); ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0x0f];
  }
  return out;
}

std::optional<Bytes> FromHex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  Bytes out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = HexVal(hex[2 * i]), lo = HexVal(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return out;
}

std::optional<Hash> HashFromHex(std::string_view hex) {
  auto b = FromHex(hex);
  if (!b || b->size() != 32) return std::nullopt;
  Hash h;
  std::copy(b->begin(), b->end(), h.bytes.begin());
  return h;
}

std::string ToBase64(ByteView data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data.data(),
                          static_cast<int>(data.size()));
  out.resize(n);
  return out;
}

std::optional<Bytes> FromBase64(std::string_view b64) {
  if (b64.size() % 4 != 0) return std::nullopt;
  Bytes out(b64.size() / 4 * 3);
  int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(b64.data()),
                          static_cast<int>(b64.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts padding bytes as output; strip them.
  size_t pad = 0;
  if (!b64.empty() && b64.back() == '=') ++pad;
  if (b64.size() > 1 && b64[b64.size() - 2] == '=') ++pad;
  out.resize(static_cast<size_t>(n) - pad);
  // Reject non-canonical input (e.g. garbage bits in the last character).
  if (ToBase64(out) != b64) return std::nullopt;
  return out;
}

}  // namespace ledger
