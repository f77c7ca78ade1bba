// Reimbursement end to end over real HTTP: an authority, a merchant and a buyer company's
// node, each a real Node on a loopback port. Claims, settlement, release, the refusals of
// the contract, red-letter confirmation after a settled claim, and the scan decoder.
#include "three_nodes.h"

namespace app {
namespace e2e {
namespace {

using Reimbursement = ThreeNodes;

TEST_F(Reimbursement, ClaimSettleAndTheContractsRefusals) {
  auto [no, h] = Sold("ORD-R1", "4200009001", 11300, kCompany);

  // Who may: no token, another role, another node's token.
  ExpectError(Http(company_->port(), "POST", "/v1/reimbursements", "{\"invoice_no\":\"" + no + "\",\"h\":\"" + h + "\"}"),
              401, "unauthenticated");
  ExpectError(Claim(finance_, no, h), 403, "forbidden");
  ExpectError(Claim(token_, no, h), 401, "unauthenticated");
  // Bad input: the field at fault, nothing sealed.
  auto height_before = authority_->store().Head()->header.height;
  ExpectError(Claim(employee_, no, "0123456789abcdef"), 422, "not_genuine");
  ExpectError(Claim(employee_, no, "xyz"), 422, "invalid_h");
  ExpectError(Claim(employee_, "123", h), 422, "invalid_invoice_no");
  ExpectError(Claim(employee_, "26441000000000099999", h), 404, "unknown_invoice");
  ExpectError(As(employee_, "POST", "/v1/reimbursements", "{\"invoice_no\":\"" + no + "\"}"), 400, "missing_field");
  EXPECT_EQ(authority_->store().Head()->header.height, height_before);

  auto claimed = Claim(employee_, no, h);
  ASSERT_EQ(claimed.status, 201) << claimed.body;
  auto c = Parse(claimed.body);
  EXPECT_EQ(c->getValue<std::string>("status"), "locked");
  EXPECT_EQ(c->getValue<std::string>("employee"), "李四");
  int claim_height = c->getObject("ledger")->getValue<int>("height");

  // Claimed once in the whole network: the second claim gets 409 and the winner's block.
  auto again = Claim(employee2_, no, h);
  ExpectError(again, 409, "already_locked");
  EXPECT_EQ(ErrorHeight(again), claim_height);

  // Lists: an employee sees their own claims, finance all of the company's.
  EXPECT_EQ(Parse(As(employee_, "GET", "/v1/reimbursements").body)->getArray("reimbursements")->size(), 1u);
  EXPECT_EQ(Parse(As(employee2_, "GET", "/v1/reimbursements").body)->getArray("reimbursements")->size(), 0u);
  auto all = Parse(As(finance_, "GET", "/v1/reimbursements").body)->getArray("reimbursements");
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->getObject(0)->getValue<std::string>("status"), "locked");
  EXPECT_EQ(all->getObject(0)->getValue<int64_t>("total_fen"), 11300);

  // Only finance settles; then it is final.
  ExpectError(As(employee_, "POST", "/v1/reimbursements/" + no + "/settle"), 403, "forbidden");
  auto settled = As(finance_, "POST", "/v1/reimbursements/" + no + "/settle");
  ASSERT_EQ(settled.status, 200) << settled.body;
  auto late = Claim(employee2_, no, h);
  ExpectError(late, 409, "already_settled");
  EXPECT_EQ(ErrorHeight(late), claim_height);
  ExpectError(As(finance_, "POST", "/v1/reimbursements/" + no + "/release"), 409, "already_settled");
  ExpectError(As(finance_, "POST", "/v1/reimbursements/" + no + "/settle"), 409, "already_settled");
  EXPECT_EQ(Parse(As(finance_, "GET", "/v1/reimbursements?status=settled").body)->getArray("reimbursements")->size(), 1u);

