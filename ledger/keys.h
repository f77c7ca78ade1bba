// Signing keys of the chain's suite (ledger/suite.h) through OpenSSL EVP: Ed25519 or SM2.
// The authority signs block headers with one, every node signs its entries with one. A
// PrivateKey is immutable once loaded, and signing and verifying are thread-safe (each call
// uses its own EVP context).
//
// Raw forms, as the chain stores them:
//   Ed25519  public key 32 bytes (RFC 8032), signature 64 bytes (RFC 8032)
//   SM2      public key 65 bytes (0x04 || X || Y, SEC 1 uncompressed), signature 64 bytes
//            r || s (each 32 bytes big-endian; the DER form OpenSSL makes, decoded), over
//            SM3 with the distinguishing ID kSm2DistId (GB/T 32918.2: e = SM3(Z_A || M))
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ledger/hash.h"
#include "ledger/status.h"
#include "ledger/suite.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace ledger {

using PublicKeyBytes = Bytes;                    // raw public key: 32 (Ed25519) or 65 (SM2) bytes
using SignatureBytes = std::array<uint8_t, 64>;  // raw signature: Ed25519, or SM2's r || s

inline constexpr size_t kEd25519KeyLen = 32;
inline constexpr size_t kSm2KeyLen = 65;
size_t PublicKeyLen(Suite s);
// The suite a raw public key belongs to, by its form (nullopt: neither).
std::optional<Suite> SuiteOfKey(ByteView key);

class PrivateKey {
 public:
  static Result<PrivateKey> Generate(Suite suite = ActiveSuite());
  // A PKCS#8 PEM key of either suite (see suite()).
  static Result<PrivateKey> FromPem(const std::string& pem);
  static Result<PrivateKey> LoadPemFile(const std::string& path);
  // Deterministic key from a 32-byte seed; for tests and benchmarks only. Ed25519: the seed
  // is the RFC 8032 private key; SM2: d = SM3(seed) mod (n - 2) + 1.
  static Result<PrivateKey> FromSeed(const std::array<uint8_t, 32>& seed, Suite suite = ActiveSuite());

  std::string ToPem() const;            // PKCS#8 PEM
  std::string PublicPem() const;        // SubjectPublicKeyInfo PEM
  const PublicKeyBytes& public_key() const { return public_key_; }
  Suite suite() const { return suite_; }
  // Signs with the key's own suite; an all-zero signature (which never verifies) on failure.
  SignatureBytes Sign(ByteView message) const;
  // The same for the active suite's chain: refuses a key of the other suite, naming both.
  Status CheckSuite(std::string_view what) const;

 private:
  PrivateKey(std::shared_ptr<EVP_PKEY> pkey, Suite suite);
  std::shared_ptr<EVP_PKEY> pkey_;
  Suite suite_ = kDefaultSuite;
  PublicKeyBytes public_key_;
};

// Verifies a signature of the active suite made over `message` by the raw public key; a key
// or signature of the wrong form for the suite never verifies.
bool VerifySignature(const PublicKeyBytes& key, ByteView message, ByteView signature);
bool VerifySignature(Suite suite, ByteView key, ByteView message, ByteView signature);

// An SM2 signature's raw r || s as DER (what `openssl pkeyutl` reads), and back.
Bytes Sm2SignatureToDer(ByteView raw);
std::optional<SignatureBytes> Sm2SignatureFromDer(ByteView der);

// Public keys of either suite; check the result with SuiteOfKey where the suite matters.
Result<PublicKeyBytes> PublicKeyFromPem(const std::string& pem);
Result<PublicKeyBytes> LoadPublicKeyFile(const std::string& path);  // PEM, or a private key PEM
std::string PublicKeyToPem(const PublicKeyBytes& key);  // SubjectPublicKeyInfo PEM

}  // namespace ledger
