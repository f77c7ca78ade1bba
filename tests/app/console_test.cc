// The merchant console, walked as a merchant would: sign in with the merchant token, find an
// invoice by its buyer, page through 250 invoices, export them as CSV and check the CSV's
// sums against the API; an order's page shows its payment; a bad search is a page, not JSON.
#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "two_nodes.h"

namespace app {
namespace e2e {
namespace {

class Console : public TwoNodes {
 protected:
  std::string SignInAsMerchant() {
    auto r = Http(merchant_->port(), "POST", "/login", "token=" + token_, {{"Content-Type", "application/x-www-form-urlencoded"}});
    EXPECT_EQ(r.status, 303) << r.body;
    EXPECT_EQ(r.location, "/merchant") << "a merchant starts on the console";
    return r.set_cookie.substr(0, r.set_cookie.find(';'));
  }
  apptest::HttpResult Page(const std::string& cookie, const std::string& uri) {
    return Http(merchant_->port(), "GET", uri, "", {{"Cookie", cookie}, {"Accept", "text/html"}});
  }
  static std::vector<std::string> InvoiceLinks(const std::string& html) {
    static const std::regex link(R"(class="invoice-link">([0-9]{20})<)");
    std::vector<std::string> out;
    for (std::sregex_iterator it(html.begin(), html.end(), link), end; it != end; ++it) out.push_back((*it)[1]);
    return out;
  }
};

TEST_F(Console, FindByBuyerPageThrough250AndExportCsvWhoseSumsMatchTheApi) {
  // 249 orders to the fixtures' company and one to a buyer we will look for.
  std::vector<std::string> orders;
  for (int i = 0; i < 249; ++i) {
    std::string id = "ORD-C" + std::to_string(i);
    CreateOrder(id, 100 + i);
    orders.push_back(id);
  }
  auto r = Api("POST", "/v1/orders",
               "{\"order_id\":\"ORD-FIND\",\"items\":[{\"name\":\"图书\",\"quantity\":\"1\",\"unit_price_fen\":4800,"
               "\"gross_fen\":4800,\"tax_rate\":\"0\"}],\"buyer\":{\"name\":\"上海浦东书店有限公司\",\"tax_id\":\"91310115MA1K4BHY14\"}}");
  ASSERT_EQ(r.status, 201) << r.body;
  orders.push_back("ORD-FIND");
  for (size_t i = 0; i < orders.size(); ++i) {
    int64_t fen = orders[i] == "ORD-FIND" ? 4800 : 100 + static_cast<int64_t>(i);
    ASSERT_EQ(Deliver(payment::WechatTransaction(keys_, orders[i], "42000" + std::to_string(1000 + i), fen, NowS())).status, 204);
  }
  WaitInvoice(BlueOf("ORD-FIND"), "sealed");
  WaitInvoice(BlueOf(orders[248]), "sealed");

  std::string cookie = SignInAsMerchant();
  auto home = Page(cookie, "/merchant");
  EXPECT_EQ(home.status, 200);
  EXPECT_NE(home.body.find("剩余可用发票号码"), std::string::npos);

  // Find by the buyer's name (a part of it), and by its tax id in lower case.
  const std::string found_no = BlueOf("ORD-FIND");
  for (const std::string& q : {std::string("%E6%B5%A6%E4%B8%9C%E4%B9%A6%E5%BA%97"), std::string("91310115ma1k4bhy14")}) {
    auto page = Page(cookie, "/merchant/invoices?q=" + q);
    EXPECT_EQ(page.status, 200) << page.body;
    EXPECT_EQ(InvoiceLinks(page.body), std::vector<std::string>{found_no}) << q;
  }
  // By the start of its number too.
  EXPECT_EQ(InvoiceLinks(Page(cookie, "/merchant/invoices?q=" + found_no).body), std::vector<std::string>{found_no});

  // Page through all 250: five pages of 50, each number once.
  std::set<std::string> seen;
  std::string uri = "/merchant/invoices";
  int pages = 0;
  while (!uri.empty()) {
    auto page = Page(cookie, uri);
    ASSERT_EQ(page.status, 200);
    auto links = InvoiceLinks(page.body);
    EXPECT_EQ(links.size(), 50u) << uri;
    seen.insert(links.begin(), links.end());
    ++pages;
    std::smatch next;
    uri = std::regex_search(page.body, next, std::regex(R"re(href="([^"]+)" id="next")re"))
              ? std::regex_replace(next[1].str(), std::regex("&amp;"), "&")
              : "";
    ASSERT_LE(pages, 5);
  }
  EXPECT_EQ(pages, 5);
  EXPECT_EQ(seen.size(), 250u);

  // The CSV: one row per invoice, and its sums are the API's.
  auto csv = Page(cookie, "/merchant/invoices.csv");
  ASSERT_EQ(csv.status, 200);
  EXPECT_EQ(csv.content_type, "text/csv; charset=utf-8");
  ASSERT_EQ(csv.body.rfind("\xEF\xBB\xBF", 0), 0u) << "a BOM, so that Excel reads UTF-8";
  std::istringstream lines(csv.body.substr(3));
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line.rfind("发票号码,类型,", 0), 0u) << line;
  int64_t csv_total = 0, csv_tax = 0;
  int rows = 0;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, ',');) f.push_back(cell);
    ASSERT_GE(f.size(), 8u) << line;
    csv_total += *invoice::ParseYuan(f[6]);
    csv_tax += *invoice::ParseYuan(f[7]);
    ++rows;
  }
  EXPECT_EQ(rows, 250);
  auto api = Parse(Api("GET", "/v1/invoices?limit=1000").body)->getArray("invoices");
  ASSERT_EQ(api->size(), 250u);
  int64_t api_total = 0, api_tax = 0;
  for (size_t i = 0; i < api->size(); ++i) {
    api_total += api->getObject(i)->getValue<int64_t>("total_fen");
    api_tax += api->getObject(i)->getValue<int64_t>("tax_fen");
  }
  EXPECT_EQ(csv_total, api_total);
  EXPECT_EQ(csv_tax, api_tax);
  EXPECT_EQ(api_total, 4800 + (100 + 348) * 249 / 2);

