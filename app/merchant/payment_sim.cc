#include "app/merchant/payment_sim.h"

#include <Poco/JSON/Object.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <sstream>

#include "app/chain/chain_json.h"
#include "app/merchant/payment_crypto.h"

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
