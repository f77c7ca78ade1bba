#include "ledger/keys.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <fstream>
#include <map>
#include <sstream>

namespace ledger {
namespace {

struct PkeyFree { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct BioFree { void operator()(BIO* b) const { BIO_free(b); } };
struct MdCtxFree { void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); } };
using BioPtr = std::unique_ptr<BIO, BioFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

std::string BioToString(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool RawPublic(EVP_PKEY* pkey, PublicKeyBytes* out) {
  size_t len = out->size();
  return EVP_PKEY_get_raw_public_key(pkey, out->data(), &len) == 1 && len == out->size();
}

}  // namespace

PrivateKey::PrivateKey(std::shared_ptr<EVP_PKEY> pkey) : pkey_(std::move(pkey)) {
  RawPublic(pkey_.get(), &public_key_);
}

Result<PrivateKey> PrivateKey::Generate() {
  EVP_PKEY* raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (raw == nullptr) return Status::IOError("Ed25519 key generation failed");
  return PrivateKey(std::shared_ptr<EVP_PKEY>(raw, PkeyFree()));
}

Result<PrivateKey> PrivateKey::FromSeed(const std::array<uint8_t, 32>& seed) {
  EVP_PKEY* raw = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size());
  if (raw == nullptr) return Status::InvalidArgument("bad Ed25519 seed");
  return PrivateKey(std::shared_ptr<EVP_PKEY>(raw, PkeyFree()));
}

Result<PrivateKey> PrivateKey::FromPem(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EVP_PKEY* raw = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (raw == nullptr) return Status::InvalidArgument("not a PEM private key");
  std::shared_ptr<EVP_PKEY> pkey(raw, PkeyFree());
  if (!EVP_PKEY_is_a(raw, "ED25519")) return Status::InvalidArgument("private key is not Ed25519");
  return PrivateKey(std::move(pkey));
}

Result<PrivateKey> PrivateKey::LoadPemFile(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return text.status();
  auto key = FromPem(*text);
  if (!key.ok()) return Status::InvalidArgument(path + ": " + key.status().message());
  return key;
}

std::string PrivateKey::ToPem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), pkey_.get(), nullptr, nullptr, 0, nullptr, nullptr);
  return BioToString(bio.get());
}

std::string PrivateKey::PublicPem() const { return PublicKeyToPem(public_key_); }

SignatureBytes PrivateKey::Sign(ByteView message) const {
  SignatureBytes sig{};
  MdCtxPtr ctx(EVP_MD_CTX_new());
  size_t len = sig.size();
  // Ed25519 is "pure": no digest is named and the whole message goes in one call.
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size()) != 1) {
    sig.fill(0);  // an all-zero signature never verifies
  }
  return sig;
}

bool VerifySignature(const PublicKeyBytes& key, ByteView message, ByteView signature) {
  if (signature.size() != 64) return false;
  // A node verifies with few keys (the authority's, one per taxpayer): keep each one's
  // EVP_PKEY per thread rather than building it for every signature.
  thread_local std::map<PublicKeyBytes, std::unique_ptr<EVP_PKEY, PkeyFree>> cache;
  auto it = cache.find(key);
  if (it == cache.end()) {
    if (cache.size() >= 4096) cache.clear();
    std::unique_ptr<EVP_PKEY, PkeyFree> made(
        EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, key.data(), key.size()));
    if (!made) return false;
    it = cache.emplace(key, std::move(made)).first;
  }
  EVP_PKEY* pkey = it->second.get();
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey) != 1)
    return false;
  return EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(),
                          message.size()) == 1;
}

Result<PublicKeyBytes> PublicKeyFromPem(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EVP_PKEY* raw = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  if (raw == nullptr) {
    auto priv = PrivateKey::FromPem(pem);
    if (!priv.ok()) return Status::InvalidArgument("not a PEM Ed25519 public or private key");
    return priv->public_key();
  }
  std::unique_ptr<EVP_PKEY, PkeyFree> pkey(raw);
  PublicKeyBytes out{};
  if (!EVP_PKEY_is_a(raw, "ED25519") || !RawPublic(raw, &out))
    return Status::InvalidArgument("public key is not Ed25519");
  return out;
}

Result<PublicKeyBytes> LoadPublicKeyFile(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return text.status();
  auto key = PublicKeyFromPem(*text);
  if (!key.ok()) return Status::InvalidArgument(path + ": " + key.status().message());
  return key;
}

std::string PublicKeyToPem(const PublicKeyBytes& key) {
  std::unique_ptr<EVP_PKEY, PkeyFree> pkey(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, key.data(), key.size()));
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (pkey) PEM_write_bio_PUBKEY(bio.get(), pkey.get());
  return BioToString(bio.get());
}

}  // namespace ledger