  // The merchant's node shows the whole lifecycle with block heights; the auditor also sees who.
  WaitLevel(*merchant_);
  auto inv = MerchantInvoice(no);
  EXPECT_EQ(inv->getValue<std::string>("reimbursement"), "settled");
  EXPECT_EQ(inv->getObject("claim")->getValue<std::string>("company"), kCompany);
  EXPECT_FALSE(inv->getObject("claim")->has("employee"));
  auto trace = inv->getArray("lifecycle");
  ASSERT_EQ(trace->size(), 3u);
  EXPECT_EQ(trace->getObject(1)->getValue<std::string>("event"), "claimed");
  EXPECT_EQ(trace->getObject(1)->getValue<int>("height"), claim_height);
  EXPECT_EQ(trace->getObject(2)->getValue<std::string>("event"), "settled");
  auto audit = Parse(Http(authority_->port(), "GET", "/v1/invoices/" + no, "", {{"Authorization", "Bearer " + auditor_}}).body);
  EXPECT_EQ(audit->getValue<std::string>("reimbursement"), "settled");
  EXPECT_EQ(audit->getObject("claim")->getValue<std::string>("employee"), "李四");
  // The merchant's printable page says so too.
  auto page = Http(merchant_->port(), "GET", "/invoices/" + no + "?k=" + h);
  EXPECT_NE(page.body.find("<span id=\"reimbursement\" data-state=\"settled\">"), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("step-settled"), std::string::npos);
}

TEST_F(Reimbursement, AnotherCompanysInvoiceIsForbiddenAndReleaseReopens) {
  auto [theirs, h1] = Sold("ORD-R2", "4200009002", 5000, kOtherCompany);
  ExpectError(Claim(employee_, theirs, h1), 403, "wrong_company");

  // An individual's invoice may be claimed by the company the employee works for.
  auto [mine, h2] = Sold("ORD-R3", "4200009003", 2600, "");
  ASSERT_EQ(Claim(employee_, mine, h2).status, 201);
  ExpectError(As(finance_, "POST", "/v1/reimbursements/" + theirs + "/release"), 409, "not_locked");
  auto released = As(finance_, "POST", "/v1/reimbursements/" + mine + "/release");
  ASSERT_EQ(released.status, 200) << released.body;
  ASSERT_EQ(Claim(employee2_, mine, h2).status, 201);
  auto list = Parse(As(finance_, "GET", "/v1/reimbursements").body)->getArray("reimbursements");
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ(list->getObject(0)->getValue<std::string>("status"), "locked");
  EXPECT_EQ(list->getObject(0)->getValue<std::string>("employee"), "王五");
  EXPECT_EQ(list->getObject(1)->getValue<std::string>("status"), "released");
}

TEST_F(Reimbursement, ARefundAfterSettlementWaitsForTheCompanysConfirmation) {
  auto [no, h] = Sold("ORD-R4", "4200009004", 11300, kCompany);
  ASSERT_EQ(Claim(employee_, no, h).status, 201);
  ASSERT_EQ(As(finance_, "POST", "/v1/reimbursements/" + no + "/settle").status, 200);
  WaitLevel(*merchant_);

  // The refund is recorded, but no red invoice: a confirmation request goes to the company.
  ASSERT_EQ(Deliver(payment::WechatRefund(keys_, "ORD-R4", "4200009004", "50309004", 11300, 3000, NowS())).status, 204);
  Object::Ptr req;
  for (int i = 0; i < 200 && !req; ++i) {
    merchant_->merchant()->PumpOnce();
    WaitLevel(*company_);
    auto reqs = Parse(As(finance_, "GET", "/v1/confirmations").body)->getArray("confirmations");
    if (reqs->size()) req = reqs->getObject(0);
  }
  ASSERT_TRUE(req);
  EXPECT_EQ(req->getValue<std::string>("status"), "pending");
  EXPECT_EQ(req->getValue<int64_t>("amount_fen"), 3000);
  EXPECT_EQ(req->getValue<std::string>("invoice_no"), no);
  EXPECT_EQ(Order("ORD-R4")->getArray("invoices")->size(), 1u);  // still only the blue one
  // The merchant sees its request; the auditor sees it in the invoice's trace.
  WaitLevel(*merchant_);
  auto mine = Parse(Api("GET", "/v1/confirmations").body)->getArray("confirmations");
  ASSERT_EQ(mine->size(), 1u);
  ExpectError(As(employee_, "POST", "/v1/confirmations/" + req->getValue<std::string>("request_id") + "/accept"), 403,
              "forbidden");

  auto accepted = As(finance_, "POST", "/v1/confirmations/" + req->getValue<std::string>("request_id") + "/accept");
  ASSERT_EQ(accepted.status, 200) << accepted.body;
  // Now the red invoice is issued and sealed, citing the confirmation.
  std::string red;
  for (int i = 0; i < 200 && red.empty(); ++i) {
    WaitLevel(*merchant_);
    merchant_->merchant()->PumpOnce();
    auto invs = Order("ORD-R4")->getArray("invoices");
    for (size_t k = 0; k < invs->size(); ++k)
      if (invs->getObject(k)->getValue<std::string>("color") == "red") red = invs->getObject(k)->getValue<std::string>("invoice_no");
  }
  ASSERT_FALSE(red.empty());
  auto r = WaitInvoice(red, "sealed");
  EXPECT_EQ(r->getValue<int64_t>("total_fen"), -3000);
  WaitLevel(*merchant_);
  auto trace = MerchantInvoice(no)->getArray("lifecycle");
  std::vector<std::string> events;
  for (size_t k = 0; k < trace->size(); ++k) events.push_back(trace->getObject(k)->getValue<std::string>("event"));
  EXPECT_EQ(events, (std::vector<std::string>{"issued", "claimed", "settled", "confirmation_requested",
                                              "confirmation_accepted", "reversed"}));
  auto audit = Parse(Http(authority_->port(), "GET", "/v1/invoices/" + no, "", {{"Authorization", "Bearer " + auditor_}}).body);
  EXPECT_EQ(audit->getArray("lifecycle")->size(), 6u);
  EXPECT_EQ(audit->getArray("reversals")->size(), 1u);
}

TEST_F(Reimbursement, ARefusedConfirmationLeavesTheInvoiceStanding) {
  auto [no, h] = Sold("ORD-R5", "4200009005", 11300, kCompany);
  ASSERT_EQ(Claim(employee_, no, h).status, 201);
  WaitLevel(*merchant_);
  ASSERT_EQ(Deliver(payment::WechatRefund(keys_, "ORD-R5", "4200009005", "50309005", 11300, 11300, NowS())).status, 204);
  std::string id;
  for (int i = 0; i < 200 && id.empty(); ++i) {
    merchant_->merchant()->PumpOnce();
    WaitLevel(*company_);
    auto reqs = Parse(As(finance_, "GET", "/v1/confirmations").body)->getArray("confirmations");
    if (reqs->size()) id = reqs->getObject(0)->getValue<std::string>("request_id");
  }
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(As(finance_, "POST", "/v1/confirmations/" + id + "/refuse").status, 200);
  ExpectError(As(finance_, "POST", "/v1/confirmations/" + id + "/accept"), 409, "request_not_pending");
  for (int i = 0; i < 5; ++i) {
    WaitLevel(*merchant_);
    merchant_->merchant()->PumpOnce();
  }
  EXPECT_EQ(Order("ORD-R5")->getArray("invoices")->size(), 1u);
  EXPECT_EQ(MerchantInvoice(no)->getValue<std::string>("reimbursement"), "locked");
}

TEST_F(Reimbursement, ScanDecodesTheInvoicesQrPicture) {
  auto [no, h] = Sold("ORD-R6", "4200009006", 4800, "");
  auto png = Http(merchant_->port(), "GET", "/invoices/" + no + ".png?k=" + h);
  ASSERT_EQ(png.status, 200);
  // Reading pictures costs CPU: signed-in people only.
  ExpectError(Http(company_->port(), "POST", "/scan/decode", png.body, {{"Content-Type", "image/png"}}), 401,
              "unauthenticated");
  std::string cookie = SignIn(employee_);
  auto decoded = Http(company_->port(), "POST", "/scan/decode", png.body, {{"Content-Type", "image/png"}, {"Cookie", cookie}});
  ASSERT_EQ(decoded.status, 200) << decoded.body;
  auto d = Parse(decoded.body);
  EXPECT_EQ(d->getValue<std::string>("code"), MerchantInvoice(no)->getValue<std::string>("qr_url"));
  EXPECT_EQ(d->getValue<std::string>("check_url"), "/scan?no=" + no + "&h=" + h + "&a=48.00");
  // The check page shows it verified, and offers a signed-out visitor to sign in.
  auto page = Http(company_->port(), "GET", d->getValue<std::string>("check_url"));
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("id=\"sign-in-link\""), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("¥48.00"), std::string::npos);
  // An amount with characters of its own is passed on encoded: not genuine, not a 503.
  EXPECT_EQ(Http(company_->port(), "GET", "/scan?no=" + no + "&h=" + h + "&a=48.00%26h%3D00%20x").status, 422);
  auto fake = Http(company_->port(), "GET", "/scan?no=" + no + "&h=0000000000000000&a=48.00");
  EXPECT_EQ(fake.status, 422);
  EXPECT_EQ(fake.body.find("id=\"claim\""), std::string::npos);
  EXPECT_NE(fake.body.find("查验未通过"), std::string::npos) << fake.body;
  // The public check the code opens, at the authority: words, the block, the proof's
  // figures only under technical details.
  std::string code = d->getValue<std::string>("code");
  auto check = Http(authority_->port(), "GET", code.substr(code.find("/r/")));
  EXPECT_EQ(check.status, 200) << check.body;
  EXPECT_NE(check.body.find("class=\"genuine\""), std::string::npos);
  EXPECT_NE(check.body.find("<td id=\"reimbursement\">未报销</td>"), std::string::npos) << check.body;
  EXPECT_NE(check.body.find("<td id=\"block\">第 "), std::string::npos);
  EXPECT_NE(check.body.find("<details id=\"technical\">"), std::string::npos);
  auto forged = Http(authority_->port(), "GET", "/r/" + no + "?h=0000000000000000&a=48.00");
  EXPECT_EQ(forged.status, 404);
  EXPECT_NE(forged.body.find("二维码与该号码下登记的发票不一致"), std::string::npos) << forged.body;
  ExpectError(Http(company_->port(), "POST", "/scan/decode", "not a picture", {{"Content-Type", "image/png"}, {"Cookie", cookie}}),
              422, "unreadable_image");
  // A picture without a code: the PNG of a blank page.
  auto blank = Http(merchant_->port(), "GET", "/invoices/" + no + ".svg?k=" + h);
  ExpectError(Http(company_->port(), "POST", "/scan/decode", blank.body, {{"Cookie", cookie}}), 422, "unreadable_image");
}

// The pages: a claim and finance's buttons answer 303 to the claims page (POST-redirect-GET),
// which says what happened in words; refusals are sentences, not codes.
TEST_F(Reimbursement, PagesRedirectAfterEachActionAndSayWhatHappened) {
  auto [a, ha] = Sold("ORD-R7", "4200009007", 1000, kCompany);
  auto [b, hb] = Sold("ORD-R8", "4200009008", 2000, kCompany);
  auto post = [&](const std::string& cookie, const std::string& uri, const std::string& body) {
    return Http(company_->port(), "POST", uri, body,
                {{"Content-Type", "application/x-www-form-urlencoded"}, {"Cookie", cookie}});
  };
  auto get = [&](const std::string& cookie, const std::string& uri) {
    return Http(company_->port(), "GET", uri, "", {{"Cookie", cookie}});
  };
  const std::string employee = SignIn(employee_);
  for (const auto& [no, h] : {std::pair{a, ha}, std::pair{b, hb}}) {
    auto r = post(employee, "/scan/claim", "invoice_no=" + no + "&h=" + h);
    ASSERT_EQ(r.status, 303) << r.body;
    EXPECT_EQ(r.location, "/claims?done=claimed");
  }
  auto mine = get(employee, "/claims?done=claimed");
  ASSERT_EQ(mine.status, 200);
  EXPECT_NE(mine.body.find("id=\"notice\""), std::string::npos);
  EXPECT_NE(mine.body.find("已提交报销"), std::string::npos) << mine.body;
  EXPECT_NE(mine.body.find(">待审核</td>"), std::string::npos);
  EXPECT_NE(mine.body.find("id=\"scan-another\""), std::string::npos);
  EXPECT_NE(mine.body.find("http://tax.example/r/" + a + "?h=" + ha), std::string::npos) << "the invoice's check link";
  // A second claim: one sentence naming the block of the winning claim.
  auto again = post(SignIn(employee2_), "/scan/claim", "invoice_no=" + a + "&h=" + ha);
  EXPECT_EQ(again.status, 409);
  EXPECT_NE(again.body.find("这张发票已被报销锁定（记录在第 "), std::string::npos) << again.body;

  const std::string finance = SignIn(finance_);
  auto review = get(finance, "/claims");
  EXPECT_NE(review.body.find("data-confirm="), std::string::npos);
  EXPECT_NE(review.body.find("id=\"settle-selected\""), std::string::npos);
  auto one = post(finance, "/claims/" + a + "/settle", "");
  ASSERT_EQ(one.status, 303) << one.body;
  EXPECT_EQ(one.location, "/claims?done=settled");
  EXPECT_NE(get(finance, one.location).body.find("已付款，付款记录已上链。"), std::string::npos);
  // Settle selected: each as one settle; the one already paid fails and is named.
  auto bulk = post(finance, "/claims/settle?status=locked", "invoice_no=" + a + "&invoice_no=" + b);
  ASSERT_EQ(bulk.status, 303) << bulk.body;
  EXPECT_EQ(bulk.location, "/claims?done=settled&n=1&failed=1&failed_no=" + a + "&status=locked");
  auto after = get(finance, bulk.location);
  EXPECT_NE(after.body.find("已为 1 张发票付款"), std::string::npos) << after.body;
  EXPECT_NE(after.body.find("1 张发票未能付款"), std::string::npos);
  EXPECT_NE(after.body.find("<li>" + a + "</li>"), std::string::npos);
  EXPECT_EQ(post(finance, "/claims/settle", "").location, "/claims?error=nothing_selected");
  // Refusals come back as ?error=<code> and are read as words.
  auto late = post(finance, "/claims/" + a + "/release", "");
  ASSERT_EQ(late.status, 303);
  EXPECT_EQ(late.location, "/claims?error=already_settled");
  EXPECT_NE(get(finance, late.location).body.find("该报销已付款，不能再更改。"), std::string::npos);
  EXPECT_NE(get(finance, "/claims?error=%3Cb%3E").body.find("操作未能完成"), std::string::npos);
  // The status filter.
  auto paid = get(finance, "/claims?status=settled");
  EXPECT_NE(paid.body.find("id=\"claim-" + a + "\""), std::string::npos);
  EXPECT_NE(paid.body.find("id=\"claim-" + b + "\""), std::string::npos);
  EXPECT_EQ(get(finance, "/claims?status=locked").body.find("id=\"claim-" + a + "\""), std::string::npos);
  // Only finance presses finance's buttons.
  auto stranger = post(employee, "/claims/" + b + "/release", "");
  EXPECT_EQ(stranger.status, 303);
  EXPECT_EQ(stranger.location.rfind("/login", 0), 0u);
}

}  // namespace
}  // namespace e2e
}  // namespace app
