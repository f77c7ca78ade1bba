// Alipay's asynchronous notifications (POST /v1/callbacks/alipay), built by an independent
// implementation of Alipay's signing rules (tests/app/alipay/notify.py, Python's
// cryptography): a payment issues the invoice and is answered `success`; a tampered one, one
// signed with another key, one for another app id or seller change nothing; a replayed one
// changes nothing and is answered `success` again; a refund issues the red invoice.
#include <gtest/gtest.h>

#include <cstdio>

#include "two_nodes.h"

namespace app {
namespace e2e {
namespace {

// The form body notify.py prints for `params`, signed with `key_file`.
std::string PythonNotify(const std::string& key_file, const std::vector<std::string>& params) {
  std::string cmd = "/usr/bin/python3 " + kSrc + "/tests/app/alipay/notify.py '" + key_file + "'";
  for (const auto& p : params) cmd += " '" + p + "'";
  FILE* f = ::popen(cmd.c_str(), "r");
  EXPECT_NE(f, nullptr);
  std::string out;
  char buf[4096];
  for (size_t n; f && (n = std::fread(buf, 1, sizeof buf, f)) > 0;) out.append(buf, n);
  EXPECT_EQ(f ? ::pclose(f) : -1, 0) << cmd;
  return out;
}

class Alipay : public TwoNodes {
 protected:
  apptest::HttpResult Post(const std::string& body) {
    return Http(merchant_->port(), "POST", "/v1/callbacks/alipay", body,
                {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}});
  }
  std::vector<std::string> Payment(const std::string& order, const std::string& trade_no, const std::string& amount,
                                   const std::string& app_id = "2021000000000001") {
    return {"app_id=" + app_id, "seller_id=2088621000000001", "charset=utf-8", "version=1.0",
            "notify_type=trade_status_sync", "notify_id=ac05099524730693a8b330c5ecf72da9786",
            "notify_time=2026-11-30 09:53:12", "out_trade_no=" + order, "trade_no=" + trade_no,
            "trade_status=TRADE_SUCCESS", "total_amount=" + amount, "receipt_amount=" + amount,
            "buyer_id=2088102177846875", "subject=拿铁咖啡 订单", "gmt_payment=2026-11-30 09:53:10",
            "fund_bill_list=[{\"amount\":\"" + amount + "\",\"fundChannel\":\"ALIPAYACCOUNT\"}]"};
  }
  const std::string alipay_key_ = kSrc + "/fixtures/keys/alipay.pem";
};

TEST_F(Alipay, APaymentSignedAsAlipayDoesIssuesTheInvoiceAndForgeriesChangeNothing) {
  CreateOrder("ORD-A1", 3200);
  // Forgeries first: none may pay the order.
  std::string good = PythonNotify(alipay_key_, Payment("ORD-A1", "2026113022001400001", "32.00"));
  std::string tampered = good;
  tampered.replace(tampered.find("total_amount=32.00"), 18, "total_amount=31.00");
  auto r = Post(tampered);
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_NE(r.body, "success");
  // Signed with another RSA key (the WeChat Pay test key stands in for a stranger's).
  r = Post(PythonNotify(kSrc + "/fixtures/keys/wechatpay_platform.pem", Payment("ORD-A1", "2026113022001400001", "32.00")));
  EXPECT_EQ(r.status, 401) << r.body;
  // Correctly signed, but for another application.
  r = Post(PythonNotify(alipay_key_, Payment("ORD-A1", "2026113022001400001", "32.00", "2021000000000999")));
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_NE(r.body.find("wrong_app"), std::string::npos);
  // Another seller.
  auto other_seller = Payment("ORD-A1", "2026113022001400001", "32.00");
  other_seller[1] = "seller_id=2088000000000000";
  r = Post(PythonNotify(alipay_key_, other_seller));
  EXPECT_EQ(r.status, 422) << r.body;
  // A parameter given twice is ambiguous to verify: refused.
  r = Post(good + "&total_amount=1.00");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(Order("ORD-A1")->getValue<std::string>("status"), "created") << "a forgery paid the order";

  // The genuine one: answered `success` once recorded, and the invoice is issued.
  r = Post(good);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "success");
  EXPECT_EQ(Order("ORD-A1")->getValue<std::string>("payment_id"), "2026113022001400001");
  auto inv = WaitInvoice(BlueOf("ORD-A1"), "sealed");
  EXPECT_EQ(inv->getValue<int64_t>("total_fen"), 3200);
  // Replayed (Alipay retries until it reads success): success again, nothing changes.
  r = Post(good);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "success");
  EXPECT_EQ(Order("ORD-A1")->getArray("invoices")->size(), 1u);
  // TRADE_FINISHED for the same trade (Alipay sends it when refunds are no longer possible).
  auto finished = Payment("ORD-A1", "2026113022001400001", "32.00");
  finished[9] = "trade_status=TRADE_FINISHED";
  r = Post(PythonNotify(alipay_key_, finished));
  EXPECT_EQ(r.body, "success");
  EXPECT_EQ(Order("ORD-A1")->getArray("invoices")->size(), 1u);
  // A wrong amount for another order: refused, nothing recorded.
  CreateOrder("ORD-A2", 1000);
  r = Post(PythonNotify(alipay_key_, Payment("ORD-A2", "2026113022001400002", "9.99")));
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(Order("ORD-A2")->getValue<std::string>("status"), "created");
}

