// The cryptography of payment notifications, through OpenSSL EVP: WeChat Pay API v3
// (RSA-SHA256 signatures by the platform key, AEAD_AES_256_GCM resources under the API v3
// key) and the generic HMAC-SHA256 scheme. The signing and encrypting halves exist for the
// payment simulator and tests. All functions are thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "app/base/secrets.h"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY

namespace app::payment {

// RSA PKCS#1 v1.5 with SHA-256; the signature is base64, as in Wechatpay-Signature.
bool VerifyRsaSha256(const std::string& public_key_pem, std::string_view message, std::string_view signature_b64);
std::string SignRsaSha256(const std::string& private_key_pem, std::string_view message);
bool IsRsaPublicKey(const std::string& pem);

// A platform key parsed once, for the hot path: each callback verifies with it, and
// parsing a PEM costs several times the RSA verification itself. Shareable across threads.
class RsaPublicKey {
 public:
  static std::optional<RsaPublicKey> FromPem(const std::string& pem);  // nullopt unless an RSA key
  bool VerifySha256(std::string_view message, std::string_view signature_b64) const;

 private:
  std::shared_ptr<::evp_pkey_st> key_;
};

// AES-256-GCM with a 16-byte tag appended to the ciphertext, base64 (RFC 5116 layout).
// nullopt when the key is not 32 bytes or the tag does not verify.
std::optional<std::string> AesGcmDecrypt(std::string_view key, std::string_view nonce, std::string_view aad,
                                         std::string_view ciphertext_b64);
std::string AesGcmEncrypt(std::string_view key, std::string_view nonce, std::string_view aad, std::string_view plaintext);

std::string HmacSha256Hex(std::string_view secret, std::string_view data);
using app::ConstantTimeEquals;  // app/base/secrets.h
using app::RandomHex;

}  // namespace app::payment
