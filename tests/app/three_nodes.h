// TwoNodes plus a buyer company's node (北京海淀科技有限公司) with two employees and a
// finance token, and an auditor token at the authority. For the reimbursement and audit
// end-to-end tests.
#pragma once

#include "two_nodes.h"

namespace app {
namespace e2e {

inline const std::string kCompany = "91110108MA01G7GK9M";
inline const std::string kOtherCompany = "91310115MA1K4BHY14";

class ThreeNodes : public TwoNodes {
 protected:
  void SetUp() override {
    TwoNodes::SetUp();
    c_ = m_;
    c_.name = "北京海淀科技有限公司";
    c_.tax_id = kCompany;
    c_.public_url = "http://company.example";
    c_.db_path = dir_.File("company.db");
    c_.key_file = dir_.File("company.pem");
    c_.wechat_public_key_file.clear();
    company_ = StartTaxpayer(c_);
    employee_ = company_->tokens().Create(TokenRole::kEmployee, kCompany, "李四", 0);
    employee2_ = company_->tokens().Create(TokenRole::kEmployee, kCompany, "王五", 0);
    finance_ = company_->tokens().Create(TokenRole::kFinance, kCompany, "财务", 0);
    auditor_ = authority_->tokens().Create(TokenRole::kAuditor, "", "bureau", 0);
  }
  void TearDown() override {
    if (company_) company_->Stop();
    TwoNodes::TearDown();
  }
  apptest::HttpResult As(const std::string& token, const std::string& method, const std::string& uri,
                         const std::string& body = "") {
    return Http(company_->port(), method, uri, body, {{"Authorization", "Bearer " + token}});
  }
  apptest::HttpResult Claim(const std::string& token, const std::string& no, const std::string& h) {
    return As(token, "POST", "/v1/reimbursements", "{\"invoice_no\":\"" + no + "\",\"h\":\"" + h + "\"}");
  }
  // A paid order, its blue invoice sealed; returns {invoice_no, h}.
  std::pair<std::string, std::string> Sold(const std::string& order_id, const std::string& payment_id, int64_t fen,
                                           const std::string& buyer_tax_id) {
    std::string buyer = buyer_tax_id.empty() ? "{\"name\":\"张三\"}"
                                             : "{\"name\":\"某公司\",\"tax_id\":\"" + buyer_tax_id + "\"}";
    auto r = Api("POST", "/v1/orders",
                 "{\"order_id\":\"" + order_id + "\",\"items\":[{\"name\":\"拿铁咖啡\",\"quantity\":\"1\",\"unit_price_fen\":" +
                     std::to_string(fen) + ",\"gross_fen\":" + std::to_string(fen) +
                     ",\"tax_rate\":\"0.13\"}],\"buyer\":" + buyer + "}");
    EXPECT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(Deliver(payment::WechatTransaction(keys_, order_id, payment_id, fen, NowS())).status, 204);
    std::string no = BlueOf(order_id);
    auto inv = WaitInvoice(no, "sealed");
    WaitLevel(*company_);
    return {no, inv->getObject("ledger")->getValue<std::string>("leaf_hash").substr(0, 16)};
  }
  Object::Ptr MerchantInvoice(const std::string& no) { return Parse(Api("GET", "/v1/invoices/" + no).body); }
  // Signs in on the company's pages with `token`; the Cookie header of the session.
  std::string SignIn(const std::string& token) {
    auto r = Http(company_->port(), "POST", "/login", "token=" + token, {{"Content-Type", "application/x-www-form-urlencoded"}});
    EXPECT_EQ(r.status, 303) << r.body;
    return r.set_cookie.substr(0, r.set_cookie.find(';'));
  }
  int ErrorHeight(const apptest::HttpResult& r) {
    return Parse(r.body)->getObject("error")->optValue<int>("height", -1);
  }

  NodeConfig c_;
  std::unique_ptr<Node> company_;
  std::string employee_, employee2_, finance_, auditor_;
};

}  // namespace e2e
}  // namespace app
