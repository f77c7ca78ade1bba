// A real authority node and a real merchant node, in this process, on loopback ports the
// OS picks, with the merchant registered and holding a number range. For end-to-end tests.
#pragma once

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "app/node/node.h"
#include "app/merchant/payment_crypto.h"
#include "app/merchant/payment_sim.h"
#include "test_util.h"

namespace app {
namespace e2e {

using Poco::JSON::Object;

inline const std::string kMerchant = "91440300MA5DQ3QP4X";
inline const std::string kSrc = EINVOICE_SOURCE_DIR;

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline Object::Ptr Parse(const std::string& s) { return Poco::JSON::Parser().parse(s).extract<Object::Ptr>(); }

using apptest::Http;

class TwoNodes : public ::testing::Test {
 protected:
  void SetUp() override {
    NodeConfig a;
    a.role = Role::kAuthority;
    a.listen_port = 0;
    a.db_path = dir_.File("authority.db");
    a.key_file = dir_.File("authority.pem");
    authority_ = std::make_unique<Node>(a, [this] { return Now(); });
    authority_->Start();
    admin_ = authority_->tokens().Create(TokenRole::kAdmin, "", "ops", 0);

    m_.role = Role::kTaxpayer;
    m_.name = "深圳市前海咖啡有限公司";
    m_.tax_id = kMerchant;
    m_.listen_port = 0;
    m_.public_url = "http://merchant.example";
    m_.db_path = dir_.File("merchant.db");
    m_.key_file = dir_.File("merchant.pem");
    m_.authority_url = authority_->BaseUrl();
    m_.authority_public_url = "http://tax.example";
    std::ofstream(dir_.File("authority.pub.pem")) << authority_->key().PublicPem();
    m_.authority_key_file = dir_.File("authority.pub.pem");
    m_.invoice_range_size = 1000;
    m_.wechat_mchid = "1900000109";
    m_.wechat_serial = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1";
    m_.wechat_public_key_file = kSrc + "/fixtures/keys/wechatpay_platform.pub.pem";
    m_.wechat_api_v3_key = "demo-api-v3-key-0123456789abcdef";
    m_.generic_secret = "whsec_demo_generic_secret";
    m_.alipay_app_id = "2021000000000001";
    m_.alipay_seller_id = "2088621000000001";
    m_.alipay_public_key_file = kSrc + "/fixtures/keys/alipay.pub.pem";
    keys_ = {m_.wechat_mchid, m_.wechat_serial, ReadFile(kSrc + "/fixtures/keys/wechatpay_platform.pem"),
             m_.wechat_api_v3_key};
    ConfigureMerchant(m_);
    merchant_ = StartTaxpayer(m_);
    token_ = merchant_->tokens().Create(TokenRole::kMerchant, kMerchant, "till", 0);
    merchant_->merchant()->PumpOnce();  // applies for numbers
    ASSERT_EQ(merchant_->merchant()->NumbersLeft(), 1000u);
  }
  // Stops the authority and starts it again on its database and port with `change` made to
  // its configuration (one authority on a database at a time).
  void RestartAuthority(const std::function<void(NodeConfig&)>& change) {
    NodeConfig a = authority_->config();
    change(a);
    authority_->Stop();
    authority_.reset();
    authority_ = std::make_unique<Node>(a, [this] { return Now(); });
    authority_->Start();
  }
  // A taxpayer node's witness key (name+id+key, type 0x04), from its /healthz.
  std::string WitnessKeyOf(Node& n) {
    return Parse(Http(n.port(), "GET", "/healthz").body)->getValue<std::string>("witness_key");
  }
  // A fixture's own settings for the merchant node, before it starts.
  virtual void ConfigureMerchant(NodeConfig&) {}
  void TearDown() override {
    if (merchant_) merchant_->Stop();
    authority_->Stop();
  }
  // Starts a taxpayer node from `config` and registers it (and its node key) at the authority.
  std::unique_ptr<Node> StartTaxpayer(const NodeConfig& config) {
    auto node = std::make_unique<Node>(config, [this] { return Now(); });
    node->Start();
    auto reg = Http(authority_->port(), "POST", "/v1/taxpayers",
                    "{\"tax_id\":\"" + config.tax_id + "\",\"name\":\"" + config.name + "\",\"node_public_key\":\"" +
                        ledger::ToHex(node->key().public_key()) + "\"}",
                    {{"Authorization", "Bearer " + admin_}});
    EXPECT_EQ(reg.status, 201) << reg.body;
    return node;
  }
  uint64_t Now() { return clock_.load(); }
  int64_t NowS() { return static_cast<int64_t>(Now() / 1000); }

