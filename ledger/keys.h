// Ed25519 keys through OpenSSL EVP: the authority signs block headers with one, every node
// signs its entries with one. A PrivateKey is immutable once loaded, and signing and
// verifying are thread-safe (each call uses its own EVP context).
#pragma once

#include <array>
#include <memory>
#include <string>

#include "ledger/hash.h"
#include "ledger/status.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace ledger {

using PublicKeyBytes = std::array<uint8_t, 32>;  // raw Ed25519 public key (RFC 8032)
using SignatureBytes = std::array<uint8_t, 64>;  // raw Ed25519 signature

class PrivateKey {
 public:
  static Result<PrivateKey> Generate();
  static Result<PrivateKey> FromPem(const std::string& pem);
  static Result<PrivateKey> LoadPemFile(const std::string& path);
  // Deterministic key from a 32-byte seed; for tests and benchmarks only.
  static Result<PrivateKey> FromSeed(const std::array<uint8_t, 32>& seed);

  std::string ToPem() const;            // PKCS#8 PEM
  std::string PublicPem() const;        // SubjectPublicKeyInfo PEM
  const PublicKeyBytes& public_key() const { return public_key_; }
  SignatureBytes Sign(ByteView message) const;

 private:
  explicit PrivateKey(std::shared_ptr<EVP_PKEY> pkey);
  std::shared_ptr<EVP_PKEY> pkey_;
  PublicKeyBytes public_key_{};
};

// Verifies an Ed25519 signature made over `message` by the raw public key.
bool VerifySignature(const PublicKeyBytes& key, ByteView message, ByteView signature);

Result<PublicKeyBytes> PublicKeyFromPem(const std::string& pem);
Result<PublicKeyBytes> LoadPublicKeyFile(const std::string& path);  // PEM, or a private key PEM
std::string PublicKeyToPem(const PublicKeyBytes& key);

}  // namespace ledger
