// Payment notification cryptography, cross-checked with the openssl command line.
#include "app/merchant/payment_crypto.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "ledger/hash.h"
#include "test_util.h"

namespace app::payment {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const std::string kKeys = std::string(EINVOICE_SOURCE_DIR) + "/fixtures/keys/";

TEST(PaymentCrypto, RsaSignaturesInteroperateWithOpenssl) {
  std::string priv = ReadFile(kKeys + "wechatpay_platform.pem");
  std::string pub = ReadFile(kKeys + "wechatpay_platform.pub.pem");
  ASSERT_TRUE(IsRsaPublicKey(pub));
  std::string message = "1795483800\nnonce123\n{\"id\":\"EV-1\"}\n";
  std::string sig = SignRsaSha256(priv, message);
  EXPECT_TRUE(VerifyRsaSha256(pub, message, sig));
  EXPECT_FALSE(VerifyRsaSha256(pub, message + "x", sig));
  EXPECT_FALSE(VerifyRsaSha256(pub, message, "AAAA"));
  EXPECT_FALSE(VerifyRsaSha256(pub, message, "not base64!"));
  EXPECT_FALSE(VerifyRsaSha256("garbage", message, sig));

  // A signature made by the openssl CLI verifies here.
  apptest::TempDir dir;
  std::ofstream(dir.File("msg")) << message;
  auto r = apptest::RunCommand("openssl dgst -sha256 -sign " + kKeys + "wechatpay_platform.pem -out " +
                               dir.File("sig") + " " + dir.File("msg"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::string raw = ReadFile(dir.File("sig"));
  EXPECT_TRUE(VerifyRsaSha256(pub, message, ledger::ToBase64(ledger::AsBytes(raw))));
}

TEST(PaymentCrypto, AesGcmRoundTripAndTamperDetection) {
  std::string key = "0123456789abcdef0123456789abcdef";  // 32 bytes, as an API v3 key
  std::string ct = AesGcmEncrypt(key, "nonce1234567", "transaction", "{\"out_trade_no\":\"ORD-1\"}");
  EXPECT_EQ(AesGcmDecrypt(key, "nonce1234567", "transaction", ct), "{\"out_trade_no\":\"ORD-1\"}");
  EXPECT_FALSE(AesGcmDecrypt(key, "nonce1234568", "transaction", ct).has_value());
  EXPECT_FALSE(AesGcmDecrypt(key, "nonce1234567", "refund", ct).has_value());
  EXPECT_FALSE(AesGcmDecrypt("0123456789abcdef0123456789abcdeF", "nonce1234567", "transaction", ct).has_value());
  EXPECT_FALSE(AesGcmDecrypt("short", "nonce1234567", "transaction", ct).has_value());
  auto raw = *ledger::FromBase64(ct);
  for (size_t i = 0; i < raw.size(); ++i) {
    auto bad = raw;
    bad[i] ^= 1;
    EXPECT_FALSE(AesGcmDecrypt(key, "nonce1234567", "transaction", ledger::ToBase64(bad)).has_value()) << i;
  }
  EXPECT_FALSE(AesGcmDecrypt(key, "nonce1234567", "transaction", "").has_value());
}

TEST(PaymentCrypto, HmacMatchesOpenssl) {
  EXPECT_EQ(HmacSha256Hex("secret", "1795483800.{}"),
            apptest::RunCommand("printf '%s' '1795483800.{}' | openssl dgst -sha256 -hmac secret -r | cut -d' ' -f1")
                .output.substr(0, 64));
  // RFC 4231 test case 2.
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
  EXPECT_EQ(RandomHex(16).size(), 32u);
  EXPECT_NE(RandomHex(16), RandomHex(16));
}

}  // namespace
}  // namespace app::payment
