// Invoices reach their buyers' mailboxes through a real SMTP relay (aiosmtpd, its own
// process) from a real merchant process, and the outbox holds under faults: 50 paid orders
// with buyer e-mails, the relay stopped for a minute in the middle and the merchant killed
// with kill -9 meanwhile. Exactly 50 messages arrive, one per invoice, each with a PDF and
// an XML that decode to its invoice (issue 19).
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "../mail/relay.h"
#include "cluster.h"
#include "invoice/amount_words.h"
#include "invoice/national_xml.h"

namespace cluster {
namespace {

class Mail : public ::testing::Test {
 protected:
  void TearDown() override {
    if (HasFailure()) PrintLogTails(dir_.path(), {"authority", "merchant"});
  }
  apptest::TempDir dir_;
};

// Pays orders [first, first + count) of `merchant`, each with its buyer's e-mail.
void PayWithEmails(ProcessNode& merchant, int first, int count) {
  app::payment::WechatSimKeys keys{"1900000109", "SERIAL1",
                                   ReadFile(std::string(EINVOICE_SOURCE_DIR) + "/fixtures/keys/wechatpay_platform.pem"),
                                   kApiKey};
  for (int i = first; i < first + count; ++i) {
    std::string id = "MAIL-" + std::to_string(i);
    int64_t gross = 1000 + i;
    auto o = apptest::Http(merchant.port, "POST", "/v1/orders",
                           "{\"order_id\":\"" + id + "\",\"items\":[{\"name\":\"拿铁咖啡\",\"quantity\":\"1\",\"unit_price_fen\":" +
                               std::to_string(gross) + ",\"gross_fen\":" + std::to_string(gross) +
                               ",\"tax_rate\":\"0.13\"}],\"buyer\":{\"name\":\"张三\",\"email\":\"buyer-" + std::to_string(i) +
                               "@example.com\"}}",
                           {{"Authorization", "Bearer " + merchant.token}});
    ASSERT_EQ(o.status, 201) << o.body;
    auto n = app::payment::WechatTransaction(keys, id, "T" + id, gross, time(nullptr));
    ASSERT_EQ(apptest::Http(merchant.port, "POST", "/v1/callbacks/wechatpay", n.body, n.headers).status, 204);
  }
}

TEST_F(Mail, FiftyInvoicesReachTheirBuyersOnceThroughARelayThatStopsForAMinute) {
  mailtest::Relay relay(FreePort(), dir_.File("relay"));
  Cluster c(dir_.path());
  ProcessNode& a = c.StartAuthority();
  (void)a;
  ProcessNode& m = c.StartTaxpayer("merchant", "91440300MA5DQ3QP4X", "44", kApiKey, 1000, "",
                                   "mail.host = 127.0.0.1\nmail.port = " + std::to_string(relay.port()) +
                                       "\nmail.from = invoices@qianhai-coffee.example\nmail.retry_max_s = 5\n");
  ASSERT_TRUE(WaitFor([&] { return Metric(m.port, "einvoice_invoice_numbers_left") > 0; }, 30));
  auto sealed = [&] { return Metric(m.port, "einvoice_invoices{status=\"sealed\"}"); };

  PayWithEmails(m, 0, 20);
  ASSERT_TRUE(WaitFor([&] { return relay.Count() >= 10; }, 60)) << relay.Count();
  relay.Stop();  // mid-stream: some of the first 20 may be on their way
  const size_t before_stop = relay.Count();
  const auto stopped = std::chrono::steady_clock::now();
  PayWithEmails(m, 20, 20);
  ASSERT_TRUE(WaitFor([&] { return sealed() == 40; }, 60)) << sealed();
  ASSERT_TRUE(WaitFor([&] { return Metric(m.port, "einvoice_mail_attempts_total{result=\"failed\"}") > 0; }, 30));
  // The merchant dies with deliveries queued, and comes back.
  c.Kill("merchant", SIGKILL);
  c.Restart("merchant");
  PayWithEmails(m, 40, 10);
  ASSERT_TRUE(WaitFor([&] { return sealed() == 50; }, 60)) << sealed();
  EXPECT_GT(Metric(m.port, "einvoice_mail{state=\"queued\"}"), 0u);
  std::this_thread::sleep_until(stopped + std::chrono::seconds(60));
  const uint64_t queued = Metric(m.port, "einvoice_mail{state=\"queued\"}");
  const uint64_t failed_attempts = Metric(m.port, "einvoice_mail_attempts_total{result=\"failed\"}");
  relay.Start();
  const auto restarted = std::chrono::steady_clock::now();
  ASSERT_TRUE(WaitFor([&] { return Metric(m.port, "einvoice_mail{state=\"sent\"}") == 50; }, 90))
      << Metric(m.port, "einvoice_mail{state=\"sent\"}") << " sent, " << Metric(m.port, "einvoice_mail{state=\"queued\"}")
      << " queued";
  std::printf("mail: %zu delivered before the relay stopped; %llu queued after 60 s down (%llu failed attempts since the "
              "merchant's restart); all 50 sent %.1f s after the relay came back\n",
              before_stop, static_cast<unsigned long long>(queued), static_cast<unsigned long long>(failed_attempts),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - restarted).count());
  EXPECT_EQ(Metric(m.port, "einvoice_mail{state=\"failed\"}"), 0u);
  std::this_thread::sleep_for(std::chrono::seconds(2));  // anything sent twice would arrive by now

  // Exactly one message per invoice, to its buyer, with its PDF and XML.
  auto messages = mailtest::Unpack(relay.dir());
  ASSERT_EQ(messages.size(), 50u);
  std::set<std::string> invoices, ids;
  for (const auto& msg : messages) {
    ids.insert(msg.message_id);
    ASSERT_FALSE(msg.xml.empty()) << msg.file;
    ASSERT_FALSE(msg.pdf.empty()) << msg.file;
    auto decoded = invoice::DecodeInvoiceXml(ReadFile(msg.xml));
    ASSERT_TRUE(std::holds_alternative<invoice::Invoice>(decoded)) << msg.file;
    const invoice::Invoice& inv = std::get<invoice::Invoice>(decoded);
    invoices.insert(inv.invoice_no);
    EXPECT_EQ(msg.to, inv.buyer.email) << msg.file;
    EXPECT_EQ(inv.buyer.email, "buyer-" + inv.order_id.substr(5) + "@example.com");
    auto served = apptest::Http(m.port, "GET", "/v1/invoices/" + inv.invoice_no + ".xml", "",
                                {{"Authorization", "Bearer " + m.token}});
    EXPECT_EQ(ReadFile(msg.xml), served.body) << "the XML is the invoice the merchant holds";
    auto text = apptest::RunCommand("pdftotext -enc UTF-8 " + msg.pdf + " -");
    EXPECT_EQ(text.exit_code, 0);
    EXPECT_NE(text.output.find(inv.invoice_no), std::string::npos) << msg.file;
    EXPECT_NE(text.output.find(invoice::AmountInWords(inv.TotalFen()).value()), std::string::npos) << msg.file;
  }
  EXPECT_EQ(invoices.size(), 50u) << "one message per invoice";
  EXPECT_EQ(ids.size(), 50u);
}

}  // namespace
}  // namespace cluster
