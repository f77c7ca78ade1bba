// From payment callback to sealed invoice, over real HTTP between a real authority node and
// a real merchant node (both on loopback ports the OS picks).
#include "two_nodes.h"

namespace app {
namespace e2e {
namespace {

using MerchantE2E = TwoNodes;

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
  // The authority shows any invoice to auditors, with its live reimbursement state.
  std::string auditor = authority_->tokens().Create(TokenRole::kAuditor, "", "bureau", 0);
  auto at_authority = Http(authority_->port(), "GET", "/v1/invoices/" + no, "", {{"Authorization", "Bearer " + auditor}});
  ASSERT_EQ(at_authority.status, 200) << at_authority.body;
  auto a = Parse(at_authority.body);
  EXPECT_EQ(a->getObject("ledger")->getValue<std::string>("leaf_hash"), leaf);
  EXPECT_EQ(a->getValue<std::string>("reimbursement"), "none");
  EXPECT_EQ(Http(authority_->port(), "GET", "/v1/invoices/" + no, "", {}).status, 401);
  EXPECT_EQ(Http(authority_->port(), "GET", "/v1/invoices/26441000000000099999", "", {{"Authorization", "Bearer " + auditor}}).status,
            404);
  auto metrics = Http(merchant_->port(), "GET", "/metrics", "", {}).body;
  EXPECT_NE(metrics.find("einvoice_invoices_issued_total 1\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("einvoice_invoices{status=\"sealed\"} 1\n"), std::string::npos) << metrics;
  // The same payment through the generic provider is a duplicate too.
  auto g = payment::GenericNotice(m_.generic_secret, "payment.succeeded", "ORD-1", "4200000001", 140950, "", 0, NowS());
  EXPECT_EQ(Deliver(g, "generic").status, 204);
  EXPECT_EQ(InvoiceCount(), 1u);
}

// The QR code, read from its PNG, leads to the authority's public check.
TEST_F(MerchantE2E, QrCodeOpensThePublicCheck) {
  CreateOrder("ORD-Q", 140950);
  ASSERT_EQ(Deliver(payment::WechatTransaction(keys_, "ORD-Q", "4200000401", 140950, NowS())).status, 204);
  std::string no = BlueOf("ORD-Q");
  WaitInvoice(no, "sealed");
  auto png = Api("GET", "/v1/invoices/" + no + ".png");
  std::ofstream(dir_.File("qr.png"), std::ios::binary) << png.body;
  // zbarimg complains about D-Bus on stderr: a subshell keeps that out of the output.
  auto scan = apptest::RunCommand("(zbarimg --quiet --raw " + dir_.File("qr.png") + " 2>/dev/null)");
  ASSERT_EQ(scan.exit_code, 0) << scan.output;
  std::string url = scan.output.substr(0, scan.output.find('\n'));
  ASSERT_EQ(url.rfind("http://tax.example/r/" + no + "?h=", 0), 0u) << url;
  std::string path = url.substr(std::string("http://tax.example").size());
  auto page = Http(authority_->port(), "GET", path);
  EXPECT_EQ(page.status, 200) << page.body;
  EXPECT_NE(page.body.find("真票"), std::string::npos);
  EXPECT_NE(page.body.find("深圳市前海咖啡有限公司"), std::string::npos);
  EXPECT_NE(page.body.find("壹仟肆佰零玖元伍角"), std::string::npos);
  EXPECT_NE(page.body.find("<td id=\"reimbursement\">未报销</td>"), std::string::npos);
  EXPECT_EQ(page.body.find("91110108MA01G7GK9M"), std::string::npos) << "the buyer's tax id is private";
  EXPECT_EQ(page.body.find("拿铁咖啡"), std::string::npos) << "the lines are private";
  std::string h = path.substr(path.find("h=") + 2, 16);
  std::string wrong_h = path;
  wrong_h[wrong_h.find("h=") + 2] = h[0] == '0' ? '1' : '0';
  for (const std::string& bad : {wrong_h, "/r/" + no + "?h=" + h + "&a=1409.51", "/r/" + no + "?h=" + h,
                                 "/r/26441000000000099999?h=" + h + "&a=1409.50"}) {
    auto r = Http(authority_->port(), "GET", bad);
    EXPECT_EQ(r.status, 404) << bad;
    EXPECT_NE(r.body.find("非真票"), std::string::npos) << bad;
  }
  // A partial refund shows on the check.
  ASSERT_EQ(Deliver(payment::WechatRefund(keys_, "ORD-Q", "4200000401", "50300401", 140950, 950, NowS())).status, 204);
  WaitInvoice(Order("ORD-Q")->getArray("invoices")->getObject(1)->getValue<std::string>("invoice_no"), "sealed");
  page = Http(authority_->port(), "GET", path);
  EXPECT_NE(page.body.find("已被红字发票冲销 ¥9.50，剩余 ¥1400.00"), std::string::npos) << page.body;
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
}  // namespace e2e
}  // namespace app
