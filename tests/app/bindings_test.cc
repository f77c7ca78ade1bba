// Issue 16, finding 6 and the sessions of finding 9: a token acts only on the node of the
// taxpayer it is bound to, and a page session is the server's (a random id in the cookie,
// ended by signing out), never the bearer token itself.
#include "three_nodes.h"

namespace app {
namespace e2e {
namespace {

class Bindings : public ThreeNodes {};

TEST_F(Bindings, TokensOfAnotherTaxpayerDoNothingHere) {
  auto [no, h] = Sold("ORD-B1", "4200000401", 1500, kCompany);
  // Valid tokens of this node's database, but bound to the merchant's tax id.
  std::string employee = company_->tokens().Create(TokenRole::kEmployee, kMerchant, "x", 0);
  std::string finance = company_->tokens().Create(TokenRole::kFinance, kMerchant, "x", 0);
  std::string merchant = company_->tokens().Create(TokenRole::kMerchant, kMerchant, "x", 0);
  ExpectError(Claim(employee, no, h), 403, "forbidden");
  ExpectError(As(employee, "GET", "/v1/reimbursements"), 403, "forbidden");
  ExpectError(As(finance, "GET", "/v1/reimbursements"), 403, "forbidden");
  ExpectError(As(finance, "GET", "/v1/confirmations"), 403, "forbidden");
  ExpectError(As(merchant, "POST", "/v1/filings", "{\"period\":\"2026-10\"}"), 403, "forbidden");
  ExpectError(As(merchant, "GET", "/v1/filings"), 403, "forbidden");
  ASSERT_EQ(Claim(employee_, no, h).status, 201);
  ExpectError(As(finance, "POST", "/v1/reimbursements/" + no + "/settle"), 403, "forbidden");
  ExpectError(As(finance, "POST", "/v1/reimbursements/" + no + "/release"), 403, "forbidden");
  auto login = Http(company_->port(), "POST", "/login", "token=" + finance, {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(login.status, 401);
  EXPECT_EQ(login.set_cookie, "");
  // The invoice stayed locked, not settled or released by a stranger (once the merchant's
  // replica holds the claim's block: it follows the authority asynchronously).
  WaitLevel(*merchant_);
  EXPECT_EQ(MerchantInvoice(no)->getValue<std::string>("reimbursement"), "locked");
}

TEST_F(Bindings, APageSessionIsTheServersAndEndsOnSignOut) {
  auto login = Http(company_->port(), "POST", "/login", "token=" + finance_ + "&next=/claims",
                    {{"Content-Type", "application/x-www-form-urlencoded"}});
  ASSERT_EQ(login.status, 303) << login.body;
  EXPECT_EQ(login.location, "/claims");
  std::string cookie = login.set_cookie.substr(0, login.set_cookie.find(';'));
  std::string session = cookie.substr(cookie.find('=') + 1);
  EXPECT_EQ(session.rfind("eis_", 0), 0u) << login.set_cookie;
  EXPECT_EQ(login.set_cookie.find(finance_), std::string::npos) << "the cookie holds the token";
  EXPECT_NE(login.set_cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(login.set_cookie.find("SameSite=Strict"), std::string::npos);
  // The session id is no API credential.
  ExpectError(As(session, "GET", "/v1/reimbursements"), 401, "unauthenticated");
  EXPECT_EQ(Http(company_->port(), "GET", "/claims", "", {{"Cookie", cookie}}).status, 200);
  auto out = Http(company_->port(), "POST", "/logout", "", {{"Cookie", cookie}, {"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(out.status, 303);
  // The same cookie, kept by whoever copied it, no longer signs anyone in.
  auto after = Http(company_->port(), "GET", "/claims", "", {{"Cookie", cookie}});
  EXPECT_EQ(after.status, 303);
  EXPECT_EQ(after.location.rfind("/login", 0), 0u) << after.location;
}

}  // namespace
}  // namespace e2e
}  // namespace app
