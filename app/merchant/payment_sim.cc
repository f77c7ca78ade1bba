#include "app/merchant/payment_sim.h"

#include <Poco/JSON/Object.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <sstream>

#include "app/chain/chain_json.h"
#include "app/merchant/payment_crypto.h"
#include "invoice/money.h"
#include "invoice/time_format.h"

namespace app::payment {
namespace {

using Poco::JSON::Object;

std::string Str(const Object::Ptr& o) {
  std::ostringstream ss;
  o->stringify(ss);
  return ss.str();
}

SignedNotification Wechat(const WechatSimKeys& k, const std::string& event_type, const std::string& original_type,
                          const std::string& summary, const Object::Ptr& resource, int64_t unix_s) {
  std::string nonce = RandomHex(6);  // 12 characters, as WeChat Pay's resource nonces
  std::string aad = original_type;
  Object::Ptr res = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  res->set("original_type", original_type);
  res->set("algorithm", "AEAD_AES_256_GCM");
  res->set("ciphertext", AesGcmEncrypt(k.api_v3_key, nonce, aad, Str(resource)));
  res->set("associated_data", aad);
  res->set("nonce", nonce);
  Object::Ptr n = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  n->set("id", "EV-" + RandomHex(10));
  n->set("create_time", Rfc3339(static_cast<uint64_t>(unix_s) * 1000));
  n->set("resource_type", "encrypt-resource");
  n->set("event_type", event_type);
  n->set("summary", summary);
  n->set("resource", res);
  SignedNotification out;
  out.body = Str(n);
  std::string ts = std::to_string(unix_s), sig_nonce = RandomHex(16);
  out.headers = {{"Wechatpay-Timestamp", ts},
                 {"Wechatpay-Nonce", sig_nonce},
                 {"Wechatpay-Serial", k.serial},
                 {"Wechatpay-Signature", SignRsaSha256(k.private_key_pem, ts + "\n" + sig_nonce + "\n" + out.body + "\n")},
                 {"Content-Type", "application/json"}};
  return out;
}

}  // namespace

SignedNotification WechatTransaction(const WechatSimKeys& k, const std::string& order_id,
                                     const std::string& transaction_id, int64_t total_fen, int64_t unix_s) {
  Object::Ptr t = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  t->set("mchid", k.mchid);
  t->set("appid", "wxd678efh567hg6787");
  t->set("out_trade_no", order_id);
  t->set("transaction_id", transaction_id);
  t->set("trade_type", "NATIVE");
  t->set("trade_state", "SUCCESS");
  t->set("trade_state_desc", "支付成功");
  t->set("bank_type", "OTHERS");
  t->set("success_time", Rfc3339(static_cast<uint64_t>(unix_s) * 1000));
  Object::Ptr payer = new Object;
  payer->set("openid", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o");
  t->set("payer", payer);
  Object::Ptr amount = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  amount->set("total", total_fen);
  amount->set("payer_total", total_fen);
  amount->set("currency", "CNY");
  amount->set("payer_currency", "CNY");
  t->set("amount", amount);
  return Wechat(k, "TRANSACTION.SUCCESS", "transaction", "支付成功", t, unix_s);
}

namespace {

// "2026-11-30 09:53:12" in China Standard Time, as Alipay writes its times.
std::string AlipayTime(int64_t unix_s) { return invoice::ChinaDateTime(static_cast<uint64_t>(unix_s) * 1000); }

std::string FormEncode(std::string_view s) {
  std::string out;
  Poco::URI::encode(std::string(s), "!#$&'()*+,/:;=?@[]", out);  // every reserved character escaped
  return out;
}

SignedNotification Alipay(const AlipaySimKeys& k, std::map<std::string, std::string> params) {
  params["app_id"] = k.app_id;
  params["seller_id"] = k.seller_id;
  params["charset"] = "utf-8";
  params["version"] = "1.0";
  params["notify_type"] = "trade_status_sync";
  params["notify_id"] = RandomHex(16);
  std::string content;
  for (const auto& [name, value] : params) {  // sorted by name; sign and sign_type not yet in
    if (value.empty()) continue;
    if (!content.empty()) content += '&';
    content += name + "=" + value;
  }
  params["sign_type"] = "RSA2";
  params["sign"] = SignRsaSha256(k.private_key_pem, content);
  SignedNotification n;
  for (const auto& [name, value] : params) n.body += (n.body.empty() ? "" : "&") + FormEncode(name) + "=" + FormEncode(value);
  n.headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8";
  return n;
}

}  // namespace

SignedNotification AlipayPayment(const AlipaySimKeys& k, const std::string& order_id, const std::string& trade_no,
                                 int64_t total_fen, int64_t unix_s) {
  const std::string amount = invoice::FormatYuan(total_fen);
  return Alipay(k, {{"notify_time", AlipayTime(unix_s)}, {"out_trade_no", order_id}, {"trade_no", trade_no},
                    {"trade_status", "TRADE_SUCCESS"}, {"total_amount", amount}, {"receipt_amount", amount},
                    {"buyer_pay_amount", amount}, {"buyer_id", "2088102177846875"}, {"subject", "订单 " + order_id},
                    {"gmt_create", AlipayTime(unix_s - 5)}, {"gmt_payment", AlipayTime(unix_s)}});
}

SignedNotification AlipayRefund(const AlipaySimKeys& k, const std::string& order_id, const std::string& trade_no,
                                const std::string& refund_request, int64_t total_fen, int64_t refunded_total_fen,
                                int64_t unix_s) {
  return Alipay(k, {{"notify_time", AlipayTime(unix_s)}, {"out_trade_no", order_id}, {"trade_no", trade_no},
                    {"out_biz_no", refund_request}, {"trade_status", refunded_total_fen == total_fen ? "TRADE_CLOSED" : "TRADE_SUCCESS"},
                    {"total_amount", invoice::FormatYuan(total_fen)}, {"refund_fee", invoice::FormatYuan(refunded_total_fen)},
                    {"gmt_refund", AlipayTime(unix_s) + ".000"}, {"buyer_id", "2088102177846875"}});
}

SignedNotification WechatRefund(const WechatSimKeys& k, const std::string& order_id, const std::string& transaction_id,
                                const std::string& refund_id, int64_t total_fen, int64_t refund_fen, int64_t unix_s) {
  Object::Ptr t = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  t->set("mchid", k.mchid);
  t->set("out_trade_no", order_id);
  t->set("transaction_id", transaction_id);
  t->set("out_refund_no", "R-" + refund_id);
  t->set("refund_id", refund_id);
  t->set("refund_status", "SUCCESS");
  t->set("success_time", Rfc3339(static_cast<uint64_t>(unix_s) * 1000));
  t->set("user_received_account", "支付用户零钱");
  Object::Ptr amount = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  amount->set("total", total_fen);
  amount->set("refund", refund_fen);
  amount->set("payer_total", total_fen);
  amount->set("payer_refund", refund_fen);
  t->set("amount", amount);
  return Wechat(k, "REFUND.SUCCESS", "refund", "退款成功", t, unix_s);
}

SignedNotification GenericNotice(const std::string& secret, const std::string& type, const std::string& order_id,
                                 const std::string& payment_id, int64_t amount_fen, const std::string& refund_id,
                                 int64_t refund_fen, int64_t unix_s) {
  Object::Ptr n = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  n->set("event_id", "evt_" + RandomHex(8));
  n->set("type", type);
  n->set("order_id", order_id);
  n->set("payment_id", payment_id);
  n->set("amount_fen", amount_fen);
  n->set("paid_at", Rfc3339(static_cast<uint64_t>(unix_s) * 1000));
  if (!refund_id.empty()) {
    n->set("refund_id", refund_id);
    n->set("refund_fen", refund_fen);
  }
  SignedNotification out;
  out.body = Str(n);
  std::string t = std::to_string(unix_s);
  out.headers = {{"X-Signature", "t=" + t + ",v1=" + HmacSha256Hex(secret, t + "." + out.body)},
                 {"Content-Type", "application/json"}};
  return out;
}

std::pair<int, std::string> Deliver(const std::string& host, uint16_t port, const std::string& provider,
                                    const SignedNotification& n) {
  Poco::Net::HTTPClientSession s(host, port);
  Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, "/v1/callbacks/" + provider, Poco::Net::HTTPMessage::HTTP_1_1);
  for (const auto& [k, v] : n.headers) req.set(k, v);
  req.setContentLength64(static_cast<Poco::Int64>(n.body.size()));
  s.sendRequest(req) << n.body;
  Poco::Net::HTTPResponse resp;
  std::string answer;
  Poco::StreamCopier::copyToString(s.receiveResponse(resp), answer);
  return {resp.getStatus(), answer};
}

}  // namespace app::payment
