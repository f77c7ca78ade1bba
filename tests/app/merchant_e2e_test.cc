// From payment callback to sealed invoice, over real HTTP between a real authority node and
// a real merchant node (both on loopback ports the OS picks).
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "app/node.h"
#include "app/payment_crypto.h"
#include "app/payment_sim.h"
#include "ledger/verifier.h"
#include "test_util.h"

namespace app {
namespace {

using Poco::JSON::Object;

const std::string kMerchant = "91440300MA5DQ3QP4X";
const std::string kSrc = EINVOICE_SOURCE_DIR;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Object::Ptr Parse(const std::string& s) { return Poco::JSON::Parser().parse(s).extract<Object::Ptr>(); }

apptest::HttpResult Http(uint16_t port, const std::string& method, const std::string& uri, const std::string& body,
                         const std::map<std::string, std::string>& headers) {
  Poco::Net::HTTPClientSession s("127.0.0.1", port);
  Poco::Net::HTTPRequest req(method, uri, Poco::Net::HTTPMessage::HTTP_1_1);
  for (const auto& [k, v] : headers) req.set(k, v);
  if (!body.empty() || method == "POST") req.setContentLength64(static_cast<Poco::Int64>(body.size()));
  s.sendRequest(req) << body;
  Poco::Net::HTTPResponse resp;
  std::istream& in = s.receiveResponse(resp);
  apptest::HttpResult r;
  r.status = resp.getStatus();
  r.content_type = resp.getContentType();
  Poco::StreamCopier::copyToString(in, r.body);
  return r;
}

class MerchantE2E : public ::testing::Test {
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
    keys_ = {m_.wechat_mchid, m_.wechat_serial, ReadFile(kSrc + "/fixtures/keys/wechatpay_platform.pem"),
             m_.wechat_api_v3_key};
    merchant_ = std::make_unique<Node>(m_, [this] { return Now(); });
    merchant_->Start();
    auto reg = Http(authority_->port(), "POST", "/v1/taxpayers",
                    "{\"tax_id\":\"" + kMerchant + "\",\"name\":\"" + m_.name + "\",\"node_public_key\":\"" +
                        ledger::ToHex(merchant_->key().public_key()) + "\"}",
                    {{"Authorization", "Bearer " + admin_}});
    ASSERT_EQ(reg.status, 201) << reg.body;
    token_ = merchant_->tokens().Create(TokenRole::kMerchant, kMerchant, "till", 0);
    merchant_->merchant()->PumpOnce();  // applies for numbers
    ASSERT_EQ(merchant_->merchant()->NumbersLeft(), 1000u);
  }
  void TearDown() override {
    if (merchant_) merchant_->Stop();
    authority_->Stop();
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
  std::string BlueOf(const std::string& order_id) {
    auto invs = Order(order_id)->getArray("invoices");
    return invs->size() ? invs->getObject(0)->getValue<std::string>("invoice_no") : "";
  }
  size_t InvoiceCount() { return Parse(Api("GET", "/v1/invoices?limit=1000").body)->getArray("invoices")->size(); }

  apptest::TempDir dir_;
  std::atomic<uint64_t> clock_{1795483800000};
  std::unique_ptr<Node> authority_, merchant_;
  NodeConfig m_;
  payment::WechatSimKeys keys_;
  std::string admin_, token_;
};

void ExpectError(const apptest::HttpResult& r, int status, const std::string& code) {
  EXPECT_EQ(r.status, status) << r.body;
  auto o = Parse(r.body);
  ASSERT_TRUE(o->has("error")) << r.body;
  EXPECT_EQ(o->getObject("error")->getValue<std::string>("code"), code) << r.body;
}

TEST_F(MerchantE2E, WechatPaymentBecomesASealedInvoiceExactlyOnce) {
  CreateOrder("ORD-1", 140950);
  auto n = payment::WechatTransaction(keys_, "ORD-1", "4200000001", 140950, NowS());
  for (int i = 0; i < 10; ++i) EXPECT_EQ(Deliver(n).status, 204) << i;
  std::string no = BlueOf("ORD-1");
  ASSERT_EQ(no.size(), 20u);
  auto inv = WaitInvoice(no, "sealed");
  EXPECT_EQ(inv->getValue<std::string>("color"), "blue");
  EXPECT_EQ(inv->getValue<int64_t>("total_fen"), 140950);
  EXPECT_EQ(inv->getValue<int64_t>("tax_fen"), 16215);
  EXPECT_EQ(inv->getValue<std::string>("total_in_words"), "壹仟肆佰零玖元伍角");
  EXPECT_EQ(inv->getValue<std::string>("payment_id"), "4200000001");
  EXPECT_EQ(inv->getObject("buyer")->getValue<std::string>("tax_id"), "91110108MA01G7GK9M");
  std::string leaf = inv->getObject("ledger")->getValue<std::string>("leaf_hash");
  EXPECT_EQ(inv->getValue<std::string>("qr_url"), "http://tax.example/r/" + no + "?h=" + leaf.substr(0, 16) + "&a=1409.50");
  EXPECT_EQ(Order("ORD-1")->getValue<std::string>("status"), "invoiced");
  EXPECT_EQ(InvoiceCount(), 1u);
  // The authority holds exactly this entry, provably.
  auto proof = Http(authority_->port(), "GET", "/v1/proofs/inclusion?leaf_hash=" + leaf, "", {});
  EXPECT_EQ(proof.status, 200) << proof.body;
  // Documents.
  auto xml = Api("GET", "/v1/invoices/" + no + ".xml");
  EXPECT_EQ(xml.status, 200);
  EXPECT_NE(xml.body.find("<InvoiceNumber>" + no + "</InvoiceNumber>"), std::string::npos);
  EXPECT_NE(Api("GET", "/v1/invoices/" + no + ".ubl.xml").body.find("<cbc:InvoiceTypeCode>380<"), std::string::npos);
  auto png = Api("GET", "/v1/invoices/" + no + ".png");
  EXPECT_EQ(png.content_type, "image/png");
  EXPECT_EQ(png.body.substr(1, 3), "PNG");
  EXPECT_EQ(Api("GET", "/v1/invoices/" + no + ".svg").body.substr(0, 4), "<svg");
  // The same payment through the generic provider is a duplicate too.
  auto g = payment::GenericNotice(m_.generic_secret, "payment.succeeded", "ORD-1", "4200000001", 140950, "", 0, NowS());
  EXPECT_EQ(Deliver(g, "generic").status, 204);
  EXPECT_EQ(InvoiceCount(), 1u);
}

TEST_F(MerchantE2E, BadNotificationsAreRefusedAndRecordNothing) {
  CreateOrder("ORD-2", 3200);
  auto good = payment::WechatTransaction(keys_, "ORD-2", "4200000002", 3200, NowS());
  auto tampered = good;
  tampered.body.replace(tampered.body.find("\"summary\""), 9, "\"Summary\"");
  ExpectError(Deliver(tampered), 401, "invalid_signature");
  auto stale = payment::WechatTransaction(keys_, "ORD-2", "4200000002", 3200, NowS() - 301);
  ExpectError(Deliver(stale), 401, "stale_timestamp");
  auto future = payment::WechatTransaction(keys_, "ORD-2", "4200000002", 3200, NowS() + 301);
  ExpectError(Deliver(future), 401, "stale_timestamp");
  auto wrong_serial = good;
  wrong_serial.headers["Wechatpay-Serial"] = "0000";
  ExpectError(Deliver(wrong_serial), 401, "unknown_serial");
  auto no_headers = good;
  no_headers.headers.erase("Wechatpay-Signature");
  ExpectError(Deliver(no_headers), 401, "missing_signature");
  auto wrong_key = keys_;
  wrong_key.api_v3_key = "another-api-v3-key-0123456789abc";
  ExpectError(Deliver(payment::WechatTransaction(wrong_key, "ORD-2", "4200000002", 3200, NowS())), 400,
              "undecryptable_resource");
  ExpectError(Deliver(payment::WechatTransaction(keys_, "ORD-2", "4200000002", 3201, NowS())), 422, "amount_mismatch");
  ExpectError(Deliver(payment::WechatTransaction(keys_, "ORD-404", "4200000003", 3200, NowS())), 404, "unknown_order");
  auto other_mch = keys_;
  other_mch.mchid = "1900000999";
  ExpectError(Deliver(payment::WechatTransaction(other_mch, "ORD-2", "4200000002", 3200, NowS())), 422, "wrong_merchant");
  // Malformed JSON, correctly signed.
  payment::SignedNotification junk = good;
  junk.body = "{not json";
  std::string ts = std::to_string(NowS());
  junk.headers["Wechatpay-Timestamp"] = ts;
  junk.headers["Wechatpay-Signature"] =
      payment::SignRsaSha256(keys_.private_key_pem, ts + "\n" + junk.headers["Wechatpay-Nonce"] + "\n" + junk.body + "\n");
  ExpectError(Deliver(junk), 400, "malformed_json");
  auto huge = good;
  huge.body = std::string(2 << 20, ' ');
  ExpectError(Deliver(huge), 413, "body_too_large");
  // Generic provider: bad HMAC, stale.
  auto gen = payment::GenericNotice(m_.generic_secret, "payment.succeeded", "ORD-2", "P-2", 3200, "", 0, NowS());
  auto bad_hmac = gen;
  bad_hmac.headers["X-Signature"] = "t=" + std::to_string(NowS()) + ",v1=" + std::string(64, '0');
  ExpectError(Deliver(bad_hmac, "generic"), 401, "invalid_signature");
  ExpectError(Deliver(payment::GenericNotice(m_.generic_secret, "payment.succeeded", "ORD-2", "P-2", 3200, "", 0, NowS() - 400),
                      "generic"),
              401, "stale_timestamp");
  // Nothing was recorded.
  EXPECT_EQ(Order("ORD-2")->getValue<std::string>("status"), "created");
  EXPECT_EQ(InvoiceCount(), 0u);
  auto metrics = Http(merchant_->port(), "GET", "/metrics", "", {}).body;
  EXPECT_NE(metrics.find("einvoice_callbacks_rejected_total{provider=\"wechatpay\",reason=\"invalid_signature\"} 1"),
            std::string::npos)
      << metrics;
  // And the good one still works.
  EXPECT_EQ(Deliver(good).status, 204);
  EXPECT_EQ(Order("ORD-2")->getValue<std::string>("status"), "invoiced");
}

TEST_F(MerchantE2E, RefundIssuesARedInvoice) {
  CreateOrder("ORD-3", 10000);
  ASSERT_EQ(Deliver(payment::WechatTransaction(keys_, "ORD-3", "4200000004", 10000, NowS())).status, 204);
  std::string blue = BlueOf("ORD-3");
  WaitInvoice(blue, "sealed");
  auto refund = payment::WechatRefund(keys_, "ORD-3", "4200000004", "50300001", 10000, 2500, NowS());
  EXPECT_EQ(Deliver(refund).status, 204);
  EXPECT_EQ(Deliver(refund).status, 204);  // again: nothing new
  auto invs = Order("ORD-3")->getArray("invoices");
  ASSERT_EQ(invs->size(), 2u);
  std::string red = invs->getObject(1)->getValue<std::string>("invoice_no");
  auto inv = WaitInvoice(red, "sealed");
  EXPECT_EQ(inv->getValue<std::string>("color"), "red");
  EXPECT_EQ(inv->getValue<int64_t>("total_fen"), -2500);
  EXPECT_EQ(inv->getValue<std::string>("original_no"), blue);
  EXPECT_NE(Api("GET", "/v1/invoices/" + red + ".ubl.xml").body.find("<cbc:CreditNoteTypeCode>381<"), std::string::npos);
  // The rest through the generic provider: the order is refunded, the original fully reversed.
  auto rest = payment::GenericNotice(m_.generic_secret, "refund.succeeded", "ORD-3", "4200000004", 10000, "R-2", 7500, NowS());
  EXPECT_EQ(Deliver(rest, "generic").status, 204);
  EXPECT_EQ(Order("ORD-3")->getValue<std::string>("status"), "refunded");
  ExpectError(Deliver(payment::GenericNotice(m_.generic_secret, "refund.succeeded", "ORD-3", "4200000004", 10000, "R-3", 1,
                                             NowS()),
                      "generic"),
              422, "refund_exceeds_payment");
  auto blue_inv = WaitInvoice(blue, "sealed");
  EXPECT_EQ(blue_inv->getArray("reversals")->size(), 2u);
}

TEST_F(MerchantE2E, BuyerWithoutTitleGetsAnApplicationLink) {
  CreateOrder("ORD-4", 5000, false);
  ASSERT_EQ(Deliver(payment::WechatTransaction(keys_, "ORD-4", "4200000005", 5000, NowS())).status, 204);
  auto order = Order("ORD-4");
  EXPECT_EQ(order->getValue<std::string>("status"), "paid");
  std::string url = order->getValue<std::string>("apply_url");
  ASSERT_EQ(url.rfind("http://merchant.example/apply/", 0), 0u) << url;
  EXPECT_EQ(order->getArray("invoices")->size(), 0u);
  ASSERT_TRUE(merchant_->merchant()->ApplyBuyer(url.substr(url.rfind('/') + 1), {"张三", "", "zhangsan@example.com"}));
  EXPECT_FALSE(merchant_->merchant()->ApplyBuyer(url.substr(url.rfind('/') + 1), {"李四", "", ""}));  // only once
  std::string no = BlueOf("ORD-4");
  auto inv = WaitInvoice(no, "sealed");
  EXPECT_EQ(inv->getObject("buyer")->getValue<std::string>("name"), "张三");
  EXPECT_FALSE(Order("ORD-4")->has("apply_url"));
}

TEST_F(MerchantE2E, AuthorityDownThenUpLosesNothing) {
  CreateOrder("ORD-5", 1200);
  CreateOrder("ORD-6", 1300);
  authority_->Stop();
  EXPECT_EQ(Deliver(payment::WechatTransaction(keys_, "ORD-5", "4200000006", 1200, NowS())).status, 204);
  EXPECT_EQ(Deliver(payment::WechatTransaction(keys_, "ORD-6", "4200000007", 1300, NowS())).status, 204);
  EXPECT_EQ(WaitInvoice(BlueOf("ORD-5"), "pending")->getValue<std::string>("status"), "pending");
  authority_->Start();
  merchant_->merchant()->PumpOnce();
  WaitInvoice(BlueOf("ORD-5"), "sealed");
  WaitInvoice(BlueOf("ORD-6"), "sealed");
}

TEST_F(MerchantE2E, OrdersAndTokensAreChecked) {
  ExpectError(Http(merchant_->port(), "POST", "/v1/orders", "{}", {}), 401, "unauthenticated");
  std::string other = merchant_->tokens().Create(TokenRole::kMerchant, "91310115MA1K4BHY14", "x", 0);
  ExpectError(Http(merchant_->port(), "GET", "/v1/orders/ORD-1", "", {{"Authorization", "Bearer " + other}}), 403, "forbidden");
  ExpectError(Api("POST", "/v1/orders", "{\"order_id\":\"A\",\"items\":[]}"), 422, "missing_field");
  ExpectError(Api("POST", "/v1/orders",
                  "{\"order_id\":\"A\",\"items\":[{\"name\":\"x\",\"quantity\":\"1\",\"unit_price_fen\":100,"
                  "\"gross_fen\":100.5,\"tax_rate\":\"0.13\"}]}"),
              400, "invalid_field");
  ExpectError(Api("POST", "/v1/orders",
                  "{\"order_id\":\"A\",\"items\":[{\"name\":\"x\",\"quantity\":\"2\",\"unit_price_fen\":100,"
                  "\"gross_fen\":100,\"tax_rate\":\"0.13\"}]}"),
              422, "amount_mismatch");
  ExpectError(Api("POST", "/v1/orders",
                  "{\"order_id\":\"A\",\"items\":[{\"name\":\"x\",\"quantity\":\"1\",\"unit_price_fen\":100,"
                  "\"gross_fen\":100,\"tax_rate\":\"0.17\"}]}"),
              422, "invalid_tax_rate");
  ExpectError(Api("POST", "/v1/orders",
                  "{\"order_id\":\"A\",\"buyer\":{\"name\":\"b\",\"tax_id\":\"91110108MA01G7GK9N\"},\"items\":[{\"name\":"
                  "\"x\",\"quantity\":\"1\",\"unit_price_fen\":100,\"gross_fen\":100,\"tax_rate\":\"0.13\"}]}"),
              422, "invalid_tax_id");
  CreateOrder("ORD-7", 100);
  ExpectError(Api("POST", "/v1/orders",
                  "{\"order_id\":\"ORD-7\",\"items\":[{\"name\":\"x\",\"quantity\":\"1\",\"unit_price_fen\":100,"
                  "\"gross_fen\":100,\"tax_rate\":\"0.13\"}]}"),
              409, "duplicate_order");
  ExpectError(Api("GET", "/v1/orders/NOPE"), 404, "not_found");
  ExpectError(Api("GET", "/v1/invoices/26441000000000099999"), 404, "not_found");
  ExpectError(Api("GET", "/v1/invoices?status=lost"), 400, "invalid_parameter");
  ExpectError(Api("GET", "/v1/invoices?from=yesterday"), 400, "invalid_parameter");
}

}  // namespace
}  // namespace app
