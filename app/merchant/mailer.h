// E-mail delivery of invoices to their buyers (app/README.md "E-mail delivery").
//
// The Mailer sends what the merchant's outbox (MailDelivery rows, merchant_mail.cc) holds,
// through the configured SMTP relay (Poco's SMTPClientSession; STARTTLS through
// SecureSMTPClientSession): a message in Chinese with the PDF and the national XML attached
// and the check link. A relay that cannot be reached, or answers 4xx, leaves the delivery
// queued and retried with a doubling wait (5 s up to mail.retry_max_s); a 5xx answer to the
// message (an address the relay refuses) fails it with the relay's reason, as does trying for
// longer than mail.give_up_hours. A delivery is marked sent when the relay has taken it
// (250 after DATA); its Message-ID is fixed per delivery, so that the one case that can
// repeat a message (the node killed between the relay's 250 and that mark) repeats the same
// message, which receivers recognise. Thread-safe; one thread sends.
#pragma once

#include <Poco/Net/MailMessage.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "app/base/mutex.h"
#include "app/documents/invoice_sheet.h"
#include "app/merchant/merchant.h"

namespace app {

struct MailConfig {
  std::string host;  // mail.host; empty: no relay, nothing is queued or sent
  int port = 25;     // mail.port
  bool starttls = false;  // mail.starttls: upgrade to TLS before anything else is sent (required then)
  std::string user;       // mail.user (empty: no AUTH)
  std::string password;   // the first line of mail.password_file
  std::string from;       // mail.from: the sender's address
  std::string from_name;  // mail.from_name: the sender's name (default node.name)
  std::string tls_ca_file;  // tls.ca_file: CAs the relay's certificate must chain to (empty: the system's)
  int timeout_s = 30;        // mail.timeout_s: connecting and each reply
  int retry_max_s = 300;     // mail.retry_max_s: the longest wait between two attempts
  int give_up_hours = 72;    // mail.give_up_hours
};

// What is wrong with an e-mail address the relay would be asked about (nullopt: nothing):
// name@domain with a dot in the domain, no spaces, control characters or <>()[],;:\".
std::optional<std::string> MailAddressProblem(const std::string& address);

// The message of an invoice, ready for the relay: from, to, a subject and text in Chinese
// (the catalog's mail.* in zh-CN) with the check link, the PDF and the national XML attached.
void ComposeInvoiceMail(Poco::Net::MailMessage& message, const Catalog& catalog, const MailConfig& config,
                        const InvoiceRecord& rec, const std::string& qr_url, const std::string& pdf,
                        const MailDelivery& delivery);

class Mailer {
 public:
  using Clock = std::function<uint64_t()>;  // Unix ms
  Mailer(MailConfig config, Merchant& merchant, InvoicePrinter& printer, const Catalog& catalog, Clock clock);
  ~Mailer();

  void Start();
  void Stop() EXCLUDES(mu_);
  void Wake() EXCLUDES(mu_);  // something may be due now
  // One round: sends (or fails, or schedules again) what is due; the number sent.
  size_t RunOnce();

  struct Counters { uint64_t attempts = 0, sent = 0, failed_attempts = 0; };
  Counters counters() const;

 private:
  const MailConfig config_;
  Merchant& merchant_;
  InvoicePrinter& printer_;
  const Catalog& catalog_;
  const Clock clock_;
  std::atomic<uint64_t> attempts_{0}, sent_{0}, failed_attempts_{0};

  Mutex mu_;
  CondVar cv_;
  bool stop_ GUARDED_BY(mu_) = false;
  bool wake_ GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace app
