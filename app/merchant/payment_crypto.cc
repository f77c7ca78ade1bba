#include "app/merchant/payment_crypto.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <memory>
#include <stdexcept>
#include <vector>

#include "ledger/hash.h"

namespace app::payment {
namespace {

struct PkeyFree { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct MdFree { void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); } };
struct CipherFree { void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); } };
struct BioFree { void operator()(BIO* b) const { BIO_free(b); } };
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

PkeyPtr LoadPublic(const std::string& pem) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return PkeyPtr(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
}

PkeyPtr LoadPrivate(const std::string& pem) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return PkeyPtr(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

const unsigned char* U(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

}  // namespace

bool IsRsaPublicKey(const std::string& pem) {
  PkeyPtr key = LoadPublic(pem);
  return key && EVP_PKEY_is_a(key.get(), "RSA");
}

bool VerifyRsaSha256(const std::string& public_key_pem, std::string_view message, std::string_view signature_b64) {
  auto key = RsaPublicKey::FromPem(public_key_pem);
  return key && key->VerifySha256(message, signature_b64);
}

std::optional<RsaPublicKey> RsaPublicKey::FromPem(const std::string& pem) {
  PkeyPtr key = LoadPublic(pem);
  if (!key || !EVP_PKEY_is_a(key.get(), "RSA")) return std::nullopt;
  RsaPublicKey out;
  out.key_ = std::shared_ptr<EVP_PKEY>(key.release(), EVP_PKEY_free);
  return out;
}

bool RsaPublicKey::VerifySha256(std::string_view message, std::string_view signature_b64) const {
  // Fetched once: an implicit fetch per call takes OpenSSL's provider locks every time.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  auto sig = ledger::FromBase64(signature_b64);
  if (!sig || !key_ || !sha256) return false;
  std::unique_ptr<EVP_MD_CTX, MdFree> ctx(EVP_MD_CTX_new());
  return ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, sha256, nullptr, key_.get()) == 1 &&
         EVP_DigestVerify(ctx.get(), sig->data(), sig->size(), U(message), message.size()) == 1;
}

std::string SignRsaSha256(const std::string& private_key_pem, std::string_view message) {
  PkeyPtr key = LoadPrivate(private_key_pem);
  if (!key) throw std::invalid_argument("not a PEM private key");
  std::unique_ptr<EVP_MD_CTX, MdFree> ctx(EVP_MD_CTX_new());
  size_t len = 0;
  if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, U(message), message.size()) != 1)
    throw std::runtime_error("RSA signing failed");
  std::vector<uint8_t> sig(len);
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, U(message), message.size()) != 1)
    throw std::runtime_error("RSA signing failed");
  sig.resize(len);
  return ledger::ToBase64(sig);
}

std::optional<std::string> AesGcmDecrypt(std::string_view key, std::string_view nonce, std::string_view aad,
                                         std::string_view ciphertext_b64) {
  auto data = ledger::FromBase64(ciphertext_b64);
  if (key.size() != 32 || nonce.empty() || !data || data->size() < 16) return std::nullopt;
  size_t body = data->size() - 16;
  std::unique_ptr<EVP_CIPHER_CTX, CipherFree> ctx(EVP_CIPHER_CTX_new());
  std::string out(body, '\0');
  int len = 0, fin = 0;
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce.size()), nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, U(key), U(nonce)) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, data->data(),
                        static_cast<int>(body)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, 16, data->data() + body) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + len, &fin) != 1)
    return std::nullopt;
  return out;
}

std::string AesGcmEncrypt(std::string_view key, std::string_view nonce, std::string_view aad, std::string_view plaintext) {
  if (key.size() != 32) throw std::invalid_argument("the API v3 key is 32 bytes");
  std::unique_ptr<EVP_CIPHER_CTX, CipherFree> ctx(EVP_CIPHER_CTX_new());
  std::vector<uint8_t> out(plaintext.size() + 16);
  int len = 0, fin = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce.size()), nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, U(key), U(nonce)) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out.data(), &len, U(plaintext), static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), out.data() + len, &fin) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, 16, out.data() + plaintext.size()) != 1)
    throw std::runtime_error("AES-256-GCM encryption failed");
  return ledger::ToBase64(out);
}

std::string HmacSha256Hex(std::string_view secret, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  size_t len = 0;
  if (!EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, secret.data(), secret.size(), U(data), data.size(), mac,
                 sizeof mac, &len))
    throw std::runtime_error("HMAC-SHA256 failed");
  return ledger::ToHex(ledger::ByteView(mac, len));
}

}  // namespace app::payment