  apptest::HttpResult Api(const std::string& method, const std::string& uri, const std::string& body = "") {
    return Http(merchant_->port(), method, uri, body, {{"Authorization", "Bearer " + token_}});
  }
  apptest::HttpResult Deliver(const payment::SignedNotification& n, const std::string& provider = "wechatpay") {
    return Http(merchant_->port(), "POST", "/v1/callbacks/" + provider, n.body, n.headers);
  }
  void CreateOrder(const std::string& id, int64_t gross, bool with_buyer = true) {
    std::string buyer = with_buyer ? ",\"buyer\":{\"name\":\"北京海淀科技有限公司\",\"tax_id\":\"91110108MA01G7GK9M\"}" : "";
    auto r = Api("POST", "/v1/orders",
                 "{\"order_id\":\"" + id + "\",\"items\":[{\"name\":\"拿铁咖啡\",\"quantity\":\"1\",\"unit_price_fen\":" +
                     std::to_string(gross) + ",\"gross_fen\":" + std::to_string(gross) + ",\"tax_rate\":\"0.13\"}]" +
                     buyer + "}");
    ASSERT_EQ(r.status, 201) << r.body;
  }
  Object::Ptr Order(const std::string& id) {
    auto r = Api("GET", "/v1/orders/" + id);
    EXPECT_EQ(r.status, 200) << r.body;
    return Parse(r.body);
  }
  // Waits (the pump runs in the background) until the invoice reaches `status`.
  Object::Ptr WaitInvoice(const std::string& no, const std::string& status) {
    Object::Ptr inv;
    for (int i = 0; i < 200; ++i) {
      auto r = Api("GET", "/v1/invoices/" + no);
      if (r.status == 200) {
        inv = Parse(r.body);
        if (inv->getValue<std::string>("status") == status) return inv;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    ADD_FAILURE() << "invoice " << no << " never became " << status;
    return inv;
  }
  // Pays orders "<prefix><i>" for i in [first, first + count) and waits (30 s at most) until
  // the merchant has `first + count` invoices sealed.
  void PayMany(const std::string& prefix, int first, int count) {
    for (int i = first; i < first + count; ++i) {
      std::string id = prefix + std::to_string(i);
      CreateOrder(id, 1000 + i);
      ASSERT_EQ(Deliver(payment::WechatTransaction(keys_, id, "42" + id, 1000 + i, NowS())).status, 204);
    }
    for (int k = 0; k < 600 && merchant_->merchant()->counters().sealed < static_cast<uint64_t>(first + count); ++k)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_EQ(merchant_->merchant()->counters().sealed, static_cast<uint64_t>(first + count));
  }
  std::string BlueOf(const std::string& order_id) {
    auto invs = Order(order_id)->getArray("invoices");
    return invs->size() ? invs->getObject(0)->getValue<std::string>("invoice_no") : "";
  }
  // Waits until `node`'s replica holds the authority's head (the chain may grow meanwhile).
  void WaitLevel(Node& node) {
    auto want = authority_->store().Head()->header;
    for (int i = 0; i < 1200; ++i) {  // 30 s: ctest runs the cluster tests beside these
      auto held = node.store().BlockAt(want.height);
      if (held.ok() && held->header == want) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    FAIL() << node.config().name << " never reached height " << want.height;
  }
  size_t InvoiceCount() { return Parse(Api("GET", "/v1/invoices?limit=1000").body)->getArray("invoices")->size(); }

  apptest::TempDir dir_;
  std::atomic<uint64_t> clock_{1795483800000};
  std::unique_ptr<Node> authority_, merchant_;
  NodeConfig m_;
  payment::WechatSimKeys keys_;
  std::string admin_, token_;
};

inline void ExpectError(const apptest::HttpResult& r, int status, const std::string& code) {
  EXPECT_EQ(r.status, status) << r.body;
  auto o = Parse(r.body);
  ASSERT_TRUE(o->has("error")) << r.body;
  EXPECT_EQ(o->getObject("error")->getValue<std::string>("code"), code) << r.body;
}


}  // namespace e2e
}  // namespace app
