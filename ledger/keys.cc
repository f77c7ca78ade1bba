#include "ledger/keys.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <fstream>
#include <map>
#include <sstream>

namespace ledger {
namespace {

struct PkeyFree { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct PkeyCtxFree { void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); } };
struct BioFree { void operator()(BIO* b) const { BIO_free(b); } };
struct MdCtxFree { void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); } };
struct BnFree { void operator()(BIGNUM* b) const { BN_free(b); } };
struct SigFree { void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); } };
struct GroupFree { void operator()(EC_GROUP* g) const { EC_GROUP_free(g); } };
struct PointFree { void operator()(EC_POINT* p) const { EC_POINT_free(p); } };
struct BldFree { void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); } };
struct ParamFree { void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); } };
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;

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

std::optional<Suite> SuiteOfPkey(const EVP_PKEY* pkey) {
  if (EVP_PKEY_is_a(pkey, "ED25519")) return Suite::kEd25519Sha256;
  // PEM-loaded SM2 keys answer EVP_PKEY_get_id() == -1; ask by name.
  if (EVP_PKEY_is_a(pkey, "SM2")) return Suite::kSm2Sm3;
  return std::nullopt;
}

PublicKeyBytes RawPublic(EVP_PKEY* pkey, Suite suite) {
  PublicKeyBytes out(PublicKeyLen(suite));
  size_t len = out.size();
  bool ok = suite == Suite::kSm2Sm3
                ? EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, out.data(), out.size(), &len) == 1
                : EVP_PKEY_get_raw_public_key(pkey, out.data(), &len) == 1;
  if (!ok || len != out.size()) out.clear();
  return out;
}

// An SM2 EVP_PKEY from the raw public key and, when given, the private scalar.
PkeyPtr Sm2FromData(ByteView pub, const BIGNUM* priv) {
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "SM2", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, pub.data(), pub.size()) != 1 ||
      (priv != nullptr && OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, priv) != 1))
    return nullptr;
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld.get()));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "SM2", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, priv != nullptr ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
    return nullptr;
  return PkeyPtr(raw);
}

// A digest-sign/verify context for SM2 with SM3 and the chain's distinguishing ID, set on the
// EVP_PKEY_CTX (OpenSSL 3.0 applies no default ID). `pctx` must outlive `mctx`.
bool Sm2Init(EVP_MD_CTX* mctx, EVP_PKEY* pkey, PkeyCtxPtr* pctx, bool sign) {
  pctx->reset(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  if (!*pctx || EVP_PKEY_CTX_set1_id(pctx->get(), kSm2DistId.data(), static_cast<int>(kSm2DistId.size())) != 1)
    return false;
  EVP_MD_CTX_set_pkey_ctx(mctx, pctx->get());
  return sign ? EVP_DigestSignInit(mctx, nullptr, EVP_sm3(), nullptr, pkey) == 1
              : EVP_DigestVerifyInit(mctx, nullptr, EVP_sm3(), nullptr, pkey) == 1;
}

// A node verifies with few keys (the authority's, one per taxpayer): keep each one's
// EVP_PKEY per thread rather than building it (and, for SM2, checking the point) per signature.
// The key's length tells its suite (the caller checked SuiteOfKey), so the bytes alone key it.
EVP_PKEY* CachedPublic(Suite suite, ByteView key) {
  thread_local std::map<Bytes, PkeyPtr> cache;
  Bytes k(key.begin(), key.end());
  auto it = cache.find(k);
  if (it == cache.end()) {
    if (cache.size() >= 4096) cache.clear();
    PkeyPtr made(suite == Suite::kSm2Sm3
                     ? Sm2FromData(key, nullptr).release()
                     : EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, key.data(), key.size()));
    if (!made) return nullptr;
    it = cache.emplace(std::move(k), std::move(made)).first;
  }
  return it->second.get();
}

}  // namespace

size_t PublicKeyLen(Suite s) { return s == Suite::kSm2Sm3 ? kSm2KeyLen : kEd25519KeyLen; }

