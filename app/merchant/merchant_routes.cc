// The merchant's API on a taxpayer node: POST /v1/orders, GET /v1/orders/{id},
// GET /v1/invoices, GET /v1/invoices/{no}[.xml|.ubl.xml|.png|.svg|.pdf], POST
// /v1/invoices/{no}/email (merchant token).
#include <Poco/JSON/Array.h>

#include "app/http/api_error.h"
#include "app/chain/chain_json.h"
#include "app/http/json_body.h"
#include "app/merchant/merchant_routes.h"
#include "app/documents/order_json.h"
#include "invoice/amount_words.h"
#include "invoice/national_xml.h"
#include "invoice/time_format.h"
#include "invoice/qr.h"
#include "invoice/ubl.h"

namespace app {

using Poco::JSON::Array;
using Poco::JSON::Object;

Array::Ptr DeliveriesJson(const std::vector<MailDelivery>& deliveries) {
  Array::Ptr a = new Array;
  for (const MailDelivery& d : deliveries) {
    Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("id", d.id);
    o->set("address", d.address);
    o->set("reason", d.reason);
    o->set("state", d.state);
    o->set("attempts", d.attempts);
    if (!d.error.empty()) o->set("error", d.error);
    o->set("queued_at", invoice::FormatUtcMs(d.created_ms));
    if (d.state == "queued") o->set("next_attempt_at", invoice::FormatUtcMs(d.next_ms));
    if (d.sent_ms) o->set("sent_at", invoice::FormatUtcMs(d.sent_ms));
    a->add(o);
  }
  return a;
}

MerchantRoutes::MerchantRoutes(Config config, Site& site, Merchant& merchant, PartyView& view, InvoicePrinter& printer)
    : config_(std::move(config)), site_(site), merchant_(&merchant), view_(&view), printer_(&printer) {}

void MerchantRoutes::Add(Router& r) {

  r.Add("POST", "/v1/orders", [this](Exchange& ex) {
    site_.Authorize(ex, {TokenRole::kMerchant});
    invoice::Order order = OrderFromJson(ParseJsonObject(ex.Body()));
    if (!merchant_->CreateOrder(order)) throw ApiError(409, "duplicate_order", "order_id exists already", "order_id");
    Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("order_id", order.order_id);
    o->set("status", "created");
    invoice::Invoice probe;
    probe.lines = order.items;
    o->set("net_fen", probe.NetFen());
    o->set("tax_fen", probe.TaxFen());
    o->set("total_fen", probe.TotalFen());
    o->set("items", LinesJson(order.items));
    ex.Json(201, o);
  });

  // The merchant sets or corrects the buyer of an order that has none (never given, or
  // refused by the authority's rules): the invoice is then issued for it.
  r.Add("POST", "/v1/orders/([A-Za-z0-9._-]{1,64})/buyer", [this](Exchange& ex) {
    site_.Authorize(ex, {TokenRole::kMerchant});
    invoice::Party buyer = BuyerFromJson(ParseJsonObject(ex.Body()), "");
    switch (merchant_->SetBuyer(ex.Param(0), buyer)) {
      case NoticeOutcome::kUnknownOrder: throw ApiError::NotFound("no order " + ex.Param(0));
      case NoticeOutcome::kDuplicate:
        throw ApiError(409, "buyer_already_set", "the order has a buyer; its invoice is issued or on its way");
      default: break;
    }
    auto order = merchant_->GetOrder(ex.Param(0));
    Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("order_id", ex.Param(0));
    o->set("status", order->status);
    o->set("buyer", PartyJson(buyer));
    ex.Json(200, o);
  });

  r.Add("GET", "/v1/orders/([A-Za-z0-9._-]{1,64})", [this](Exchange& ex) {
    site_.Authorize(ex, {TokenRole::kMerchant});
    auto rec = merchant_->GetOrder(ex.Param(0));
    if (!rec) throw ApiError::NotFound("no order " + ex.Param(0));
    Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("order_id", rec->order.order_id);
    o->set("status", rec->status);
    o->set("total_fen", rec->order.TotalFen());
    o->set("refunded_fen", rec->refunded_fen);
    if (rec->order.buyer) o->set("buyer", PartyJson(*rec->order.buyer));
    if (!rec->payment_id.empty()) o->set("payment_id", rec->payment_id);
    if (!rec->apply_token.empty() && !rec->order.buyer) o->set("apply_url", config_.public_url + "/apply/" + rec->apply_token);
    Array::Ptr invoices = new Array;
    for (const auto& no : rec->invoices) {
      auto inv = merchant_->GetInvoice(no);
      Object::Ptr i = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
      i->set("invoice_no", no);
      i->set("color", std::string(invoice::ColorName(inv->invoice.color)));
      i->set("status", inv->status);
      i->set("total_fen", inv->invoice.TotalFen());
      i->set("deliveries", DeliveriesJson(merchant_->MailOf(no)));
      invoices->add(i);
    }
    o->set("invoices", invoices);
    o->set("items", LinesJson(rec->order.items));
    ex.Json(200, o);
  });

  r.Add("GET", "/v1/invoices", [this](Exchange& ex) {
    site_.Authorize(ex, {TokenRole::kMerchant});
    std::string status = ex.Query("status").value_or("");
    if (!status.empty() && status != "pending" && status != "sealed" && status != "rejected")
      throw ApiError::BadRequest("invalid_parameter", "status is pending, sealed or rejected", "status");
    auto parse_time = [&](const char* name, uint64_t dflt) -> uint64_t {
      auto v = ex.Query(name);
      if (!v) return dflt;
      auto ms = invoice::ParseUtcMs(*v);
      if (!ms && v->size() == 10) ms = invoice::ParseUtcMs(*v + "T00:00:00.000Z");
      if (!ms) throw ApiError::BadRequest("invalid_parameter", std::string(name) + " is a date (2026-11-24) or UTC time", name);
      return *ms;
    };
    uint64_t from = parse_time("from", 0), to = parse_time("to", UINT64_MAX);
    uint64_t limit = ex.QueryUint("limit").value_or(100);
    if (limit == 0 || limit > 1000) throw ApiError::BadRequest("invalid_parameter", "limit is 1..1000", "limit");
    Array::Ptr arr = new Array;
    for (const auto& rec : merchant_->ListInvoices(ex.Query("order_id").value_or(""), from, to, status, limit))
      arr->add(view_->With([&](const invoice::Lifecycle& lc) {
        return InvoiceJson(rec, merchant_->QrUrl(rec), lc.FindInvoice(rec.invoice.invoice_no), false);
      }));
    Object::Ptr o = new Object;
    o->set("invoices", arr);
    ex.Json(200, o);
  });

  r.Add("GET", "/v1/invoices/([0-9]{20})(|\\.xml|\\.ubl\\.xml|\\.png|\\.svg|\\.pdf)", [this](Exchange& ex) {
    site_.Authorize(ex, {TokenRole::kMerchant});
    auto rec = merchant_->GetInvoice(ex.Param(0));
    if (!rec) throw ApiError::NotFound("no invoice " + ex.Param(0) + " on this node");
    const std::string& format = ex.Param(1);
    // The merchant's node learns of claims by replication (not built yet): "none" until then.
    if (format.empty()) {
      Object::Ptr o = view_->With([&](const invoice::Lifecycle& lc) {
        return InvoiceJson(*rec, merchant_->QrUrl(*rec), lc.FindInvoice(rec->invoice.invoice_no), false);
      });
      o->set("deliveries", DeliveriesJson(merchant_->MailOf(rec->invoice.invoice_no)));
      return ex.Json(200, o);
    }
    if (format == ".pdf") return SendInvoicePdf(ex, *rec, *printer_, merchant_->QrUrl(*rec));
    SendInvoiceFile(ex, *rec, format, merchant_->QrUrl(*rec));
  });

  // The merchant sends the invoice (again) to an address: the buyer's own when it was lost,
  // or another (the buyer's finance office). Queued in the outbox; 202 with the delivery.
  r.Add("POST", "/v1/invoices/([0-9]{20})/email", [this](Exchange& ex) {
    site_.Authorize(ex, {TokenRole::kMerchant});
    Object::Ptr body = ParseJsonObject(ex.Body());
    std::string address = OptionalString(body, "email").value_or("");
    if (auto problem = MailAddressProblem(address)) throw ApiError(422, "invalid_email", *problem, "email");
    if (!config_.mail) throw ApiError(409, "mail_not_configured", "this node has no mail relay (mail.host)");
    auto rec = merchant_->GetInvoice(ex.Param(0));
    if (!rec) throw ApiError::NotFound("no invoice " + ex.Param(0) + " on this node");
    if (rec->status != "sealed")
      throw ApiError(409, "not_sealed", "invoice " + ex.Param(0) + " is " + rec->status + ": it is sent once sealed");
    auto d = merchant_->QueueMail(ex.Param(0), address);
    ex.Json(202, DeliveriesJson({*d})->getObject(0));
  });
}

void SendInvoiceFile(Exchange& ex, const InvoiceRecord& rec, const std::string& format, const std::string& qr_url) {
  if (format == ".xml") return ex.Send(200, "application/xml; charset=utf-8", invoice::EncodeInvoiceXml(rec.invoice));
  if (format == ".ubl.xml") return ex.Send(200, "application/xml; charset=utf-8", invoice::EncodeUbl(rec.invoice));
  if (format == ".svg") return ex.Send(200, "image/svg+xml", invoice::QrSvg(qr_url).value_or(""));
  auto png = invoice::QrPng(qr_url);
  ex.Send(200, "image/png", std::string(png->begin(), png->end()));
}

void SendInvoicePdf(Exchange& ex, const InvoiceRecord& rec, InvoicePrinter& printer, const std::string& qr_url) {
  if (rec.status != "sealed")
    throw ApiError(409, "not_sealed", "invoice " + rec.invoice.invoice_no + " is " + rec.status +
                                          ": its PDF is made once the authority has sealed it");
  std::string pdf = printer.Pdf(rec.invoice, qr_url);
  ex.response().set("Content-Disposition", "inline; filename=\"" + rec.invoice.invoice_no + ".pdf\"");
  ex.Send(200, "application/pdf", pdf);
}

}  // namespace app
