// Builds correctly signed payment notifications, as the providers send them: WeChat Pay API
// v3 (RSA-SHA256 with the platform key, resource under AEAD_AES_256_GCM) and the generic
// HMAC scheme. For the demo's checkout simulator, `einvoice simulate-payment` and tests;
// it needs the platform's private key, which only a test fixture has.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace app::payment {

struct SignedNotification {
  std::map<std::string, std::string> headers;
  std::string body;
};

struct WechatSimKeys {
  std::string mchid;
  std::string serial;
  std::string private_key_pem;
  std::string api_v3_key;
};

SignedNotification WechatTransaction(const WechatSimKeys& k, const std::string& order_id,
                                     const std::string& transaction_id, int64_t total_fen, int64_t unix_s);
SignedNotification WechatRefund(const WechatSimKeys& k, const std::string& order_id, const std::string& transaction_id,
                                const std::string& refund_id, int64_t total_fen, int64_t refund_fen, int64_t unix_s);
// Alipay's asynchronous notifications (RSA2 over the sorted parameters, form-encoded) with
// the key `private_key_pem` standing in for Alipay's: a payment (TRADE_SUCCESS) and a refund
// (refund_fee is the trade's refunded total, out_biz_no the refund request).
struct AlipaySimKeys {
  std::string app_id;
  std::string seller_id;
  std::string private_key_pem;
};
SignedNotification AlipayPayment(const AlipaySimKeys& k, const std::string& order_id, const std::string& trade_no,
                                 int64_t total_fen, int64_t unix_s);
SignedNotification AlipayRefund(const AlipaySimKeys& k, const std::string& order_id, const std::string& trade_no,
                                const std::string& refund_request, int64_t total_fen, int64_t refunded_total_fen,
                                int64_t unix_s);
SignedNotification GenericNotice(const std::string& secret, const std::string& type, const std::string& order_id,
                                 const std::string& payment_id, int64_t amount_fen, const std::string& refund_id,
                                 int64_t refund_fen, int64_t unix_s);

// Posts `n` to http://host:port/v1/callbacks/<provider>; returns the status and body.
std::pair<int, std::string> Deliver(const std::string& host, uint16_t port, const std::string& provider,
                                    const SignedNotification& n);

}  // namespace app::payment