std::optional<Suite> SuiteOfKey(ByteView key) {
  if (key.size() == kEd25519KeyLen) return Suite::kEd25519Sha256;
  if (key.size() == kSm2KeyLen && key[0] == 0x04) return Suite::kSm2Sm3;
  return std::nullopt;
}

PrivateKey::PrivateKey(std::shared_ptr<EVP_PKEY> pkey, Suite suite)
    : pkey_(std::move(pkey)), suite_(suite), public_key_(RawPublic(pkey_.get(), suite)) {}

Result<PrivateKey> PrivateKey::Generate(Suite suite) {
  EVP_PKEY* raw = EVP_PKEY_Q_keygen(nullptr, nullptr, suite == Suite::kSm2Sm3 ? "SM2" : "ED25519");
  if (raw == nullptr) return Status::IOError(std::string(SuiteName(suite)) + " key generation failed");
  return PrivateKey(std::shared_ptr<EVP_PKEY>(raw, PkeyFree()), suite);
}

Result<PrivateKey> PrivateKey::FromSeed(const std::array<uint8_t, 32>& seed, Suite suite) {
  if (suite == Suite::kEd25519Sha256) {
    EVP_PKEY* raw = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size());
    if (raw == nullptr) return Status::InvalidArgument("bad Ed25519 seed");
    return PrivateKey(std::shared_ptr<EVP_PKEY>(raw, PkeyFree()), suite);
  }
  // SM2: d = SM3(seed) mod (n - 2) + 1, in [1, n - 2] as GB/T 32918.1 wants (1 + d must be
  // invertible), and the public point d·G computed here, since EVP_PKEY_fromdata does not derive it.
  std::unique_ptr<EC_GROUP, GroupFree> group(EC_GROUP_new_by_curve_name(NID_sm2));
  BnPtr d(BN_new()), n1(BN_dup(group ? EC_GROUP_get0_order(group.get()) : nullptr));
  std::unique_ptr<BN_CTX, decltype(&BN_CTX_free)> bn(BN_CTX_new(), BN_CTX_free);
  Hash h = Sm3(ByteView(seed.data(), seed.size()));
  if (!group || !d || !n1 || !bn || BN_sub_word(n1.get(), 2) != 1 ||
      BN_bin2bn(h.bytes.data(), 32, d.get()) == nullptr || BN_mod(d.get(), d.get(), n1.get(), bn.get()) != 1 ||
      BN_add_word(d.get(), 1) != 1)
    return Status::InvalidArgument("bad SM2 seed");
  std::unique_ptr<EC_POINT, PointFree> q(EC_POINT_new(group.get()));
  uint8_t pub[kSm2KeyLen];
  if (!q || EC_POINT_mul(group.get(), q.get(), d.get(), nullptr, nullptr, bn.get()) != 1 ||
      EC_POINT_point2oct(group.get(), q.get(), POINT_CONVERSION_UNCOMPRESSED, pub, sizeof pub, bn.get()) != sizeof pub)
    return Status::InvalidArgument("bad SM2 seed");
  PkeyPtr key = Sm2FromData(ByteView(pub, sizeof pub), d.get());
  if (!key) return Status::InvalidArgument("bad SM2 seed");
  return PrivateKey(std::shared_ptr<EVP_PKEY>(key.release(), PkeyFree()), suite);
}

Result<PrivateKey> PrivateKey::FromPem(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EVP_PKEY* raw = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (raw == nullptr) return Status::InvalidArgument("not a PEM private key");
  std::shared_ptr<EVP_PKEY> pkey(raw, PkeyFree());
  std::optional<Suite> suite = SuiteOfPkey(raw);
  if (!suite) return Status::InvalidArgument("private key is neither Ed25519 nor SM2");
  PrivateKey key(std::move(pkey), *suite);
  if (key.public_key_.empty()) return Status::InvalidArgument("private key has no public half");
  return key;
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

Status PrivateKey::CheckSuite(std::string_view what) const {
  if (suite_ == ActiveSuite()) return Status::Ok();
  return SuiteMismatch(std::string(what) + " (a " + (suite_ == Suite::kSm2Sm3 ? "SM2" : "Ed25519") + " key)", suite_);
}

SignatureBytes PrivateKey::Sign(ByteView message) const {
  SignatureBytes sig{};
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (suite_ == Suite::kSm2Sm3) {
    PkeyCtxPtr pctx;
    uint8_t der[80];
    size_t len = sizeof der;
    bool ok = ctx && Sm2Init(ctx.get(), pkey_.get(), &pctx, true) &&
              EVP_DigestSign(ctx.get(), der, &len, message.data(), message.size()) == 1;
    ctx.reset();  // before pctx, which it borrows
    std::optional<SignatureBytes> raw = ok ? Sm2SignatureFromDer(ByteView(der, len)) : std::nullopt;
    if (raw) sig = *raw;
    return sig;
  }
  size_t len = sig.size();
  // Ed25519 is "pure": no digest is named and the whole message goes in one call.
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size()) != 1) {
    sig.fill(0);  // an all-zero signature never verifies
  }
  return sig;
}

