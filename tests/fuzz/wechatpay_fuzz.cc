// WeChat Pay API v3 notifications (POST /v1/callbacks/wechatpay), past their signature: the
// notification JSON, the AEAD_AES_256_GCM resource decrypted with the API v3 key, and the
// decrypted resource's fields. Random bytes never decrypt, so the first input byte picks:
//   even: the rest is the notification body as sent;
//   odd:  the rest is a resource's plaintext, which the target encrypts under the key into a
//         well-formed notification (bit 1 picks TRANSACTION.SUCCESS or REFUND.SUCCESS), so
//         the resource parser sees hostile plaintext; what decrypts must be what was sealed.
#include <Poco/JSON/Object.h>

#include <sstream>
#include <string>

#include "app/http/api_error.h"
#include "app/merchant/payment_crypto.h"
#include "app/merchant/callback_bodies.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string key(fuzz::kWechatApiV3Key), mchid(fuzz::kWechatMchid);
  const bool sealed = data[0] & 1;
  std::string rest(fuzz::AsText(data + 1, size - 1)), body = rest;
  if (sealed) {
    Poco::JSON::Object::Ptr res = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    res->set("algorithm", "AEAD_AES_256_GCM");
    res->set("ciphertext", app::payment::AesGcmEncrypt(key, "fuzznonce123", "transaction", rest));
    res->set("associated_data", "transaction");
    res->set("nonce", "fuzznonce123");
    Poco::JSON::Object::Ptr n = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    n->set("id", "EV-2018022511223320873");
    n->set("event_type", data[0] & 2 ? "REFUND.SUCCESS" : "TRANSACTION.SUCCESS");
    n->set("resource", res);
    std::ostringstream out;
    n->stringify(out);
    body = out.str();
  }
  app::WechatNotification n;
  try {
    n = app::ParseWechatNotification(body, key);
  } catch (const app::ApiError& e) {
    FUZZ_CHECK(!sealed && e.status() >= 400 && e.status() < 500);
    return 0;
  }
  if (sealed) FUZZ_CHECK(n.resource == rest);
  if (n.event_type != "TRANSACTION.SUCCESS" && n.event_type != "REFUND.SUCCESS") return 0;  // acknowledged, ignored
  try {
    app::PaymentNotice notice = app::WechatResourceNotice(n.resource, n.event_type, mchid);
    FUZZ_CHECK(!notice.order_id.empty() && !notice.payment_id.empty());
  } catch (const app::ApiError& e) {
    FUZZ_CHECK(e.status() >= 400 && e.status() < 500);
  }
  return 0;
}
