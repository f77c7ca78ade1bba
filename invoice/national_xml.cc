#include "invoice/national_xml.h"

#include "invoice/amount_words.h"
#include "invoice/time_format.h"
#include "invoice/xml_fields.h"

namespace invoice {
namespace {

Problem Bad(const std::string& field, const std::string& message) { return Problem{"invalid_document", field, message}; }

}  // namespace

std::string FenDecimalToYuan(const Decimal& fen) {
  return Decimal{fen.units, fen.scale + 2}.ToString();
}

std::optional<Decimal> YuanToFenDecimal(std::string_view text) {
  auto y = Decimal::Parse(text, 8);
  if (!y) return std::nullopt;
  Decimal fen{y->units, y->scale - 2};
  while (fen.scale < 0) {
    fen.units *= 10;
    ++fen.scale;
  }
  return fen;
}

std::string EncodeInvoiceXml(const Invoice& inv) {
  using xml::Add;
  using xml::AddIf;
  pugi::xml_document doc;
  pugi::xml_node root = doc.append_child("EInvoice");
  pugi::xml_node h = root.append_child("Header");
  Add(h, "InvoiceNumber", inv.invoice_no);
  Add(h, "InvoiceType", std::string(ColorName(inv.color)));
  Add(h, "IssueTime", FormatUtcMs(inv.issued_at_ms));
  pugi::xml_node s = root.append_child("SellerInformation");
  Add(s, "SellerIdNum", inv.seller.tax_id);
  Add(s, "SellerName", inv.seller.name);
  pugi::xml_node b = root.append_child("BuyerInformation");
  AddIf(b, "BuyerIdNum", inv.buyer.tax_id);
  Add(b, "BuyerName", inv.buyer.name);
  AddIf(b, "BuyerEmail", inv.buyer.email);
  for (const Line& l : inv.lines) {
    pugi::xml_node item = root.append_child("IssuItemInformation");
    Add(item, "ItemName", l.name);
    AddIf(item, "SpecMod", l.spec);
    AddIf(item, "MeaUnits", l.unit);
    Add(item, "Quantity", l.quantity.ToString());
    // The national layout: the unit price without tax; ours with tax beside it, from which
    // the line is read back (older documents held the price with tax in UnPrice alone).
    if (inv.legacy_unit_price) {
      Add(item, "UnPrice", FenDecimalToYuan(l.unit_price_fen));
    } else {
      Add(item, "UnPrice", l.NetUnitPriceYuan().ToString());
      Add(item, "UnPriceWithTax", FenDecimalToYuan(l.unit_price_fen));
    }
    Add(item, "Amount", FormatYuan(l.Split().net_fen));
    Add(item, "TaxRate", l.rate.ToString());
    Add(item, "ComTaxAm", FormatYuan(l.Split().tax_fen));
    Add(item, "TotaltaxIncludedAmount", FormatYuan(l.gross_fen));
  }
  pugi::xml_node t = root.append_child("BasicInformation");
  Add(t, "TotalAmWithoutTax", FormatYuan(inv.NetFen()));
  Add(t, "TotalTaxAm", FormatYuan(inv.TaxFen()));
  Add(t, "TotalTax-includedAmount", FormatYuan(inv.TotalFen()));
  Add(t, "TotalTax-includedAmountInChinese", AmountInWords(inv.TotalFen()).value_or(""));
  pugi::xml_node a = root.append_child("AdditionalInformation");
  AddIf(a, "OrderId", inv.order_id);
  Add(a, "PaymentId", inv.payment_id);
  if (inv.color == Color::kRed) {
    pugi::xml_node r = root.append_child("RedInvoiceInformation");
    Add(r, "OriginalInvoiceNumber", inv.original_no);
    Add(r, "RedReason", inv.red_reason);
    AddIf(r, "ConfirmationId", inv.confirmation_id);
  }
  return xml::Canonical(doc);
}

std::variant<Invoice, Problem> DecodeInvoiceXml(std::string_view text, bool checked) {
  pugi::xml_document doc;
  if (!doc.load_buffer(text.data(), text.size(), pugi::parse_default, pugi::encoding_utf8))
    return Bad("EInvoice", "not well-formed XML");
  pugi::xml_node root = doc.first_child();
  if (std::string(root.name()) != "EInvoice" || root.next_sibling()) return Bad("EInvoice", "the root is not EInvoice");
  Invoice inv;
  xml::Reader r(root);
  {
    xml::Reader h(r.Child("Header"));
    inv.invoice_no = h.Text("InvoiceNumber").value_or("");
    std::string type = h.Text("InvoiceType").value_or("");
    auto issued = ParseUtcMs(h.Text("IssueTime").value_or(""));
    if (!h.missing().empty()) return Bad(h.missing(), "missing " + h.missing());
    if (type != "blue" && type != "red") return Bad("InvoiceType", "InvoiceType is blue or red");
    if (!issued) return Bad("IssueTime", "IssueTime is YYYY-MM-DDThh:mm:ss.mmmZ");
    inv.color = type == "blue" ? Color::kBlue : Color::kRed;
    inv.issued_at_ms = *issued;
  }
  {
    xml::Reader s(r.Child("SellerInformation"));
    inv.seller.tax_id = s.Text("SellerIdNum").value_or("");
    inv.seller.name = s.Text("SellerName").value_or("");
    if (!s.missing().empty()) return Bad(s.missing(), "missing " + s.missing());
    xml::Reader b(r.Child("BuyerInformation"));
    inv.buyer.tax_id = b.Optional("BuyerIdNum");
    inv.buyer.name = b.Text("BuyerName").value_or("");
    inv.buyer.email = b.Optional("BuyerEmail");
    if (!b.missing().empty()) return Bad(b.missing(), "missing " + b.missing());
  }
  while (r.AtChild("IssuItemInformation")) {
    xml::Reader it(r.Child("IssuItemInformation"));
    Line l;
    l.name = it.Text("ItemName").value_or("");
    l.spec = it.Optional("SpecMod");
    l.unit = it.Optional("MeaUnits");
    auto qty = Decimal::Parse(it.Text("Quantity").value_or(""));
    std::string unit_price = it.Text("UnPrice").value_or("");
    std::string with_tax = it.Optional("UnPriceWithTax");
    // Every line of a document in one form: the first line decides, re-encoding checks the rest.
    if (inv.lines.empty()) inv.legacy_unit_price = with_tax.empty();
    auto price = YuanToFenDecimal(inv.legacy_unit_price ? unit_price : with_tax);
    it.Text("Amount");
    auto rate = TaxRate::Parse(it.Text("TaxRate").value_or(""));
    it.Text("ComTaxAm");
    std::string gross = it.Text("TotaltaxIncludedAmount").value_or("");
    if (!it.missing().empty()) return Bad(it.missing(), "missing " + it.missing());
    bool negative = !gross.empty() && gross[0] == '-';
    auto gross_fen = ParseYuan(negative ? std::string_view(gross).substr(1) : std::string_view(gross));
    if (!qty) return Bad("Quantity", "Quantity is a decimal");
    if (!price) return Bad(inv.legacy_unit_price ? "UnPrice" : "UnPriceWithTax", "the unit price is a decimal");
    if (!rate) return Bad("TaxRate", "TaxRate is one of 0.13 0.09 0.06 0.03 0.01 0");
    if (!gross_fen) return Bad("TotaltaxIncludedAmount", "TotaltaxIncludedAmount is yuan with 2 decimals");
    l.quantity = *qty;
    l.unit_price_fen = *price;
    l.rate = *rate;
    l.gross_fen = negative ? -*gross_fen : *gross_fen;
    inv.lines.push_back(std::move(l));
  }
  r.Child("BasicInformation");  // derived totals: checked by re-encoding below
  {
    xml::Reader a(r.Child("AdditionalInformation"));
    inv.order_id = a.Optional("OrderId");
    inv.payment_id = a.Text("PaymentId").value_or("");
    if (!a.missing().empty()) return Bad(a.missing(), "missing " + a.missing());
  }
  if (r.AtChild("RedInvoiceInformation")) {
    xml::Reader red(r.Child("RedInvoiceInformation"));
    inv.original_no = red.Text("OriginalInvoiceNumber").value_or("");
    inv.red_reason = red.Text("RedReason").value_or("");
    inv.confirmation_id = red.Optional("ConfirmationId");
    if (!red.missing().empty()) return Bad(red.missing(), "missing " + red.missing());
  }
  if (!r.missing().empty()) return Bad(r.missing(), "missing " + r.missing());
  if (!r.Done()) return Bad("EInvoice", "unexpected elements after AdditionalInformation");
  if (!checked) return inv;
  if (auto p = Validate(inv)) return *p;
  // Canonical form: the document must be exactly what this invoice encodes to, which also
  // checks every derived figure (net, tax, totals, amount in words).
  if (EncodeInvoiceXml(inv) != text) return Bad("EInvoice", "not the canonical encoding (or derived figures differ)");
  return inv;
}

}  // namespace invoice
