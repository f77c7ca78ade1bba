// The merchant's parts of a taxpayer node: its API (POST /v1/orders, GET /v1/orders/{id},
// POST /v1/orders/{id}/buyer, GET /v1/invoices[/{no}]: merchant tokens), the payment
// callbacks (POST /v1/callbacks/wechatpay, /v1/callbacks/generic), and its pages (the
// printable invoice, the buyer's application form, the demo checkout and order page).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "app/documents/invoice_sheet.h"
#include "app/http/site.h"
#include "app/merchant/mailer.h"
#include "app/merchant/merchant.h"
#include "app/merchant/payment_crypto.h"
#include "app/replica/party_view.h"

namespace app {

// merchant_routes.cc
// An invoice's file: `format` .xml (national), .ubl.xml, .png or .svg (its QR code).
void SendInvoiceFile(Exchange& ex, const InvoiceRecord& rec, const std::string& format, const std::string& qr_url);
// An invoice's PDF (inline, named by its number); 409 not_sealed until the authority sealed it.
// The outbox's deliveries as JSON.
Poco::JSON::Array::Ptr DeliveriesJson(const std::vector<MailDelivery>& deliveries);
void SendInvoicePdf(Exchange& ex, const InvoiceRecord& rec, InvoicePrinter& printer, const std::string& qr_url);

class MerchantRoutes {
 public:
  struct Config {
    std::string public_url;  // node.public_url: the base of application links
    bool mail = false;       // a mail relay is configured (mail.host)
  };
  MerchantRoutes(Config config, Site& site, Merchant& merchant, PartyView& view, InvoicePrinter& printer);
  void Add(Router& r);

 private:
  const Config config_;
  Site& site_;
  Merchant* merchant_;
  PartyView* view_;
  InvoicePrinter* printer_;
};

// callback_routes.cc: each callback is authenticated, decoded and recorded durably before it
// is answered 204; app/README.md, "Payment callbacks", lists every refusal.
class CallbackRoutes {
 public:
  struct Config {
    std::string wechat_mchid;       // payment.wechatpay.mchid
    std::string wechat_serial;      // payment.wechatpay.platform_serial
    std::string wechat_api_v3_key;  // payment.wechatpay.api_v3_key (empty: WeChat Pay not configured)
    std::string generic_secret;     // payment.generic.secret (empty: not configured)
    std::string alipay_app_id, alipay_seller_id;  // payment.alipay.* (empty app id: Alipay not configured)
    int callback_tolerance_s = 300;  // payment.timestamp_tolerance_s
  };
  CallbackRoutes(Config config, std::optional<payment::RsaPublicKey> wechat_public_key,
                 std::optional<payment::RsaPublicKey> alipay_public_key, Site& site, Merchant& merchant, Metrics& metrics);
  void Add(Router& r);

 private:
  const Config config_;
  const std::optional<payment::RsaPublicKey> wechat_public_key_;
  std::optional<payment::RsaPublicKey> alipay_public_key_;  // the WeChat Pay platform key
  Site& site_;
  Merchant* merchant_;
  Metrics& metrics_;
};

// page_routes.cc
class MerchantPages {
 public:
  struct Config {
    std::string name;         // node.name
    std::string public_url;   // node.public_url: the base of application links
    bool demo_checkout = false;  // demo.checkout: the checkout simulator and its order pages
    // The simulator pays as WeChat Pay would, to this node's own callback:
    std::string wechat_mchid, wechat_serial, wechat_private_key_file, wechat_api_v3_key;
    std::string listen_host;
    std::function<uint16_t()> port;  // the node's bound port
    bool mail = false;  // a mail relay is configured (mail.host): deliveries and the resend form
    // ...and as Alipay would, when configured (payment.alipay.*, with the test signing key):
    std::string alipay_app_id, alipay_seller_id, alipay_private_key_file;
  };
  MerchantPages(Config config, Site& site, Merchant& merchant, PartyView& view, InvoicePrinter& printer);
  void Add(Router& r);
  // The demo checkout's products, for the home page.
  static PageData CheckoutProducts(const Site& site, Exchange& ex);
  // A delivery in words (mail.state.*); `mask`: the address as b***@example.com (the
  // buyer's public invoice page).
  static std::string DeliveryWords(const Site& site, Exchange& ex, const MailDelivery& d, bool mask);
  // Each delivery of invoice `no` as a page row: its state and its words.
  PageData DeliveryRows(Exchange& ex, const std::string& no, bool mask);

 private:
  // console_pages.cc: /merchant, /merchant/invoices(.csv), /merchant/orders/<id>.
  void AddConsole(Router& r);

  const Config config_;
  Site& site_;
  Merchant* merchant_;
  PartyView* view_;
  InvoicePrinter* printer_;
};

}  // namespace app