TEST_F(Alipay, RefundNotificationsIssueRedInvoicesFromTheRefundedTotal) {
  CreateOrder("ORD-R1", 10000);
  ASSERT_EQ(Post(PythonNotify(alipay_key_, Payment("ORD-R1", "2026113022001400009", "100.00"))).body, "success");
  WaitInvoice(BlueOf("ORD-R1"), "sealed");
  auto refund = [&](const std::string& request, const std::string& total, const std::string& status) {
    return PythonNotify(alipay_key_, {"app_id=2021000000000001", "seller_id=2088621000000001", "charset=utf-8",
                                      "notify_type=trade_status_sync", "notify_id=1", "out_trade_no=ORD-R1",
                                      "trade_no=2026113022001400009", "out_biz_no=" + request, "trade_status=" + status,
                                      "total_amount=100.00", "refund_fee=" + total,
                                      "gmt_refund=2026-11-30 10:00:00.000"});
  };
  // A first refund of 30.00, then a second bringing the refunded total to 100.00.
  std::string first = refund("RF-1", "30.00", "TRADE_SUCCESS");
  ASSERT_EQ(Post(first).body, "success");
  ASSERT_EQ(Post(refund("RF-2", "100.00", "TRADE_CLOSED")).body, "success");
  EXPECT_EQ(Post(first).body, "success");  // replayed: nothing more
  auto order = Order("ORD-R1");
  EXPECT_EQ(order->getValue<int64_t>("refunded_fen"), 10000);
  EXPECT_EQ(order->getValue<std::string>("status"), "refunded");
  auto invoices = order->getArray("invoices");
  ASSERT_EQ(invoices->size(), 3u);
  int64_t red = 0;
  for (size_t i = 1; i < invoices->size(); ++i) {
    auto inv = WaitInvoice(invoices->getObject(i)->getValue<std::string>("invoice_no"), "sealed");
    EXPECT_EQ(inv->getValue<std::string>("color"), "red");
    red += inv->getValue<int64_t>("total_fen");
  }
  EXPECT_EQ(red, -10000);
  // The trade's later TRADE_FINISHED notice carries its refund_fee but no refund request: it
  // is about the payment, acknowledged, and changes nothing.
  auto finished = Payment("ORD-R1", "2026113022001400009", "100.00");
  finished[9] = "trade_status=TRADE_FINISHED";
  finished.push_back("refund_fee=100.00");
  EXPECT_EQ(Post(PythonNotify(alipay_key_, finished)).body, "success");
  EXPECT_EQ(Order("ORD-R1")->getArray("invoices")->size(), 3u);
  // A refunded total beyond the payment is refused.
  auto r = Post(refund("RF-3", "100.01", "TRADE_CLOSED"));
  EXPECT_EQ(r.status, 422) << r.body;
}

}  // namespace
}  // namespace e2e
}  // namespace app
