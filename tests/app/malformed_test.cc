// Every endpoint against malformed input: the answer is the contract's error body (never a
// 500 or 503), and neither node's database changes. Bodies are signed correctly where the
// endpoint checks signatures, so that the garbage reaches the parsers behind them.
#include <sqlite3.h>

#include "ledger/hash.h"
#include "two_nodes.h"

namespace app {
namespace e2e {
namespace {

// A digest of every row of every table: equal digests, unchanged database.
std::string DbDigest(const std::string& path) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  std::vector<std::string> tables;
  sqlite3_stmt* s;
  sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", -1, &s, nullptr);
  while (sqlite3_step(s) == SQLITE_ROW) tables.push_back(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
  sqlite3_finalize(s);
  std::string all;
  for (const auto& t : tables) {
    // The authority's audit trail records refused submissions on purpose (tax/README.md, "The audit trail").
    if (t.rfind("audit_", 0) == 0) continue;
    sqlite3_prepare_v2(db, ("SELECT * FROM \"" + t + "\"").c_str(), -1, &s, nullptr);
    std::vector<std::string> rows;
    while (sqlite3_step(s) == SQLITE_ROW) {
      std::string row;
      for (int c = 0; c < sqlite3_column_count(s); ++c) {
        const void* p = sqlite3_column_blob(s, c);
        row.append(p ? static_cast<const char*>(p) : "<null>", p ? sqlite3_column_bytes(s, c) : 6);
        row += '\x1f';
      }
      rows.push_back(row);
    }
    sqlite3_finalize(s);
    std::sort(rows.begin(), rows.end());
    all += t + ":";
    for (const auto& r : rows) all += r + "\x1e";
  }
  sqlite3_close(db);
  return ledger::Sha256(ledger::AsBytes(all)).Hex();
}

std::vector<std::string> Garbage() {
  std::vector<std::string> g = {"", "{", "}", "[]", "null", "0", "\"text\"", "{\"a\":", "{}", "{\"order_id\":null}",
                                "{\"order_id\":123}", "{\"items\":{}}", "{\"items\":[1,2]}",
                                "{\"order_id\":\"A\",\"items\":[{\"name\":\"x\",\"quantity\":\"1\",\"unit_price_fen\":1e3,"
                                "\"gross_fen\":1000,\"tax_rate\":\"0.13\"}]}",
                                "{\"order_id\":\"A\",\"items\":[{\"name\":\"x\",\"quantity\":\"1\",\"unit_price_fen\":"
                                "99999999999999999999999,\"gross_fen\":1,\"tax_rate\":\"0.13\"}]}",
                                "{\"order_id\":\"A\",\"items\":[{\"name\":\"\xff\xfe\",\"quantity\":\"1\",\"unit_price_fen\":1,"
                                "\"gross_fen\":1,\"tax_rate\":\"0.13\"}]}",
                                "{\"order_id\":\"A\",\"items\":[{\"name\":\"x\",\"quantity\":\"-1\",\"unit_price_fen\":-1,"
                                "\"gross_fen\":1,\"tax_rate\":\"0.13\"}]}",
                                "{\"event_type\":\"TRANSACTION.SUCCESS\",\"resource\":\"x\"}",
                                "{\"event_type\":\"TRANSACTION.SUCCESS\",\"resource\":{\"algorithm\":\"AEAD_AES_256_GCM\","
                                "\"ciphertext\":\"!!\",\"nonce\":\"n\"}}",
                                "{\"entries\":[\"%%%\"]}", "{\"entries\":[\"AAAA\"]}", "{\"entries\":\"x\"}",
                                "{\"tax_id\":\"91440300MA5DQ3QP4X\",\"name\":\"x\",\"node_public_key\":\"-----BEGIN junk\"}",
                                "{\"event_id\":\"e\",\"type\":\"payment.succeeded\",\"order_id\":\"A\",\"payment_id\":\"p\","
                                "\"amount_fen\":\"100\"}",
                                "title=%ZZ&tax_id=\xff", std::string("\x00\x01\x02\x03", 4), std::string(3000, '['),
                                std::string(100000, '{'), std::string(1 << 20, 'a') + "b"};
  return g;
}

class Malformed : public TwoNodes {
 protected:
  void Expect(const apptest::HttpResult& r, const std::string& what, bool json_error = true) {
    EXPECT_NE(r.status, 500) << what << ": " << r.body.substr(0, 200);
    EXPECT_NE(r.status, 503) << what << ": " << r.body.substr(0, 200);
    EXPECT_GE(r.status, 400) << what << ": " << r.body.substr(0, 200);
    if (json_error) {
      try {
        auto o = Parse(r.body);
        EXPECT_TRUE(o->has("error")) << what;
        EXPECT_FALSE(o->getObject("error")->getValue<std::string>("code").empty()) << what;
      } catch (const std::exception&) {
        ADD_FAILURE() << what << ": not the contract's error body: " << r.body.substr(0, 200);
      }
    }
    ++checked_;
  }
  int checked_ = 0;
};

TEST_F(Malformed, NoEndpointFailsOrChangesAnythingOnGarbage) {
  CreateOrder("ORD-M", 1000, false);
  ASSERT_EQ(Deliver(payment::WechatTransaction(keys_, "ORD-M", "4200000099", 1000, NowS())).status, 204);
  std::string apply = Order("ORD-M")->getValue<std::string>("apply_url");
  apply = apply.substr(apply.find("/apply/"));
  merchant_->merchant()->PumpOnce();
  WaitLevel(*merchant_);  // the replica stops changing once it has the authority's head
  // The node's company side, with tokens made before the digest.
  std::string bearer_e = "Bearer " + merchant_->tokens().Create(TokenRole::kEmployee, kMerchant, "李四", 0);
  std::string bearer_f = "Bearer " + merchant_->tokens().Create(TokenRole::kFinance, kMerchant, "finance", 0);
  std::string before_m = DbDigest(m_.db_path), before_a = DbDigest(dir_.File("authority.db"));
  std::string bearer_m = "Bearer " + token_, bearer_a = "Bearer " + admin_;
  for (const std::string& body : Garbage()) {
    std::string what = "body '" + body.substr(0, 40) + "'";
    Expect(Http(merchant_->port(), "POST", "/v1/orders", body, {{"Authorization", bearer_m}}), "orders " + what);
    // WeChat Pay: a valid signature over the garbage.
    std::string ts = std::to_string(NowS()), nonce = "n0nce";
    Expect(Http(merchant_->port(), "POST", "/v1/callbacks/wechatpay", body,
                {{"Wechatpay-Timestamp", ts},
                 {"Wechatpay-Nonce", nonce},
                 {"Wechatpay-Serial", m_.wechat_serial},
                 {"Wechatpay-Signature", payment::SignRsaSha256(keys_.private_key_pem, ts + "\n" + nonce + "\n" + body + "\n")}}),
           "wechatpay " + what);
    Expect(Http(merchant_->port(), "POST", "/v1/callbacks/generic", body,
                {{"X-Signature", "t=" + ts + ",v1=" + payment::HmacSha256Hex(m_.generic_secret, ts + "." + body)}}),
           "generic " + what);
    Expect(Http(authority_->port(), "POST", "/v1/taxpayers", body, {{"Authorization", bearer_a}}), "taxpayers " + what);
    Expect(Http(authority_->port(), "POST", "/v1/events", body,
                apptest::NodeSigned(kMerchant, merchant_->key(), "POST", "/v1/events", body, Now())),
           "events " + what);
    Expect(Http(merchant_->port(), "POST", "/v1/reimbursements", body, {{"Authorization", bearer_e}}),
           "reimbursements " + what);
    Expect(Http(merchant_->port(), "POST", "/scan/decode", body, {{"Content-Type", "image/png"}}), "decode " + what);
    for (const char* page : {"/scan", "/login", "/scan/claim"}) {
      auto r = Http(merchant_->port(), "POST", page, body, {{"Content-Type", "application/x-www-form-urlencoded"}});
      EXPECT_TRUE(r.status >= 300 && r.status < 500) << page << " " << what << ": " << r.status;
    }
    auto form = Http(merchant_->port(), "POST", apply, body, {{"Content-Type", "application/x-www-form-urlencoded"}});
    EXPECT_TRUE(form.status == 422 || form.status == 400 || form.status == 413) << "apply " << what << ": " << form.status;
  }
  // Garbage in paths and query strings.
  for (const std::string& uri : std::vector<std::string>{"/v1/invoices?from=%ff%fe", "/v1/invoices?limit=-1", "/v1/invoices?limit=99999999999999999999999",
        "/v1/orders/%00", "/v1/orders/" + std::string(300, 'x'), "/v1/invoices/1234", "/v1/invoices/26441000000000000001.pdf",
        "/v1/chain/blocks?from=18446744073709551616", "/v1/proofs/inclusion?leaf_hash=%00", "/v1/proofs/consistency?first=1&second=x",
        "/v1/%zz", "/apply/" + std::string(32, 'g'), "/v1/reimbursements?status=%ff", "/v1/confirmations/x/accept"}) {
    auto r = Http(merchant_->port(), "GET", uri, "", {{"Authorization", bearer_m}});
    Expect(r, "GET " + uri, uri.rfind("/apply/", 0) != 0);
  }
  for (const std::string& uri : {std::string("/v1/reimbursements/26441000000000000001/settle"),
                                 std::string("/v1/reimbursements/26441000000000099999/release"),
                                 std::string("/v1/confirmations/") + std::string(64, 'z') + "/accept"})
    Expect(Http(merchant_->port(), "POST", uri, "", {{"Authorization", bearer_f}}), "POST " + uri);
  for (const std::string& uri : {std::string("/scan?no=%ff&h=1"), std::string("/scan?no=26441000000000000001&h=zz"),
                                 std::string("/scan?no=26441000000000000001&h=0123456789abcdef&a=%00")}) {
    auto r = Http(merchant_->port(), "GET", uri);
    EXPECT_TRUE(r.status == 400 || r.status == 404 || r.status == 422) << uri << ": " << r.status;
  }
  EXPECT_EQ(DbDigest(m_.db_path), before_m) << "the merchant's database changed";
  EXPECT_EQ(DbDigest(dir_.File("authority.db")), before_a) << "the authority's database changed";
  EXPECT_GT(checked_, 150);
}

}  // namespace
}  // namespace e2e
}  // namespace app
