// einvoice simulate-payment: a correctly signed payment or refund notification for a
// merchant node, printed or sent; uses the test platform key named in the node's config.
#include <Poco/Util/PropertyFileConfiguration.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "app/cli/cli.h"
#include "app/base/text_file.h"
#include "app/node/config.h"
#include "app/node/node.h"
#include "app/merchant/payment_sim.h"

namespace app::cli {
namespace {

int Simulate(const Args& a) {
  Poco::AutoPtr<Poco::Util::PropertyFileConfiguration> props(new Poco::Util::PropertyFileConfiguration(a.at("config")));
  NodeConfig cfg = ReadNodeConfig(*props);
  ledger::UseSuite(cfg.suite);
  std::string provider = a.count("provider") ? a.at("provider") : "wechatpay";
  int64_t amount = std::stoll(a.at("amount-fen"));
  int64_t refund = a.count("refund-fen") ? std::stoll(a.at("refund-fen")) : 0;
  std::string order = a.at("order"), txn = a.count("transaction") ? a.at("transaction") : "4200" + order;
  std::string refund_id = a.count("refund-id") ? a.at("refund-id") : "5030" + order;
  int64_t now = static_cast<int64_t>(SystemClockMs() / 1000);
  payment::SignedNotification n;
  if (provider == "wechatpay") {
    std::string key = ReadTextFile(cfg.wechat_private_key_file);
    if (key.empty()) throw std::runtime_error("payment.wechatpay.platform_private_key_file is not readable");
    payment::WechatSimKeys k{cfg.wechat_mchid, cfg.wechat_serial, key, cfg.wechat_api_v3_key};
    n = refund ? payment::WechatRefund(k, order, txn, refund_id, amount, refund, now)
               : payment::WechatTransaction(k, order, txn, amount, now);
  } else if (provider == "alipay") {
    std::string key = ReadTextFile(cfg.alipay_private_key_file);
    if (key.empty()) throw std::runtime_error("payment.alipay.private_key_file is not readable");
    payment::AlipaySimKeys k{cfg.alipay_app_id, cfg.alipay_seller_id, key};
    // An Alipay refund notice carries the trade's refunded total: --refund-fen is that total.
    n = refund ? payment::AlipayRefund(k, order, txn, refund_id, amount, refund, now)
               : payment::AlipayPayment(k, order, txn, amount, now);
  } else if (provider == "generic") {
    n = refund ? payment::GenericNotice(cfg.generic_secret, "refund.succeeded", order, txn, amount, refund_id, refund, now)
               : payment::GenericNotice(cfg.generic_secret, "payment.succeeded", order, txn, amount, "", 0, now);
  } else {
    std::cerr << "einvoice simulate-payment: --provider is wechatpay, alipay or generic\n";
    return 2;
  }
  if (!a.count("send")) {
    for (const auto& [k, v] : n.headers) std::cout << k << ": " << v << "\n";
    std::cout << "\n" << n.body << "\n";
    return 0;
  }
  auto [status, answer] = payment::Deliver(cfg.listen_host, static_cast<uint16_t>(cfg.listen_port), provider, n);
  std::cout << status << "\n" << answer << (answer.empty() ? "" : "\n");
  return status / 100 == 2 ? 0 : 1;
}

}  // namespace

void AddPaymentVerbs(std::vector<Verb>& verbs) {
  Verb v{"simulate-payment", "build (and with --send, deliver) a signed payment or refund notification",
         "--config NODE.properties --order ID --amount-fen N [--refund-fen N] [--provider wechatpay|alipay|generic] [--send]", {},
         Simulate};
  v.options.addOption(Required("config", "FILE", "the merchant node's properties (payment settings, listen address)"));
  v.options.addOption(Required("order", "ID", "the order id (out_trade_no)"));
  v.options.addOption(Required("amount-fen", "N", "the paid amount (the order total)"));
  v.options.addOption(Optional("refund-fen", "N", "make it a refund of N fen"));
  v.options.addOption(Optional("refund-id", "ID", "the refund's id (default derived from the order)"));
  v.options.addOption(Optional("transaction", "ID", "the payment's transaction id (default derived from the order)"));
  v.options.addOption(Optional("provider", "P", "wechatpay (default), alipay or generic"));
  v.options.addOption(Flag("send", "deliver it to the node instead of printing it"));
  verbs.push_back(std::move(v));
}

}  // namespace app::cli
