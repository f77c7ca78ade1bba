// Issue 16, findings 5, 7, 8 and 9: hostile input at every edge gets a clear error and
// changes nothing; a refused invoice never breaks a listing and can be corrected; demo pages
// show only demo orders; pictures cost bounded CPU; repeated refusals and alarms do not
// grow the audit; status lines carry their reason; nothing a client sent starts a log line.
#include <png.h>
#include <sqlite3.h>

#include <chrono>
#include <thread>
#include <variant>

#include "app/base/logging.h"
#include "invoice/event_codec.h"
#include "ledger/entry.h"
#include "three_nodes.h"

namespace app {
namespace e2e {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Runs `sql` on a node's database as an older version of the node would have written it.
// Text parameters bind as TEXT, byte strings as BLOB.
void Sql(const std::string& db_path, const std::string& sql,
         const std::vector<std::variant<std::string, ledger::Bytes>>& params = {}) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  for (size_t i = 0; i < params.size(); ++i) {
    if (auto* t = std::get_if<std::string>(&params[i]))
      sqlite3_bind_text(st, static_cast<int>(i + 1), t->data(), static_cast<int>(t->size()), SQLITE_TRANSIENT);
    else
      sqlite3_bind_blob(st, static_cast<int>(i + 1), std::get<ledger::Bytes>(params[i]).data(),
                        static_cast<int>(std::get<ledger::Bytes>(params[i]).size()), SQLITE_TRANSIENT);
  }
  EXPECT_EQ(sqlite3_step(st), SQLITE_DONE) << sqlite3_errmsg(db);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

class HostileInput : public ThreeNodes {
 protected:
  apptest::HttpResult Form(uint16_t port, const std::string& uri, const std::string& body,
                           std::map<std::string, std::string> headers = {}) {
    headers["Content-Type"] = "application/x-www-form-urlencoded";
    return Http(port, "POST", uri, body, headers);
  }
  std::string ApplyPath(const std::string& order_id) {
    std::string url = Order(order_id)->getValue<std::string>("apply_url");
    return url.substr(url.find("/apply/"));
  }
};

// Finding 5: text the authority would refuse is refused where it comes in.
TEST_F(HostileInput, TextTheAuthorityWouldRefuseIsRefusedAtTheEdge) {
  CreateOrder("ORD-T1", 1000, false);
  ASSERT_EQ(Deliver(payment::WechatTransaction(keys_, "ORD-T1", "4200000601", 1000, NowS())).status, 204);
  std::string apply = ApplyPath("ORD-T1");
  auto r = Form(merchant_->port(), apply, "title=Evil%01Corp");
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(r.body.find("控制字符"), std::string::npos) << r.body;
  r = Form(merchant_->port(), apply, "title=%20%20%20");
  EXPECT_EQ(r.status, 422);
  EXPECT_FALSE(Order("ORD-T1")->has("buyer") && !Order("ORD-T1")->isNull("buyer")) << "a refused title was stored";
  ExpectError(Api("POST", "/v1/orders",
                  "{\"order_id\":\"ORD-T2\",\"items\":[{\"name\":\"茶\",\"quantity\":\"1\",\"unit_price_fen\":100,"
                  "\"gross_fen\":100,\"tax_rate\":\"0.13\"}],\"buyer\":{\"name\":\"   \"}}"),
              422, "missing_field");
  ExpectError(Api("POST", "/v1/orders",
                  "{\"order_id\":\"ORD-T3\",\"items\":[{\"name\":\"  \",\"quantity\":\"1\",\"unit_price_fen\":100,"
                  "\"gross_fen\":100,\"tax_rate\":\"0.13\"}]}"),
              422, "missing_field");
  // A provider's ids become invoice text and log lines: a control character (CR LF too) is
  // refused, naming the field, and nothing is recorded.
  CreateOrder("ORD-T4", 1000);
  ASSERT_EQ(Deliver(payment::WechatTransaction(keys_, "ORD-T4", "4200000604", 1000, NowS())).status, 204);
  for (const std::string& refund_id : {std::string("R\x01X"), std::string("R1\r\n2026-11-30 FORGED merchant: ok")}) {
    auto bad = Deliver(payment::GenericNotice(m_.generic_secret, "refund.succeeded", "ORD-T4", "4200000604", 0, refund_id,
                                              100, NowS()),
                       "generic");
    EXPECT_EQ(bad.status, 400) << bad.body;
    EXPECT_NE(bad.body.find("\"field\":\"refund_id\""), std::string::npos) << bad.body;
  }
  EXPECT_EQ(Order("ORD-T4")->getValue<std::string>("status"), "invoiced");
  auto bad_payment = Deliver(payment::GenericNotice(m_.generic_secret, "payment.succeeded", "ORD-T2", "\x7fP", 100, "", 0, NowS()),
                             "generic");
  EXPECT_EQ(bad_payment.status, 400) << bad_payment.body;
}

// Finding 5: an invoice the authority refused for its buyer (stored by an older version of
// the node) neither breaks the merchant's listing nor strands the customer: the order asks
// for its buyer again, and once corrected the invoice is issued.
TEST_F(HostileInput, ARefusedInvoiceNeverBreaksAListingAndIsCorrected) {
  CreateOrder("ORD-C1", 2000, false);
  ASSERT_EQ(Deliver(payment::WechatTransaction(keys_, "ORD-C1", "4200000701", 2000, NowS())).status, 204);
  std::string apply = ApplyPath("ORD-C1");
  // What an older node stored: a buyer of spaces, and its signed invoice, pending.
  invoice::Order order;
  order.order_id = "ORD-C1";
  invoice::Line l;
  l.name = "拿铁咖啡";
  l.quantity = *invoice::Decimal::Parse("1");
  l.unit_price_fen = {2000, 0};
  l.gross_fen = 2000;
  order.items = {l};
  std::string no = invoice::InvoiceNumber{{26, 44, 1}, 999}.ToString();
  invoice::Invoice bad = invoice::MakeBlue(order, {m_.name, kMerchant, ""}, {"   ", "", ""}, no, Now(), "4200000701");
  std::string payload = invoice::EncodeEvent(invoice::IssueEvent{bad});
  ledger::Bytes entry =
      ledger::Entry::Make("issue", kMerchant, ledger::Bytes(payload.begin(), payload.end()), merchant_->key())->Encode();
  Sql(m_.db_path, "UPDATE app_order SET buyer_json = '{\"name\":\"   \"}', status = 'invoiced' WHERE order_id = 'ORD-C1'");
  Sql(m_.db_path,
      "INSERT INTO app_invoice(invoice_no, order_id, color, total_fen, issued_ms, status, entry, leaf_hash) "
      "VALUES (?1, 'ORD-C1', 'blue', 2000, 1, 'pending', ?2, ?3)",
      {no, entry, ledger::LeafHash(entry).Hex()});
  merchant_->merchant()->PumpOnce();  // submitted; the authority refuses it (buyer.name)
  auto refused = WaitInvoice(no, "rejected");
  EXPECT_EQ(refused->getObject("refusal")->getValue<std::string>("code"), "invalid_event");
  // Every reader still answers.
  auto list = Api("GET", "/v1/invoices");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_NE(list.body.find(no), std::string::npos);
  EXPECT_EQ(Api("GET", "/v1/invoices/" + no + ".xml").status, 200);
  EXPECT_NE(Http(merchant_->port(), "GET", "/invoices/" + no + "?k=" + refused->getObject("ledger")->getValue<std::string>("leaf_hash").substr(0, 16)).status,
            503);
  // The order asks for its buyer again, by the same link.
  auto o = Order("ORD-C1");
  EXPECT_EQ(o->getValue<std::string>("status"), "paid");
  EXPECT_EQ(o->getValue<std::string>("apply_url").substr(o->getValue<std::string>("apply_url").find("/apply/")), apply);
  // The merchant corrects it (the buyer could have, through the link).
  auto set = Api("POST", "/v1/orders/ORD-C1/buyer", "{\"name\":\"北京海淀科技有限公司\",\"tax_id\":\"91110108MA01G7GK9M\"}");
  ASSERT_EQ(set.status, 200) << set.body;
  ExpectError(Api("POST", "/v1/orders/ORD-C1/buyer", "{\"name\":\"Another\"}"), 409, "buyer_already_set");
  merchant_->merchant()->PumpOnce();
  auto invoices = Order("ORD-C1")->getArray("invoices");
  ASSERT_EQ(invoices->size(), 2u);
  std::string fresh = invoices->getObject(1)->getValue<std::string>("invoice_no");
  EXPECT_NE(fresh, no);
  EXPECT_EQ(WaitInvoice(fresh, "sealed")->getObject("buyer")->getValue<std::string>("name"), "北京海淀科技有限公司");
  EXPECT_EQ(Order("ORD-C1")->getValue<std::string>("status"), "invoiced");
  // A stored buyer the rules refuse is asked for again before an invoice is even made.
  CreateOrder("ORD-C2", 500, false);
  ASSERT_EQ(Deliver(payment::WechatTransaction(keys_, "ORD-C2", "4200000702", 500, NowS())).status, 204);
  std::string apply2 = ApplyPath("ORD-C2");
  Sql(m_.db_path, "UPDATE app_order SET buyer_json = '{\"name\":\"Evil\\u0001Corp\"}' WHERE order_id = 'ORD-C2'");
  merchant_->merchant()->PumpOnce();
  EXPECT_EQ(Order("ORD-C2")->getArray("invoices")->size(), 0u);
  EXPECT_EQ(Form(merchant_->port(), apply2, "title=%E5%BC%A0%E4%B8%89").status, 303);  // then GET: post-redirect-get
  merchant_->merchant()->PumpOnce();
  EXPECT_EQ(Order("ORD-C2")->getArray("invoices")->size(), 1u);
}

// Finding 9: malformed forms are the client's fault (400/422), not a node's (503).
TEST_F(HostileInput, MalformedFormsAndCodesAreTheClientsFault) {
  CreateOrder("ORD-F1", 1000, false);
  ASSERT_EQ(Deliver(payment::WechatTransaction(keys_, "ORD-F1", "4200000801", 1000, NowS())).status, 204);
  std::string apply = ApplyPath("ORD-F1");
  for (const std::string& body : {std::string("title=%zz"), std::string("title=%"), std::string("title=%FF%FE")}) {
    int st = Form(merchant_->port(), apply, body).status;
    EXPECT_TRUE(st == 400 || st == 422) << body << ": " << st;
  }
  std::string cookie = SignIn(employee_);
  for (std::string code : {"http://tax.example/r/%zz", "http://tax.example/r/26441000000000000001?h=%zz",
                                  "http://tax.example/r/26441000000000000001?h=ab%"}) {
    std::string encoded;
    Poco::URI::encode(code, "&=%?", encoded);
    auto r = Form(company_->port(), "/scan", "code=" + encoded, {{"Cookie", cookie}});
    EXPECT_EQ(r.status, 422) << code;
  }
  // Status lines say what their code means.
  auto conflict = Api("POST", "/v1/orders",
                      "{\"order_id\":\"ORD-F1\",\"items\":[{\"name\":\"茶\",\"quantity\":\"1\",\"unit_price_fen\":100,"
                      "\"gross_fen\":100,\"tax_rate\":\"0.13\"}]}");
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(conflict.reason, "Conflict");
  EXPECT_EQ(Http(merchant_->port(), "GET", "/nowhere").reason, "Not Found");
}

// Finding 9: a refused double claim, tried again and again, and a node's alarm sent again
// and again, are one record each with a count; a node cannot grow the audit without bound.
TEST_F(HostileInput, RepeatedRefusalsAndAlarmsAreFoldedAndBounded) {
  auto [no, h] = Sold("ORD-A1", "4200000901", 1500, kCompany);
  ASSERT_EQ(Claim(employee_, no, h).status, 201);
  for (int i = 0; i < 20; ++i) ExpectError(Claim(employee2_, no, h), 409, "already_locked");
  auto anomalies = Parse(Http(authority_->port(), "GET", "/v1/audit/anomalies?rule=refused_double_claim", "",
                              {{"Authorization", "Bearer " + auditor_}}).body)->getArray("anomalies");
  ASSERT_EQ(anomalies->size(), 1u);
  auto evidence = anomalies->getObject(0)->getObject("evidence");
  EXPECT_EQ(evidence->getValue<std::string>("times"), "20");
  for (int i = 0; i < 100; ++i) {
    std::string body = "{\"reason\":\"block " + std::to_string(i % 3) + " differs\"}";
    auto r = Http(authority_->port(), "POST", "/v1/alarms", body,
                  apptest::NodeSigned(kCompany, company_->key(), "POST", "/v1/alarms", body, Now()));
    EXPECT_EQ(r.status, 204);
  }
  // Distinct reasons, each a record of its own, but no more than the hourly limit per node.
  for (int i = 0; i < 2 * AuditStore::kMaxNewPerHour; ++i) {
    std::string body = "{\"reason\":\"made up " + std::to_string(i) + "\"}";
    Http(authority_->port(), "POST", "/v1/alarms", body,
         apptest::NodeSigned(kCompany, company_->key(), "POST", "/v1/alarms", body, Now()));
  }
  // The company's records this hour: the refused claim, 3 alarms, 120 made-up ones; 60 kept.
  auto alarms = Parse(Http(authority_->port(), "GET", "/v1/audit/anomalies?rule=split_view_alarm", "",
                           {{"Authorization", "Bearer " + auditor_}}).body)->getArray("anomalies");
  EXPECT_EQ(alarms->size(), static_cast<size_t>(AuditStore::kMaxNewPerHour - 1));
  auto metrics = Http(authority_->port(), "GET", "/metrics").body;
  EXPECT_NE(metrics.find("einvoice_audit_records_repeated_total 116"), std::string::npos) << metrics;  // 19 + 97
  EXPECT_NE(metrics.find("einvoice_audit_records_dropped_total 64"), std::string::npos) << metrics;   // 124 - 60
}

// Finding 9: CR, LF and other control characters in a log line are written escaped.
TEST(LogLines, ControlCharactersAreEscaped) {
  EXPECT_EQ(EscapeForLog("refund R1\r\n2026-11-30 FORGED"), "refund R1\\x0d\\x0a2026-11-30 FORGED");
  EXPECT_EQ(EscapeForLog("\x1b[2J\x7f 北京"), "\\x1b[2J\\x7f 北京");
}

// A PNG, 8-bit grey, of QR finder patterns tiled at 1 pixel per module: what zbar spends
// the most on (a 4000 x 4000 one took 300 CPU-seconds before pictures were scaled down).
std::string FinderPicture(unsigned side) {
  std::vector<unsigned char> px(static_cast<size_t>(side) * side, 255);
  for (unsigned y = 0; y < side; ++y)
    for (unsigned x = 0; x < side; ++x) {
      unsigned u = x % 8, v = y % 8;
      bool dark = u < 7 && v < 7 && (u == 0 || u == 6 || v == 0 || v == 6 || (u >= 2 && u <= 4 && v >= 2 && v <= 4));
      px[static_cast<size_t>(y) * side + x] = dark ? 0 : 255;
    }
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = side;
  image.height = side;
  image.format = PNG_FORMAT_GRAY;
  png_alloc_size_t size = 0;
  png_image_write_to_memory(&image, nullptr, &size, 0, px.data(), 0, nullptr);
  std::string out(size, '\0');
  png_image_write_to_memory(&image, out.data(), &size, 0, px.data(), 0, nullptr);
  out.resize(size);
  return out;
}

// Finding 8: only signed-in people have pictures read, large ones are refused, costly ones
// are scaled down first, and they are read one at a time while the node answers others.
TEST_F(HostileInput, PicturesCostBoundedCpu) {
  std::string big = FinderPicture(6000);
  ExpectError(Http(company_->port(), "POST", "/scan/decode", big, {{"Content-Type", "image/png"}}), 401, "unauthenticated");
  std::string cookie = SignIn(employee_);
  ExpectError(Http(company_->port(), "POST", "/scan/decode", big, {{"Cookie", cookie}}), 422, "unreadable_image");
  std::string costly = FinderPicture(4000), worst = FinderPicture(1095);
  std::vector<std::thread> senders;
  std::atomic<int> answered{0};
  auto start = SteadyClock::now();
  for (const std::string* picture : {&costly, &worst, &worst})
    senders.emplace_back([&, picture] {
      auto r = Http(company_->port(), "POST", "/scan/decode", *picture, {{"Cookie", cookie}});
      if (r.status == 422 || r.status == 503) ++answered;
    });
  double worst_health = 0;
  for (int i = 0; i < 10; ++i) {
    auto t = SteadyClock::now();
    EXPECT_EQ(Http(company_->port(), "GET", "/healthz").status, 200);
    worst_health = std::max(worst_health, std::chrono::duration<double>(SteadyClock::now() - t).count());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (auto& s : senders) s.join();
  double seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  EXPECT_EQ(answered.load(), 3);
  EXPECT_LT(seconds, 30.0);
  EXPECT_LT(worst_health, 1.0);
  std::printf("three costly pictures answered in %.1f s; /healthz worst %.0f ms meanwhile\n", seconds, worst_health * 1000);
}

// Finding 7: the demo checkout's order pages show only its own orders.
class DemoPages : public ThreeNodes {
 protected:
  void SetUp() override {
    ThreeNodes::SetUp();
    merchant_->Stop();
    merchant_.reset();
    m_.demo_checkout = true;
    m_.wechat_private_key_file = kSrc + "/fixtures/keys/wechatpay_platform.pem";
    merchant_ = std::make_unique<Node>(m_, [this] { return Now(); });
    merchant_->Start();
  }
};

TEST_F(DemoPages, ShowOnlyDemoOrders) {
  auto checkout = Http(merchant_->port(), "POST", "/demo/checkout", "product=latte&quantity=1&buyer=&buyer_tax_id=",
                       {{"Content-Type", "application/x-www-form-urlencoded"}});
  ASSERT_EQ(checkout.status, 303) << checkout.body;
  std::string page = checkout.location;
  EXPECT_EQ(page.size(), std::string("/demo/orders/DEMO-").size() + 32) << page;
  EXPECT_EQ(Http(merchant_->port(), "GET", page).status, 200);
  // An order made through the API is the merchant's business: its page is no demo page.
  CreateOrder("ORD-D1", 1000);
  ASSERT_EQ(Deliver(payment::WechatTransaction(keys_, "ORD-D1", "4200001001", 1000, NowS())).status, 204);
  auto leak = Http(merchant_->port(), "GET", "/demo/orders/ORD-D1");
  EXPECT_EQ(leak.status, 404);
  EXPECT_EQ(leak.body.find("?k="), std::string::npos);
  // Malformed checkouts are the client's fault.
  for (const std::string& body : {std::string("product=latte&quantity=%zz"), std::string("product=latte&quantity=4294967297"),
                                  std::string("product=latte&quantity=1abc"), std::string("product=latte&buyer=%01")}) {
    int st = Http(merchant_->port(), "POST", "/demo/checkout", body, {{"Content-Type", "application/x-www-form-urlencoded"}}).status;
    EXPECT_TRUE(st == 400 || st == 422) << body << ": " << st;
  }
}

}  // namespace
}  // namespace e2e
}  // namespace app