bool VerifySignature(const PublicKeyBytes& key, ByteView message, ByteView signature) {
  return VerifySignature(ActiveSuite(), key, message, signature);
}

bool VerifySignature(Suite suite, ByteView key, ByteView message, ByteView signature) {
  if (signature.size() != 64 || SuiteOfKey(key) != suite) return false;
  EVP_PKEY* pkey = CachedPublic(suite, key);
  if (pkey == nullptr) return false;
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) return false;
  if (suite == Suite::kSm2Sm3) {
    Bytes der = Sm2SignatureToDer(signature);
    PkeyCtxPtr pctx;
    bool ok = !der.empty() && Sm2Init(ctx.get(), pkey, &pctx, false) &&
              EVP_DigestVerify(ctx.get(), der.data(), der.size(), message.data(), message.size()) == 1;
    ctx.reset();
    return ok;
  }
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey) != 1) return false;
  return EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(),
                          message.size()) == 1;
}

Bytes Sm2SignatureToDer(ByteView raw) {
  if (raw.size() != 64) return {};
  std::unique_ptr<ECDSA_SIG, SigFree> sig(ECDSA_SIG_new());
  BnPtr r(BN_bin2bn(raw.data(), 32, nullptr)), s(BN_bin2bn(raw.data() + 32, 32, nullptr));
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return {};
  r.release();  // owned by sig now
  s.release();
  int n = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (n <= 0) return {};
  Bytes out(static_cast<size_t>(n));
  uint8_t* p = out.data();
  i2d_ECDSA_SIG(sig.get(), &p);
  return out;
}

std::optional<SignatureBytes> Sm2SignatureFromDer(ByteView der) {
  const uint8_t* p = der.data();
  std::unique_ptr<ECDSA_SIG, SigFree> sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig || p != der.data() + der.size()) return std::nullopt;
  const BIGNUM* r = ECDSA_SIG_get0_r(sig.get());
  const BIGNUM* s = ECDSA_SIG_get0_s(sig.get());
  SignatureBytes out{};
  if (BN_bn2binpad(r, out.data(), 32) != 32 || BN_bn2binpad(s, out.data() + 32, 32) != 32) return std::nullopt;
  return out;
}

Result<PublicKeyBytes> PublicKeyFromPem(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EVP_PKEY* raw = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  if (raw == nullptr) {
    auto priv = PrivateKey::FromPem(pem);
    if (!priv.ok()) return Status::InvalidArgument("not a PEM Ed25519 or SM2 public or private key");
    return priv->public_key();
  }
  PkeyPtr pkey(raw);
  std::optional<Suite> suite = SuiteOfPkey(raw);
  if (!suite) return Status::InvalidArgument("public key is neither Ed25519 nor SM2");
  PublicKeyBytes out = RawPublic(raw, *suite);
  if (out.empty()) return Status::InvalidArgument("public key unreadable");
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
  std::optional<Suite> suite = SuiteOfKey(key);
  PkeyPtr pkey;
  if (suite == Suite::kSm2Sm3) pkey = Sm2FromData(key, nullptr);
  else if (suite) pkey.reset(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, key.data(), key.size()));
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (pkey) PEM_write_bio_PUBKEY(bio.get(), pkey.get());
  return BioToString(bio.get());
}

}  // namespace ledger
