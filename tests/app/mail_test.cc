// E-mail delivery through a real SMTP relay (tests/mail/relay.py, aiosmtpd): the buyer gets
// a Chinese message with the PDF and the national XML of the invoice and its check link;
// a refused address fails with the relay's reason and the merchant sends it elsewhere; a
// relay that is down leaves deliveries queued until it is back; without a relay nothing is
// queued. Messages are read back with Python's e-mail parser (tests/mail/unpack.py).
#include <gtest/gtest.h>

#include "../mail/relay.h"
#include "invoice/national_xml.h"
#include "app/node/node_process.h"
#include "two_nodes.h"

namespace app {
namespace e2e {
namespace {

class Mail : public TwoNodes {
 protected:
  void SetUp() override {
    relay_ = std::make_unique<mailtest::Relay>(cli::FreeLoopbackPort(), dir_.File("relay"));
    TwoNodes::SetUp();
  }
  void TearDown() override {
    TwoNodes::TearDown();
    relay_.reset();
  }
  void ConfigureMerchant(NodeConfig& c) override {
    c.mail.host = "127.0.0.1";
    c.mail.port = relay_->port();
    c.mail.from = "invoices@qianhai-coffee.example";
    c.mail.retry_max_s = 5;
  }
  // Pays an order whose buyer gives `email`; its blue invoice, sealed.
  std::string Sell(const std::string& order_id, const std::string& email) {
    auto r = Api("POST", "/v1/orders",
                 "{\"order_id\":\"" + order_id +
                     "\",\"items\":[{\"name\":\"拿铁咖啡\",\"quantity\":\"1\",\"unit_price_fen\":3200,\"gross_fen\":3200,"
                     "\"tax_rate\":\"0.13\"}],\"buyer\":{\"name\":\"北京海淀科技有限公司\",\"tax_id\":\"91110108MA01G7GK9M\","
                     "\"email\":\"" + email + "\"}}");
    EXPECT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(Deliver(payment::WechatTransaction(keys_, order_id, "42" + order_id, 3200, NowS())).status, 204);
    std::string no = BlueOf(order_id);
    WaitInvoice(no, "sealed");
    return no;
  }
  Poco::JSON::Array::Ptr Deliveries(const std::string& no) {
    return Parse(Api("GET", "/v1/invoices/" + no).body)->getArray("deliveries");
  }
  // Waits (the mailer polls every second) until the invoice's delivery `i` is in `state`.
  Object::Ptr WaitDelivery(const std::string& no, size_t i, const std::string& state, int seconds = 20) {
    Object::Ptr d;
    for (int k = 0; k < seconds * 10; ++k) {
      auto all = Deliveries(no);
      if (all->size() > i) {
        d = all->getObject(i);
        if (d->getValue<std::string>("state") == state) return d;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::ostringstream last;
    if (d) d->stringify(last);
    ADD_FAILURE() << "delivery " << i << " of " << no << " never became " << state << ": " << last.str();
    return d;
  }

  // A value of the merchant's /metrics (0 if absent).
  uint64_t Metric(const std::string& name) {
    auto body = Http(merchant_->port(), "GET", "/metrics").body;
    size_t p = body.find("\n" + name + " ");
    return p == std::string::npos ? 0 : std::stoull(body.substr(p + name.size() + 2));
  }

  std::unique_ptr<mailtest::Relay> relay_;
};

TEST_F(Mail, TheBuyerGetsTheInvoiceAsPdfAndXmlWithTheCheckLink) {
  std::string no = Sell("ORD-M1", "finance@haidian-tech.example");
  auto d = WaitDelivery(no, 0, "sent");
  EXPECT_EQ(d->getValue<std::string>("address"), "finance@haidian-tech.example");
  EXPECT_EQ(d->getValue<std::string>("reason"), "sealed");
  EXPECT_TRUE(d->has("sent_at"));

  auto messages = mailtest::Unpack(relay_->dir());
  ASSERT_EQ(messages.size(), 1u);
  const auto& m = messages[0];
  EXPECT_EQ(m.to, "finance@haidian-tech.example");
  EXPECT_EQ(m.subject, "【电子发票】深圳市前海咖啡有限公司为您开具的发票 " + no);
  EXPECT_EQ(m.message_id.find("<einvoice." + no + "."), 0u) << m.message_id;
  auto inv = Parse(Api("GET", "/v1/invoices/" + no).body);
  EXPECT_NE(m.text.find(inv->getValue<std::string>("qr_url")), std::string::npos) << m.text;
  EXPECT_NE(m.text.find("价税合计：¥32.00（叁拾贰元整）"), std::string::npos) << m.text;
  ASSERT_EQ(m.attachments, (std::vector<std::string>{no + ".pdf", no + ".xml"}));
  // The XML is the invoice; the PDF is the one the API serves.
  auto decoded = invoice::DecodeInvoiceXml(ReadFile(m.xml));
  ASSERT_TRUE(std::holds_alternative<invoice::Invoice>(decoded));
  EXPECT_EQ(invoice::EncodeInvoiceXml(std::get<invoice::Invoice>(decoded)), Api("GET", "/v1/invoices/" + no + ".xml").body);
  EXPECT_EQ(ReadFile(m.pdf), Api("GET", "/v1/invoices/" + no + ".pdf").body);

  auto metrics = Http(merchant_->port(), "GET", "/metrics").body;
  EXPECT_NE(metrics.find("einvoice_mail{state=\"sent\"} 1\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("einvoice_mail{state=\"queued\"} 0\n"), std::string::npos);
  // The merchant's order shows it too.
  auto order = Order("ORD-M1");
  EXPECT_EQ(order->getArray("invoices")->getObject(0)->getArray("deliveries")->getObject(0)->getValue<std::string>("state"),
            "sent");
}

TEST_F(Mail, ARefusedAddressFailsWithTheRelaysReasonAndTheMerchantSendsItElsewhere) {
  std::string no = Sell("ORD-M2", "nobody@refused.example");
  auto d = WaitDelivery(no, 0, "failed");
  EXPECT_NE(d->getValue<std::string>("error").find("550"), std::string::npos) << d->getValue<std::string>("error");
  EXPECT_EQ(relay_->Count(), 0u);

  // Bad addresses change nothing.
  for (const char* bad : {"", "no-at-sign", "a@b", "two@@example.com", "x@example.com\\r\\nBcc: y@example.com",
                          "<x@example.com>"}) {
    auto r = Api("POST", "/v1/invoices/" + no + "/email", std::string("{\"email\":\"") + bad + "\"}");
    EXPECT_EQ(r.status, 422) << bad << ": " << r.body;
    EXPECT_NE(r.body.find("\"field\":\"email\""), std::string::npos) << r.body;
  }
  EXPECT_EQ(Deliveries(no)->size(), 1u);
  EXPECT_EQ(Api("POST", "/v1/invoices/99999999999999999999/email", R"({"email":"a@example.com"})").status, 404);
  EXPECT_EQ(Http(merchant_->port(), "POST", "/v1/invoices/" + no + "/email", R"({"email":"a@example.com"})").status, 401);

  auto r = Api("POST", "/v1/invoices/" + no + "/email", R"({"email":"ap@haidian-tech.example"})");
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(Parse(r.body)->getValue<std::string>("state"), "queued");
  EXPECT_EQ(Parse(r.body)->getValue<std::string>("reason"), "resend");
  WaitDelivery(no, 1, "sent");
  auto messages = mailtest::Unpack(relay_->dir());
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].to, "ap@haidian-tech.example");
  auto metrics = Http(merchant_->port(), "GET", "/metrics").body;
  EXPECT_NE(metrics.find("einvoice_mail{state=\"failed\"} 1\n"), std::string::npos) << metrics;
}

TEST_F(Mail, WhileTheRelayIsDownDeliveriesWaitAndNothingIsLost) {
  relay_->Stop();
  std::string a = Sell("ORD-M3", "a@haidian-tech.example");
  std::string b = Sell("ORD-M4", "b@haidian-tech.example");
  // Tried, failed, still queued with the reason.
  for (int k = 0; k < 100 && Metric("einvoice_mail_attempts_total{result=\"failed\"}") < 1; ++k)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto d = Deliveries(a)->getObject(0);
  EXPECT_EQ(d->getValue<std::string>("state"), "queued");
  EXPECT_TRUE(Deliveries(a)->getObject(0)->has("next_attempt_at"));
  EXPECT_GE(Metric("einvoice_mail{state=\"queued\"}"), 2u);

  relay_->Start();
  clock_ += 10000;  // the retry's wait (at most mail.retry_max_s = 5 s) has passed
  WaitDelivery(a, 0, "sent");
  WaitDelivery(b, 0, "sent");
  EXPECT_GE(Deliveries(a)->getObject(0)->getValue<int>("attempts") + Deliveries(b)->getObject(0)->getValue<int>("attempts"), 1);
  auto messages = mailtest::Unpack(relay_->dir());
  ASSERT_EQ(messages.size(), 2u);
}

// The invoice rules take any e-mail without control characters and with an '@'; the
// mailer sends only to what is an address (name@domain, no spaces or <>()[],;:\"), and
// fails the rest naming why, without asking the relay.
TEST_F(Mail, AnAddressTheRelayShouldNotBeAskedAboutFailsAtOnce) {
  std::string no = Sell("ORD-ODD", "a b@haidian-tech.example");
  auto d = WaitDelivery(no, 0, "failed");
  EXPECT_NE(d->getValue<std::string>("error").find("no spaces"), std::string::npos) << d->getValue<std::string>("error");
  EXPECT_EQ(Metric("einvoice_mail_attempts_total{result=\"failed\"}"), 0u) << "the relay was not asked";
  EXPECT_EQ(relay_->Count(), 0u);
}

TEST_F(Mail, TheOrderPageShowsEachDeliveryAndSendsAgain) {
  std::string no = Sell("ORD-M5", "nobody@refused.example");
  WaitDelivery(no, 0, "failed");
  auto login = Http(merchant_->port(), "POST", "/login", "token=" + token_,
                    {{"Content-Type", "application/x-www-form-urlencoded"}});
  ASSERT_EQ(login.status, 303) << login.body;
  const std::map<std::string, std::string> session = {{"Cookie", login.set_cookie.substr(0, login.set_cookie.find(';'))}};
  auto form = session;
  form["Content-Type"] = "application/x-www-form-urlencoded";

  auto page = Http(merchant_->port(), "GET", "/merchant/orders/ORD-M5", "", session);
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_NE(page.body.find("未能发送至 nobody@refused.example：Recipient rejected"), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("550 5.1.1"), std::string::npos) << "the relay's own reason";
  EXPECT_NE(page.body.find("id=\"resend\""), std::string::npos);

  auto bad = Http(merchant_->port(), "POST", "/merchant/orders/ORD-M5/email", "invoice_no=" + no + "&email=not-an-address", form);
  ASSERT_EQ(bad.status, 303);
  EXPECT_NE(Http(merchant_->port(), "GET", bad.location, "", session).body.find("请输入有效的电子邮箱地址"), std::string::npos);
  auto other = Http(merchant_->port(), "POST", "/merchant/orders/ORD-M5/email",
                    "invoice_no=99999999999999999999&email=ap@haidian-tech.example", form);
  EXPECT_NE(other.location.find("error=unknown_invoice"), std::string::npos) << other.location;
  EXPECT_EQ(Deliveries(no)->size(), 1u) << "refused forms queue nothing";
  auto cross = form;
  cross["Origin"] = "http://evil.example";
  EXPECT_EQ(Http(merchant_->port(), "POST", "/merchant/orders/ORD-M5/email",
                 "invoice_no=" + no + "&email=ap@haidian-tech.example", cross).status, 403);

  auto sent = Http(merchant_->port(), "POST", "/merchant/orders/ORD-M5/email",
                   "invoice_no=" + no + "&email=ap@haidian-tech.example", form);
  ASSERT_EQ(sent.status, 303);
  EXPECT_NE(Http(merchant_->port(), "GET", sent.location, "", session).body.find("已加入发送队列，将发送至 ap@haidian-tech.example"),
            std::string::npos);
  WaitDelivery(no, 1, "sent");
  page = Http(merchant_->port(), "GET", "/merchant/orders/ORD-M5", "", session);
  EXPECT_NE(page.body.find("已发送至 ap@haidian-tech.example"), std::string::npos) << page.body;

  // The buyer's invoice page shows the deliveries, the addresses masked.
  std::string h = Parse(Api("GET", "/v1/invoices/" + no).body)->getObject("ledger")->getValue<std::string>("leaf_hash").substr(0, 16);
  auto invoice_page = Http(merchant_->port(), "GET", "/invoices/" + no + "?k=" + h);
  EXPECT_NE(invoice_page.body.find("已发送至 a***@haidian-tech.example"), std::string::npos) << invoice_page.body;
  EXPECT_EQ(invoice_page.body.find("ap@haidian-tech.example"), std::string::npos);
}

// A submission relay (587): STARTTLS first, then AUTH; the password from mail.password_file.
class MailOverTls : public Mail {
 protected:
  void SetUp() override {
    pki_ = apptest::MakeTestPki(dir_.path());
    relay_ = std::make_unique<mailtest::Relay>(cli::FreeLoopbackPort(), dir_.File("relay"),
                                               std::vector<std::string>{pki_.cert, pki_.key, "invoices", "s3cret pass"});
    TwoNodes::SetUp();
  }
  void ConfigureMerchant(NodeConfig& c) override {
    Mail::ConfigureMerchant(c);
    c.mail.starttls = true;
    c.mail.user = "invoices";
    c.mail.tls_ca_file = ca_file_.empty() ? pki_.ca : ca_file_;
    std::ofstream(dir_.File("smtp-password")) << "s3cret pass\n";
    c.mail_password_file = dir_.File("smtp-password");
  }
  apptest::TestPki pki_;
  std::string ca_file_;
};

TEST_F(MailOverTls, StartTlsThenAuthThenTheMessage) {
  std::string no = Sell("ORD-T1", "finance@haidian-tech.example");
  WaitDelivery(no, 0, "sent");
  ASSERT_EQ(mailtest::Unpack(relay_->dir()).size(), 1u);
}

class MailToAnUntrustedRelay : public MailOverTls {
 protected:
  void ConfigureMerchant(NodeConfig& c) override {
    ca_file_ = pki_.other_ca;  // the relay's certificate does not chain to it
    MailOverTls::ConfigureMerchant(c);
  }
};

TEST_F(MailToAnUntrustedRelay, NothingIsSentAndTheDeliveryWaits) {
  std::string no = Sell("ORD-T2", "finance@haidian-tech.example");
  for (int k = 0; k < 100 && Deliveries(no)->getObject(0)->getValue<int>("attempts") == 0; ++k)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto d = Deliveries(no)->getObject(0);
  EXPECT_EQ(d->getValue<std::string>("state"), "queued");
  EXPECT_GE(d->getValue<int>("attempts"), 1);
  EXPECT_EQ(relay_->Count(), 0u);
}

class MailWithAWrongPassword : public MailOverTls {
 protected:
  void ConfigureMerchant(NodeConfig& c) override {
    MailOverTls::ConfigureMerchant(c);
    std::ofstream(dir_.File("smtp-password")) << "not the password\n";
  }
};

// The relay refusing our login is the settings' fault, not the message's: it waits for them
// to be put right instead of failing the delivery.
TEST_F(MailWithAWrongPassword, TheDeliveryWaitsWithTheRelaysAnswer) {
  std::string no = Sell("ORD-T3", "finance@haidian-tech.example");
  for (int k = 0; k < 100 && Deliveries(no)->getObject(0)->getValue<int>("attempts") == 0; ++k)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto d = Deliveries(no)->getObject(0);
  EXPECT_EQ(d->getValue<std::string>("state"), "queued");
  EXPECT_NE(d->getValue<std::string>("error").find("535"), std::string::npos) << d->getValue<std::string>("error");
  EXPECT_EQ(relay_->Count(), 0u);
}

class NoMail : public TwoNodes {};

TEST_F(NoMail, WithoutARelayNothingIsQueued) {
  CreateOrder("ORD-N", 5000);
  ASSERT_EQ(Deliver(payment::WechatTransaction(keys_, "ORD-N", "4200000777", 5000, NowS())).status, 204);
  std::string no = BlueOf("ORD-N");
  auto inv = WaitInvoice(no, "sealed");
  EXPECT_EQ(inv->getArray("deliveries")->size(), 0u);
  auto r = Api("POST", "/v1/invoices/" + no + "/email", R"({"email":"ap@haidian-tech.example"})");
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_NE(r.body.find("mail_not_configured"), std::string::npos);
}

}  // namespace
}  // namespace e2e
}  // namespace app
