#include "app/merchant/mailer.h"

#include <Poco/Logger.h>
#include <Poco/Net/MailRecipient.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SMTPClientSession.h>
#include <Poco/Net/SecureSMTPClientSession.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/StringPartSource.h>

#include <algorithm>
#include <memory>

#include "app/http/peer_link.h"
#include "invoice/amount_words.h"
#include "invoice/national_xml.h"
#include "invoice/ubl.h"

namespace app {
namespace {

Poco::Logger& Log() { return Poco::Logger::get("mail"); }

// What the relay said, fit to keep and show: printable ASCII, at most 200 characters.
std::string Reason(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (out.size() >= 200) break;
    out += (c >= 0x20 && c < 0x7f) ? c : ' ';
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out.empty() ? "unknown error" : out;
}

// The domain of an address (for EHLO and Message-IDs).
std::string DomainOf(const std::string& address) {
  size_t at = address.rfind('@');
  std::string domain = at == std::string::npos ? "" : address.substr(at + 1);
  return domain.empty() ? "localhost" : domain;
}

}  // namespace

std::optional<std::string> MailAddressProblem(const std::string& address) {
  if (address.empty()) return "the e-mail address is missing";
  if (address.size() > 254) return "an e-mail address has at most 254 bytes";
  const size_t at = address.find('@');
  if (at == 0 || at == std::string::npos || address.find('@', at + 1) != std::string::npos ||
      address.find('.', at) == std::string::npos || address.back() == '.')
    return "not an e-mail address (name@domain)";
  for (unsigned char c : address)
    if (c <= 0x20 || c == 0x7f || std::string_view("<>()[],;:\\\"").find(static_cast<char>(c)) != std::string_view::npos)
      return "an e-mail address has no spaces, control characters or <>()[],;:\\\"";
  return std::nullopt;
}

void ComposeInvoiceMail(Poco::Net::MailMessage& m, const Catalog& catalog, const MailConfig& config,
                        const InvoiceRecord& rec, const std::string& qr_url, const std::string& pdf,
                        const MailDelivery& delivery) {
  const std::string lang(Catalog::kDefaultLanguage);
  const invoice::Invoice& inv = rec.invoice;
  const bool red = inv.color == invoice::Color::kRed;
  const std::string seller = inv.seller.name, no = inv.invoice_no;
  auto t = [&](std::string_view key, Catalog::Args args = {}) { return catalog.Text(lang, key, args); };

  const std::string name = config.from_name.empty() ? seller : config.from_name;
  m.setSender(Poco::Net::MailMessage::encodeWord(name, "UTF-8") + " <" + config.from + ">");
  m.addRecipient(Poco::Net::MailRecipient(Poco::Net::MailRecipient::PRIMARY_RECIPIENT, delivery.address));
  m.setSubject(Poco::Net::MailMessage::encodeWord(
      t(red ? "mail.subject.red" : "mail.subject.blue", {{"seller", seller}, {"invoice_no", no}}), "UTF-8"));
  m.set("Message-ID", "<einvoice." + no + "." + std::to_string(delivery.id) + "@" + DomainOf(config.from) + ">");

  std::string text = t("mail.greeting") + "\r\n\r\n";
  text += (red ? t("mail.issued.red", {{"seller", seller}, {"original_no", inv.original_no}})
               : t("mail.issued.blue", {{"seller", seller}})) + "\r\n\r\n";
  text += t("mail.number", {{"invoice_no", no}}) + "\r\n";
  text += t("mail.date", {{"date", invoice::ChinaDate(inv.issued_at_ms)}}) + "\r\n";
  text += t("mail.buyer", {{"buyer", inv.buyer.name}}) + "\r\n";
  text += t("mail.total", {{"total", invoice::FormatYuan(inv.TotalFen())},
                           {"words", invoice::AmountInWords(inv.TotalFen()).value_or("")}}) + "\r\n\r\n";
  text += t("mail.attachments") + "\r\n\r\n";
  text += t("mail.check") + "\r\n" + qr_url + "\r\n\r\n";
  text += t("mail.footer", {{"seller", seller}}) + "\r\n";
  m.addContent(new Poco::Net::StringPartSource(text, "text/plain; charset=UTF-8"),
               Poco::Net::MailMessage::ENCODING_QUOTED_PRINTABLE);
  m.addAttachment(no + ".pdf", new Poco::Net::StringPartSource(pdf, "application/pdf", no + ".pdf"));
  m.addAttachment(no + ".xml", new Poco::Net::StringPartSource(invoice::EncodeInvoiceXml(inv),
                                                                "application/xml; charset=UTF-8", no + ".xml"));
}

Mailer::Mailer(MailConfig config, Merchant& merchant, InvoicePrinter& printer, const Catalog& catalog, Clock clock)
    : config_(std::move(config)), merchant_(merchant), printer_(printer), catalog_(catalog), clock_(std::move(clock)) {}

Mailer::~Mailer() { Stop(); }

void Mailer::Start() {
  {
    MutexLock lock(mu_);
    stop_ = false;  // a node stopped and started again
  }
  thread_ = std::thread([this] {
    while (true) {
      size_t sent = 0;
      try {
        sent = RunOnce();
      } catch (const std::exception& e) {
        Log().error("mail round: %s", std::string(e.what()));
      }
      MutexLock lock(mu_);
      // A round that sent something may have left more due: go on at once.
      if (!stop_ && !wake_ && sent == 0) cv_.WaitFor(mu_, std::chrono::milliseconds(1000));
      if (stop_) return;
      wake_ = false;
    }
  });
}

void Mailer::Stop() {
  {
    MutexLock lock(mu_);
    stop_ = true;
  }
  cv_.SignalAll();
  if (thread_.joinable()) thread_.join();
}

void Mailer::Wake() {
  {
    MutexLock lock(mu_);
    wake_ = true;
  }
  cv_.SignalAll();
}

Mailer::Counters Mailer::counters() const { return {attempts_.load(), sent_.load(), failed_attempts_.load()}; }

size_t Mailer::RunOnce() {
  const uint64_t now = clock_();
  std::vector<MailDelivery> due = merchant_.DueMail(now, 20);
  if (due.empty()) return 0;
  const std::string helo = DomainOf(config_.from);
  std::unique_ptr<Poco::Net::SMTPClientSession> session;
  // Connects, says EHLO, upgrades with STARTTLS and authenticates: any failure here is the
  // relay's (or the settings'), never the message's, so it is always tried again.
  auto open = [&] {
    Poco::Net::StreamSocket socket;
    socket.connect(Poco::Net::SocketAddress(config_.host, static_cast<uint16_t>(config_.port)),
                   Poco::Timespan(config_.timeout_s, 0));
    const Poco::Timespan timeout(config_.timeout_s, 0);
    std::unique_ptr<Poco::Net::SMTPClientSession> opened;
    if (config_.starttls) {
      auto secure = std::make_unique<Poco::Net::SecureSMTPClientSession>(socket);
      secure->setTimeout(timeout);
      secure->login(helo);
      if (!secure->startTLS(TlsClientContext(config_.tls_ca_file)))
        throw Poco::Net::SMTPException("the relay does not offer STARTTLS (mail.starttls is set)");
      opened = std::move(secure);
    } else {
      opened = std::make_unique<Poco::Net::SMTPClientSession>(socket);
      opened->setTimeout(timeout);
    }
    if (config_.user.empty()) opened->login(helo);
    else opened->login(helo, Poco::Net::SMTPClientSession::AUTH_PLAIN, config_.user, config_.password);
    session = std::move(opened);
  };
  auto retry_at = [&](const MailDelivery& d) -> std::optional<uint64_t> {
    if (now - d.created_ms >= static_cast<uint64_t>(config_.give_up_hours) * 3600 * 1000) return std::nullopt;
    uint64_t wait_s = std::min<uint64_t>(static_cast<uint64_t>(config_.retry_max_s), 5ull << std::min(d.attempts, 20));
    return clock_() + wait_s * 1000;
  };
  size_t sent = 0;
  for (const MailDelivery& d : due) {
    // The invoice rules take any e-mail without control characters and with an '@': the relay
    // is asked only about addresses (the resend form's rule), the rest fail at once.
    if (auto problem = MailAddressProblem(d.address)) {
      merchant_.MailFailed(d.id, *problem, std::nullopt);
      continue;
    }
    auto rec = merchant_.GetInvoice(d.invoice_no);
    if (!rec || rec->status != "sealed") {
      merchant_.MailFailed(d.id, "the invoice is not sealed on this node", std::nullopt);
      continue;
    }
    ++attempts_;
    bool relay_down = false;
    try {
      Poco::Net::MailMessage message;
      const std::string qr_url = merchant_.QrUrl(*rec);
      ComposeInvoiceMail(message, catalog_, config_, *rec, qr_url, printer_.Pdf(rec->invoice, qr_url), d);
      if (!session) open();
      session->sendMessage(message);
      merchant_.MailSent(d.id, clock_());
      ++sent_;
      ++sent;
      Log().information("invoice %s mailed (delivery %s)", d.invoice_no, std::to_string(d.id));
      continue;
    } catch (const Poco::Net::SMTPException& e) {
      // The relay answered: 5xx to the message is final, anything else is tried again.
      ++failed_attempts_;
      const bool permanent = session && e.code() >= 500 && e.code() < 600;
      const std::string reason = Reason(e.message());
      merchant_.MailFailed(d.id, reason, permanent ? std::nullopt : retry_at(d));
      Log().warning("invoice %s, delivery %s: the relay answered %s%s", d.invoice_no, std::to_string(d.id),
                    std::to_string(e.code()), permanent ? " (not retried)" : "");
      relay_down = !permanent;
    } catch (const std::exception& e) {
      // Unreachable, timed out, TLS refused, or no PDF in time: tried again later.
      ++failed_attempts_;
      std::string what = e.what();
      if (auto* pe = dynamic_cast<const Poco::Exception*>(&e)) what = pe->displayText();
      merchant_.MailFailed(d.id, Reason(what), retry_at(d));
      Log().warning("invoice %s, delivery %s: %s", d.invoice_no, std::to_string(d.id), Reason(what));
      relay_down = true;
    }
    // The session is in an unknown state after a failure: the next delivery gets a new one,
    // and when the relay itself failed, in the next round (after its own wait).
    session.reset();
    if (relay_down) break;
  }
  if (session) {
    try {
      session->close();
    } catch (const std::exception&) {
      // QUIT is a courtesy: the messages are taken already.
    }
  }
  return sent;
}

}  // namespace app
