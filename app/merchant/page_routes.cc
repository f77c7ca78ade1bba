// HTML pages: the home page (with the demo checkout simulator on a merchant), the printable
// invoice page, the buyer's application form, and the demo order page.
#include <fstream>
#include <map>
#include <charconv>
#include <sstream>

#include "app/http/api_error.h"
#include "app/chain/chain_json.h"
#include "app/base/text_file.h"
#include "app/merchant/merchant_routes.h"
#include "app/documents/order_json.h"
#include "app/merchant/payment_crypto.h"
#include "app/merchant/payment_sim.h"
#include "invoice/amount_words.h"
#include "invoice/credit_code.h"
#include "invoice/national_xml.h"
#include "invoice/qr.h"
#include "invoice/time_format.h"
#include "invoice/ubl.h"

namespace app {
namespace {

struct Product {
  const char* id;
  const char* name;
  const char* unit;
  int64_t price_fen;
  const char* rate;
};

// The demo checkout's catalogue: one product per VAT rate.
const Product kProducts[] = {
    {"latte", "拿铁咖啡", "杯", 3200, "0.13"},    {"milk", "鲜牛奶", "升", 1380, "0.09"},
    {"service", "餐饮服务", "次", 1060, "0.06"}, {"beans", "咖啡豆零售", "袋", 10300, "0.03"},
    {"cups", "纸杯", "个", 50, "0.01"},         {"book", "图书", "本", 4800, "0"},
};

// A tax id as typed: letters in upper case (credit codes have no lower case; phones often
// type it).
std::string UpperAscii(std::string s) {
  for (char& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return s;
}

// The catalog key saying what is wrong with a buyer from a form (the application or the
// checkout), or "" when nothing is: the rules the authority applies (CheckBuyer), and a
// title of at most 100 bytes.
std::string BuyerProblem(const invoice::Party& buyer) {
  try {
    CheckBuyer(buyer, "");
  } catch (const ApiError& e) {
    if (e.field() == "tax_id") {
      invoice::CreditCodeError error = invoice::CheckCreditCode(buyer.tax_id);
      if (error != invoice::CreditCodeError::kOk) return "error.tax_id." + std::string(invoice::CreditCodeErrorName(error));
    }
    if (e.field() == "email") return "apply.error.email";
    if (e.field() == "name" && e.code() == "missing_field") return "apply.error.title_missing";
    if (e.field() == "name" && e.code() == "too_long") return "apply.error.title_too_long";
    if (e.field() == "name") return "apply.error.title_invalid";
    return "apply.error.other";
  }
  if (buyer.name.size() > 100) return "apply.error.title_too_long";
  return "";
}

}  // namespace

std::string MerchantPages::DeliveryWords(const Site& site, Exchange& ex, const MailDelivery& d, bool mask) {
  std::string address = d.address;
  if (mask) {
    size_t at = address.find('@');
    address = (at == std::string::npos || at == 0) ? "***" : address.substr(0, 1) + "***" + address.substr(at);
  }
  if (d.state == "sent")
    return site.Text(ex, "mail.state.sent", {{"address", address}, {"time", invoice::ChinaDateTime(d.sent_ms)}});
  if (d.state == "failed") return site.Text(ex, "mail.state.failed", {{"address", address}, {"error", d.error}});
  if (d.attempts > 0)
    return site.Text(ex, "mail.state.retrying",
                     {{"address", address}, {"time", invoice::ChinaDateTime(d.next_ms)}, {"error", d.error}});
  return site.Text(ex, "mail.state.queued", {{"address", address}});
}

PageData MerchantPages::DeliveryRows(Exchange& ex, const std::string& no, bool mask) {
  PageData rows = List();
  for (const MailDelivery& m : merchant_->MailOf(no)) {
    PageData x;
    x.set("state", m.state);
    x.set("words", DeliveryWords(site_, ex, m, mask));
    rows.push_back(x);
  }
  return rows;
}

PageData MerchantPages::CheckoutProducts(const Site& site, Exchange& ex) {
  PageData products = List();
  for (const Product& p : kProducts) {
    PageData item;
    item.set("id", p.id);
    item.set("label", site.Text(ex, "checkout.product_option",
                                {{"name", p.name},
                                 {"price", invoice::FormatYuan(p.price_fen)},
                                 {"rate", std::to_string(invoice::TaxRate::Parse(p.rate)->percent()) + "%"}}));
    products.push_back(item);
  }
  return products;
}

MerchantPages::MerchantPages(Config config, Site& site, Merchant& merchant, PartyView& view, InvoicePrinter& printer)
    : config_(std::move(config)), site_(site), merchant_(&merchant), view_(&view), printer_(&printer) {}

void MerchantPages::Add(Router& r) {
  AddConsole(r);

  r.Add("GET", "/invoices/([0-9]{20})(|\\.xml|\\.ubl\\.xml|\\.png|\\.svg|\\.pdf)", [this](Exchange& ex) {
    auto rec = merchant_->GetInvoice(ex.Param(0));
    std::string key = ex.Query("k").value_or("");
    // The key is the QR code's h: without it, invoice numbers (sequential) reveal nothing.
    if (!rec || key.size() != 16 || !payment::ConstantTimeEquals(key, rec->leaf_hash.substr(0, 16)))
      return site_.SendNotice(ex, 404, "invoice.not_found");
    const std::string& format = ex.Param(1);
    const invoice::Invoice& inv = rec->invoice;
    std::string qr_url = merchant_->QrUrl(*rec);
    if (format == ".pdf") return SendInvoicePdf(ex, *rec, *printer_, qr_url);
    if (!format.empty()) return SendInvoiceFile(ex, *rec, format, qr_url);
    const InvoiceSheet sheet = printer_->Sheet(site_.Lang(ex), inv, qr_url);
    PageData d = site_.Page(ex, "invoice.title", {{"invoice_no", inv.invoice_no}});
    d.set("heading", sheet.heading);
    d.set("color", std::string(invoice::ColorName(inv.color)));
    d.set("invoice_no", sheet.invoice_no);
    d.set("issue_date", sheet.issue_date);
    d.set("buyer_name", sheet.buyer_name);
    d.set("buyer_tax_id", sheet.buyer_tax_id);
    d.set("seller_name", sheet.seller_name);
    d.set("seller_tax_id", sheet.seller_tax_id);
    PageData lines = List();
    for (const auto& l : sheet.lines) {
      PageData row;
      row.set("name", l.name);
      row.set("spec", l.spec);
      row.set("unit", l.unit);
      row.set("quantity", l.quantity);
      row.set("unit_price", l.unit_price);
      row.set("net", l.net);
      row.set("rate", l.rate);
      row.set("tax", l.tax);
      lines.push_back(row);
    }
    d.set("lines", lines);
    d.set("net_total", sheet.net_total);
    d.set("tax_total", sheet.tax_total);
    d.set("total", sheet.total);
    d.set("total_in_words", sheet.total_in_words);
    d.set("remarks", sheet.remarks);
    d.set("drawer", sheet.drawer);
    if (!sheet.tax_bureau.empty()) d.set("tax_bureau", sheet.tax_bureau);
    d.set("mail", DeliveryRows(ex, inv.invoice_no, true));
    d.set("status", rec->status);
    d.set(rec->status, true);
    d.set("status_word", site_.Word(ex, "state.status.", rec->status));
    if (rec->status == "sealed")
      d.set("status_text", site_.Text(ex, "invoice.sealed_text",
                                      {{"block", site_.Text(ex, "step.block", {{"height", std::to_string(rec->height)}})}}));
    else if (rec->status == "pending")
      d.set("status_text", site_.Text(ex, "invoice.pending_text"));
    else if (rec->status == "rejected")
      d.set("status_text", site_.Text(ex, "invoice.rejected_text"));
    d.set("refusal_code", rec->refusal_code);
    d.set("refusal_message", rec->refusal_message);
    view_->With([&](const invoice::Lifecycle& lc) {
      const invoice::InvoiceState* st = lc.FindInvoice(inv.invoice_no);
      std::string reimbursement(invoice::ReimbursementName(st ? st->reimbursement : invoice::Reimbursement::kNone));
      d.set("reimbursement", reimbursement);
      d.set("reimbursement_word", site_.Word(ex, "state.reimbursement.", reimbursement));
      if (!st) return;
      PageData trace = List();
      for (const invoice::Step& step : st->history) trace.push_back(StepRow(site_.templates().catalog(), site_.Lang(ex), step));
      d.set("trace", trace);
      d.set("has_trace", true);
    });
    d.set("leaf_hash", rec->leaf_hash);
    d.set("qr_url", qr_url);
    d.set("qr_svg", invoice::QrSvg(qr_url, 3).value_or(""));  // markup made here: rendered raw
    d.set("key", key);
    if (rec->status == "pending") d.set("refresh", "2");
    site_.SendPage(ex, 200, "invoice", d);
  });

  // The buyer's form; `company`: the title is a company's (its tax id is asked for).
  auto apply_page = [this](Exchange& ex, const OrderRecord& order, const std::string& token, const std::string& error_key,
                           const invoice::Party& entered, bool company) {
    PageData d = site_.Page(ex, "apply.title");
    std::string total = invoice::FormatYuan(order.order.TotalFen());
    d.set("intro", site_.Text(ex, "apply.intro",
                              {{"order_id", order.order.order_id},
                               {"seller", config_.name},
                               {"total", total},
                               {"total_in_words", invoice::AmountInWords(order.order.TotalFen()).value_or("")}}));
    d.set("token", token);
    d.set("buyer_name", entered.name);
    d.set("tax_id", entered.tax_id);
    d.set("email", entered.email);
    d.set("company", company);
    if (!error_key.empty()) d.set("error", site_.Text(ex, error_key));
    site_.SendPage(ex, error_key.empty() ? 200 : 422, "apply", d);
  };
  // Once the buyer has applied: the invoice, or word that it is on its way.
  auto applied_page = [this](Exchange& ex, const OrderRecord& order) {
    std::string link;
    for (const std::string& no : order.invoices) {  // the blue invoice the authority did not refuse
      auto inv = merchant_->GetInvoice(no);
      if (inv && inv->invoice.color == invoice::Color::kBlue && inv->status != "rejected")
        link = "/invoices/" + inv->invoice.invoice_no + "?k=" + inv->leaf_hash.substr(0, 16);
    }
    if (link.empty()) return site_.SendNotice(ex, 200, "apply.requested", {{"order_id", order.order.order_id}});
    site_.SendNotice(ex, 200, "apply.issued", {{"order_id", order.order.order_id}}, link, "apply.view_invoice");
  };

  r.Add("GET", "/apply/([0-9a-f]{32})", [this, apply_page, applied_page](Exchange& ex) {
    auto order = merchant_->GetOrderByApplyToken(ex.Param(0));
    if (!order) return site_.SendNotice(ex, 404, "apply.not_found");
    if (order->order.buyer) return applied_page(ex, *order);
    apply_page(ex, *order, ex.Param(0), "", {}, true);
  });

  r.Add("POST", "/apply/([0-9a-f]{32})", [this, apply_page](Exchange& ex) {
    auto order = merchant_->GetOrderByApplyToken(ex.Param(0));
    if (!order) return site_.SendNotice(ex, 404, "apply.not_found");
    if (order->order.buyer) return ex.Redirect("/apply/" + ex.Param(0));  // applied already
    auto form = FormOf(ex);
    invoice::Party buyer{TrimmedField(form->get("title", "")), UpperAscii(TrimmedField(form->get("tax_id", ""))),
                         TrimmedField(form->get("email", ""))};
    // Without the switch (a form of an older page, a script): a tax id makes it a company's.
    std::string kind = form->get("buyer_kind", "");
    bool company = kind == "company" || (kind != "individual" && !buyer.tax_id.empty());
    if (!company) buyer.tax_id.clear();  // an individual has none
    std::string problem = BuyerProblem(buyer);
    if (problem.empty() && company && buyer.tax_id.empty()) problem = "apply.error.tax_id_missing";
    if (!problem.empty()) return apply_page(ex, *order, ex.Param(0), problem, buyer, company);
    merchant_->ApplyBuyer(ex.Param(0), buyer);
    ex.Redirect("/apply/" + ex.Param(0));  // the invoice's page link, on a page that can be reloaded
  });

  if (!config_.demo_checkout) return;

  r.Add("POST", "/demo/checkout", [this](Exchange& ex) {
    auto form = FormOf(ex);
    const Product* product = nullptr;
    for (const Product& p : kProducts)
      if (form->get("product", "") == p.id) product = &p;
    const std::string quantity = form->get("quantity", "1");
    int qty = 0;
    auto [end, ec] = std::from_chars(quantity.data(), quantity.data() + quantity.size(), qty);
    if (!product || ec != std::errc() || end != quantity.data() + quantity.size() || qty < 1 || qty > 99)
      return site_.SendNotice(ex, 422, "checkout.refused", {}, "/", "checkout.back");
    invoice::Order order;
    // The order's page shows its invoice's key: its address must not be guessable.
    order.order_id = "DEMO-" + payment::RandomHex(16);
    invoice::Line l;
    l.name = product->name;
    l.unit = product->unit;
    l.quantity = invoice::Decimal{qty, 0};
    l.unit_price_fen = invoice::Decimal{product->price_fen, 0};
    l.gross_fen = product->price_fen * qty;
    l.rate = *invoice::TaxRate::Parse(product->rate);
    order.items = {l};
    std::string buyer = TrimmedField(form->get("buyer", "")), tax_id = UpperAscii(TrimmedField(form->get("buyer_tax_id", "")));
    if (!buyer.empty()) {
      order.buyer = invoice::Party{buyer, tax_id, ""};
      if (std::string problem = BuyerProblem(*order.buyer); !problem.empty())
        return site_.SendNotice(ex, 422, "order.buyer_refused", {{"reason", site_.Text(ex, problem)}}, "/", "checkout.back");
    }
    merchant_->CreateOrder(order);
    merchant_->MarkDemoOrder(order.order_id);
    // Pay it the way the chosen provider would: a signed notification over HTTP to this node.
    const bool alipay = form->get("provider", "wechatpay") == "alipay" && !config_.alipay_app_id.empty();
    const int64_t now_s = static_cast<int64_t>(site_.Now() / 1000);
    payment::SignedNotification n;
    if (alipay) {
      payment::AlipaySimKeys keys{config_.alipay_app_id, config_.alipay_seller_id, ReadTextFile(config_.alipay_private_key_file)};
      n = payment::AlipayPayment(keys, order.order_id, "2026" + std::to_string(site_.Now()), order.TotalFen(), now_s);
    } else {
      payment::WechatSimKeys keys{config_.wechat_mchid, config_.wechat_serial, ReadTextFile(config_.wechat_private_key_file),
                                  config_.wechat_api_v3_key};
      n = payment::WechatTransaction(keys, order.order_id, "42000" + std::to_string(site_.Now()), order.TotalFen(), now_s);
    }
    auto [status, answer] = payment::Deliver(config_.listen_host, config_.port(), alipay ? "alipay" : "wechatpay", n);
    if (alipay ? !(status == 200 && answer == "success") : status != 204)
      return site_.SendNotice(ex, 502, "checkout.payment_failed", {{"status", std::to_string(status)}}, "/", "checkout.back");
    ex.Redirect("/demo/orders/" + order.order_id);
  });

  r.Add("GET", "/demo/orders/([A-Za-z0-9._-]{1,64})", [this](Exchange& ex) {
    // Only orders of this checkout: one created through the API is the merchant's business.
    auto order = merchant_->IsDemoOrder(ex.Param(0)) ? merchant_->GetOrder(ex.Param(0)) : std::nullopt;
    if (!order) return site_.SendNotice(ex, 404, "order.not_found");
    PageData d = site_.Page(ex, "order.title", {{"order_id", order->order.order_id}});
    d.set("order_id", order->order.order_id);
    d.set("status", site_.Word(ex, "order.state.", order->status));
    d.set("total", invoice::FormatYuan(order->order.TotalFen()));
    if (!order->order.buyer && !order->apply_token.empty()) {
      std::string apply_url = config_.public_url + "/apply/" + order->apply_token;
      d.set("apply_url", apply_url);
      d.set("apply_qr_svg", invoice::QrSvg(apply_url, 3).value_or(""));  // markup made here: rendered raw
    }
    PageData invoices = List();
    bool waiting = order->order.buyer.has_value() && order->invoices.empty();
    for (const auto& no : order->invoices) {
      auto inv = merchant_->GetInvoice(no);
      PageData i;
      i.set("invoice_no", no);
      i.set("text", site_.Text(ex, "order.invoice_item",
                               {{"color", site_.Word(ex, "state.color.", std::string(invoice::ColorName(inv->invoice.color)))},
                                {"invoice_no", no}}));
      i.set("status", site_.Word(ex, "state.status.", inv->status));
      i.set("url", "/invoices/" + no + "?k=" + inv->leaf_hash.substr(0, 16));
      invoices.push_back(i);
      waiting = waiting || inv->status == "pending";
    }
    d.set("has_invoices", !order->invoices.empty());
    d.set("invoices", invoices);
    if (waiting) {
      d.set("waiting", true);
      d.set("refresh", "1");
    }
    site_.SendPage(ex, 200, "order", d);
  });
}

}  // namespace app