  // An order's page: its items, buyer and payment.
  auto order = Page(cookie, "/merchant/orders/ORD-FIND");
  EXPECT_EQ(order.status, 200);
  EXPECT_NE(order.body.find("上海浦东书店有限公司"), std::string::npos);
  EXPECT_NE(order.body.find("420001249"), std::string::npos) << "the payment";
  EXPECT_NE(order.body.find(found_no), std::string::npos);
  EXPECT_EQ(Page(cookie, "/merchant/orders/NO-SUCH").status, 404);
}

TEST_F(Console, BadSearchesAreExplainedAndOthersAreSentToSignIn) {
  std::string cookie = SignInAsMerchant();
  for (const char* q : {"from=2026-13-01", "to=yesterday", "status=lost", "color=green", "page=0", "page=x"}) {
    auto r = Page(cookie, std::string("/merchant/invoices?") + q);
    EXPECT_EQ(r.status, 422) << q;
    EXPECT_NE(r.body.find("id=\"error\""), std::string::npos) << q;
    EXPECT_EQ(r.body.find("{\""), std::string::npos) << q;
  }
  EXPECT_EQ(Page(cookie, "/merchant/invoices.csv?from=nope").status, 422);
  // Without a session, or with another role's: to sign in.
  auto anonymous = Http(merchant_->port(), "GET", "/merchant/invoices");
  EXPECT_EQ(anonymous.status, 303);
  EXPECT_EQ(anonymous.location.rfind("/login?next=", 0), 0u);
  EXPECT_EQ(Http(merchant_->port(), "GET", "/merchant/invoices.csv").status, 303);
}

}  // namespace
}  // namespace e2e
}  // namespace app
