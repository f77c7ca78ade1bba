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
#include "invoice/national_xml.h"
#include "invoice/qr.h"
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


}  // namespace

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

MerchantPages::MerchantPages(Config config, Site& site, Merchant& merchant, PartyView& view)
    : config_(std::move(config)), site_(site), merchant_(&merchant), view_(&view) {}

void MerchantPages::Add(Router& r) {

  r.Add("GET", "/invoices/([0-9]{20})(|\\.xml|\\.ubl\\.xml|\\.png|\\.svg)", [this](Exchange& ex) {
    auto rec = merchant_->GetInvoice(ex.Param(0));
    std::string key = ex.Query("k").value_or("");
    // The key is the QR code's h: without it, invoice numbers (sequential) reveal nothing.
    if (!rec || key.size() != 16 || !payment::ConstantTimeEquals(key, rec->leaf_hash.substr(0, 16)))
      return site_.SendMessagePage(ex, 404, "Invoice not found", "No invoice with this number and key is held by this node.");
    const std::string& format = ex.Param(1);
    const invoice::Invoice& inv = rec->invoice;
    std::string qr_url = merchant_->QrUrl(*rec);
    if (format == ".xml") return ex.Send(200, "application/xml; charset=utf-8", invoice::EncodeInvoiceXml(inv));
    if (format == ".ubl.xml") return ex.Send(200, "application/xml; charset=utf-8", invoice::EncodeUbl(inv));
    if (format == ".svg") return ex.Send(200, "image/svg+xml", invoice::QrSvg(qr_url).value_or(""));
    if (format == ".png") {
      auto png = invoice::QrPng(qr_url);
      return ex.Send(200, "image/png", std::string(png->begin(), png->end()));
    }
    bool red = inv.color == invoice::Color::kRed;
    PageData d = site_.BasePage("发票 " + inv.invoice_no);
    d.set("heading", red ? "电子发票（红字）" : "电子发票（普通发票）");
    d.set("color", std::string(invoice::ColorName(inv.color)));
    d.set("invoice_no", inv.invoice_no);
    d.set("issue_date", invoice::ChinaDate(inv.issued_at_ms));
    d.set("buyer_name", inv.buyer.name);
    d.set("buyer_tax_id", inv.buyer.tax_id.empty() ? "（个人 individual）" : inv.buyer.tax_id);
    d.set("seller_name", inv.seller.name);
    d.set("seller_tax_id", inv.seller.tax_id);
    PageData lines = List();
    for (const auto& l : inv.lines) {
      PageData row;
      row.set("name", l.name);
      row.set("spec", l.spec);
      row.set("unit", l.unit);
      row.set("quantity", l.quantity.ToString());
      std::string price = invoice::FenDecimalToYuan(l.unit_price_fen);  // at least 2 decimals, as on paper
      size_t dot = price.find('.');
      if (dot == std::string::npos) price += ".00";
      else if (price.size() - dot == 2) price += "0";
      row.set("unit_price", price);
      row.set("net", invoice::FormatYuan(l.Split().net_fen));
      row.set("rate", std::to_string(l.rate.percent()) + "%");
      row.set("tax", invoice::FormatYuan(l.Split().tax_fen));
      lines.push_back(row);
    }
    d.set("lines", lines);
    d.set("net_total", invoice::FormatYuan(inv.NetFen()));
    d.set("tax_total", invoice::FormatYuan(inv.TaxFen()));
    d.set("total", invoice::FormatYuan(inv.TotalFen()));
    d.set("total_in_words", invoice::AmountInWords(inv.TotalFen()).value_or(""));
    d.set("order_id", inv.order_id);
    d.set("payment_id", inv.payment_id);
    if (red) {
      d.set("original_no", inv.original_no);
      d.set("red_reason", inv.red_reason);
    }
    d.set("status", rec->status);
    d.set(rec->status, true);
    d.set("height", std::to_string(rec->height));
    d.set("leaf_index", std::to_string(rec->leaf_index));
    d.set("refusal_code", rec->refusal_code);
    d.set("refusal_message", rec->refusal_message);
    view_->With([&](const invoice::Lifecycle& lc) {
      const invoice::InvoiceState* st = lc.FindInvoice(inv.invoice_no);
      d.set("reimbursement", std::string(invoice::ReimbursementName(st ? st->reimbursement : invoice::Reimbursement::kNone)));
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

  auto apply_page = [this](Exchange& ex, const OrderRecord& order, const std::string& token, const std::string& error,
                           const invoice::Party& entered) {
    PageData d = site_.BasePage("申请开票 Apply for an invoice");
    d.set("order_id", order.order.order_id);
    d.set("seller_name", config_.name);
    d.set("total", invoice::FormatYuan(order.order.TotalFen()));
    d.set("total_in_words", invoice::AmountInWords(order.order.TotalFen()).value_or(""));
    d.set("token", token);
    d.set("title", entered.name);
    d.set("tax_id", entered.tax_id);
    d.set("email", entered.email);
    if (!error.empty()) d.set("error", error);
    site_.SendPage(ex, error.empty() ? 200 : 422, "apply", d);
  };
  auto applied_page = [this](Exchange& ex, const OrderRecord& order) {
    std::string link;
    for (const std::string& no : order.invoices) {  // the blue invoice the authority did not refuse
      auto inv = merchant_->GetInvoice(no);
      if (inv && inv->invoice.color == invoice::Color::kBlue && inv->status != "rejected")
        link = "/invoices/" + inv->invoice.invoice_no + "?k=" + inv->leaf_hash.substr(0, 16);
    }
    site_.SendMessagePage(ex, 200, "Invoice requested", "The invoice for order " + order.order.order_id + " has been issued.",
                    link, "View your invoice");
  };

  r.Add("GET", "/apply/([0-9a-f]{32})", [this, apply_page, applied_page](Exchange& ex) {
    auto order = merchant_->GetOrderByApplyToken(ex.Param(0));
    if (!order) return site_.SendMessagePage(ex, 404, "Link not valid", "This application link is not valid.");
    if (order->order.buyer) return applied_page(ex, *order);
    apply_page(ex, *order, ex.Param(0), "", {});
  });

  r.Add("POST", "/apply/([0-9a-f]{32})", [this, apply_page, applied_page](Exchange& ex) {
    auto order = merchant_->GetOrderByApplyToken(ex.Param(0));
    if (!order) return site_.SendMessagePage(ex, 404, "Link not valid", "This application link is not valid.");
    if (order->order.buyer) return applied_page(ex, *order);
    auto form = FormOf(ex);
    invoice::Party buyer{TrimmedField(form->get("title", "")), TrimmedField(form->get("tax_id", "")), TrimmedField(form->get("email", ""))};
    try {
      CheckBuyer(buyer, "");
      if (buyer.name.size() > 100) throw ApiError(422, "too_long", "the title is at most 100 characters", "title");
    } catch (const ApiError& e) {
      return apply_page(ex, *order, ex.Param(0), e.what(), buyer);
    }
    merchant_->ApplyBuyer(ex.Param(0), buyer);
    applied_page(ex, *merchant_->GetOrder(order->order.order_id));
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
    std::string buyer = TrimmedField(form->get("buyer", "")), tax_id = TrimmedField(form->get("buyer_tax_id", ""));
    if (!buyer.empty()) {
      order.buyer = invoice::Party{buyer, tax_id, ""};
      try {
        CheckBuyer(*order.buyer, "buyer.");
        if (buyer.size() > 100) throw ApiError(422, "too_long", "the title is at most 100 characters", "buyer");
      } catch (const ApiError& e) {
        return site_.SendMessagePage(ex, 422, "Checkout", e.what(), "/", "Back");
      }
    }
    merchant_->CreateOrder(order);
    merchant_->MarkDemoOrder(order.order_id);
    // Pay it the way WeChat Pay would: a signed, encrypted notification over HTTP.
    payment::WechatSimKeys keys{config_.wechat_mchid, config_.wechat_serial, ReadTextFile(config_.wechat_private_key_file),
                                config_.wechat_api_v3_key};
    auto n = payment::WechatTransaction(keys, order.order_id, "42000" + std::to_string(site_.Now()), order.TotalFen(),
                                        static_cast<int64_t>(site_.Now() / 1000));
    auto [status, answer] = payment::Deliver(config_.listen_host, config_.port(), "wechatpay", n);
    if (status != 204)
      return site_.SendNotice(ex, 502, "checkout.payment_failed", {{"status", std::to_string(status)}}, "/", "checkout.back");
    ex.Redirect("/demo/orders/" + order.order_id);
  });

  r.Add("GET", "/demo/orders/([A-Za-z0-9._-]{1,64})", [this](Exchange& ex) {
    // Only orders of this checkout: one created through the API is the merchant's business.
    auto order = merchant_->IsDemoOrder(ex.Param(0)) ? merchant_->GetOrder(ex.Param(0)) : std::nullopt;
    if (!order) return site_.SendMessagePage(ex, 404, "Order not found", "No such order.");
    PageData d = site_.BasePage("Order " + order->order.order_id);
    d.set("order_id", order->order.order_id);
    d.set("status", order->status);
    d.set("total", invoice::FormatYuan(order->order.TotalFen()));
    if (!order->order.buyer && !order->apply_token.empty())
      d.set("apply_url", config_.public_url + "/apply/" + order->apply_token);
    PageData invoices = List();
    bool waiting = order->order.buyer.has_value() && order->invoices.empty();
    for (const auto& no : order->invoices) {
      auto inv = merchant_->GetInvoice(no);
      PageData i;
      i.set("invoice_no", no);
      i.set("status", inv->status);
      i.set("color_text", inv->invoice.color == invoice::Color::kBlue ? "Blue" : "Red");
      i.set("url", "/invoices/" + no + "?k=" + inv->leaf_hash.substr(0, 16));
      invoices.push_back(i);
      waiting = waiting || inv->status == "pending";
    }
    d.set("invoices", invoices);
    if (waiting) {
      d.set("waiting", true);
      d.set("refresh", "1");
    }
    site_.SendPage(ex, 200, "order", d);
  });
}

}  // namespace app
