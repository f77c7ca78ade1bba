#include "invoice/ubl.h"

#include <pugixml.hpp>

#include "invoice/time_format.h"
#include "invoice/xml_fields.h"

namespace invoice {
namespace {

constexpr const char* kCurrency = "CNY";

Fen Abs(Fen f) { return f < 0 ? -f : f; }

pugi::xml_node Cbc(pugi::xml_node parent, const char* name, const std::string& text) {
  pugi::xml_node n = parent.append_child((std::string("cbc:") + name).c_str());
  n.text().set(text.c_str());
  return n;
}
pugi::xml_node Cac(pugi::xml_node parent, const char* name) {
  return parent.append_child((std::string("cac:") + name).c_str());
}
void Amount(pugi::xml_node parent, const char* name, Fen fen) {
  Cbc(parent, name, FormatYuan(Abs(fen))).append_attribute("currencyID") = kCurrency;
}

// EN 16931 VAT category: S (standard) for a positive rate, Z (zero rated) for 0.
void TaxCategory(pugi::xml_node parent, const char* name, TaxRate rate) {
  pugi::xml_node c = Cac(parent, name);
  Cbc(c, "ID", rate.percent() == 0 ? "Z" : "S");
  Cbc(c, "Percent", std::to_string(rate.percent()));
  Cbc(Cac(c, "TaxScheme"), "ID", "VAT");
}

void PartyOf(pugi::xml_node parent, const char* role, const Party& p) {
  pugi::xml_node party = Cac(Cac(parent, role), "Party");
  Cbc(Cac(party, "PartyName"), "Name", p.name);
  Cbc(Cac(Cac(party, "PostalAddress"), "Country"), "IdentificationCode", "CN");
  if (!p.tax_id.empty()) {
    pugi::xml_node scheme = Cac(party, "PartyTaxScheme");
    Cbc(scheme, "CompanyID", p.tax_id);
    Cbc(Cac(scheme, "TaxScheme"), "ID", "VAT");
  }
  pugi::xml_node legal = Cac(party, "PartyLegalEntity");
  Cbc(legal, "RegistrationName", p.name);
  if (!p.tax_id.empty()) Cbc(legal, "CompanyID", p.tax_id);
  if (!p.email.empty()) Cbc(Cac(party, "Contact"), "ElectronicMail", p.email);
}

std::string AbsDecimal(const Decimal& d) { return Decimal{d.units < 0 ? -d.units : d.units, d.scale}.ToString(); }

}  // namespace

std::string ChinaDate(uint64_t ms) { return DateOf(ms + 8ull * 3600 * 1000); }

std::string EncodeUbl(const Invoice& inv) {
  bool credit = inv.color == Color::kRed;
  pugi::xml_document doc;
  pugi::xml_node root = doc.append_child(credit ? "CreditNote" : "Invoice");
  root.append_attribute("xmlns") = credit ? "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
                                          : "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2";
  root.append_attribute("xmlns:cac") = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2";
  root.append_attribute("xmlns:cbc") = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2";

  Cbc(root, "CustomizationID", "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0");
  Cbc(root, "ProfileID", "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0");
  Cbc(root, "ID", inv.invoice_no);
  Cbc(root, "IssueDate", ChinaDate(inv.issued_at_ms));
  if (!credit) Cbc(root, "InvoiceTypeCode", "380");
  else Cbc(root, "CreditNoteTypeCode", "381");
  if (credit) Cbc(root, "Note", "Red-letter reason " + inv.red_reason);
  Cbc(root, "DocumentCurrencyCode", kCurrency);
  if (!inv.order_id.empty()) Cbc(root, "BuyerReference", inv.order_id);
  if (credit) {
    pugi::xml_node d = Cac(root, "DiscrepancyResponse");
    Cbc(d, "ReferenceID", inv.original_no);
    Cbc(d, "ResponseCode", inv.red_reason);
  }
  if (!inv.order_id.empty()) Cbc(Cac(root, "OrderReference"), "ID", inv.order_id);
  if (credit) Cbc(Cac(Cac(root, "BillingReference"), "InvoiceDocumentReference"), "ID", inv.original_no);
  PartyOf(root, "AccountingSupplierParty", inv.seller);
  PartyOf(root, "AccountingCustomerParty", inv.buyer);

  pugi::xml_node tax_total = Cac(root, "TaxTotal");
  Amount(tax_total, "TaxAmount", inv.TaxFen());
  for (const auto& [rate, t] : inv.TotalsByRate()) {
    pugi::xml_node sub = Cac(tax_total, "TaxSubtotal");
    Amount(sub, "TaxableAmount", t.net_fen);
    Amount(sub, "TaxAmount", t.tax_fen);
    TaxCategory(sub, "TaxCategory", rate);
  }
  pugi::xml_node totals = Cac(root, "LegalMonetaryTotal");
  Amount(totals, "LineExtensionAmount", inv.NetFen());
  Amount(totals, "TaxExclusiveAmount", inv.NetFen());
  Amount(totals, "TaxInclusiveAmount", inv.TotalFen());
  Amount(totals, "PayableAmount", inv.TotalFen());

  for (size_t i = 0; i < inv.lines.size(); ++i) {
    const Line& l = inv.lines[i];
    pugi::xml_node line = Cac(root, credit ? "CreditNoteLine" : "InvoiceLine");
    Cbc(line, "ID", std::to_string(i + 1));
    pugi::xml_node qty = Cbc(line, credit ? "CreditedQuantity" : "InvoicedQuantity", AbsDecimal(l.quantity));
    qty.append_attribute("unitCode") = "C62";  // UN/ECE rec 20 "one"; the printed unit is in the name
    Amount(line, "LineExtensionAmount", l.Split().net_fen);
    pugi::xml_node item = Cac(line, "Item");
    Cbc(item, "Name", l.unit.empty() ? l.name : l.name + " (" + l.unit + ")");
    if (!l.spec.empty()) Cbc(item, "ModelName", l.spec);
    TaxCategory(item, "ClassifiedTaxCategory", l.rate);
    // Net price per base quantity = the line's quantity, so that qty x price / base = net.
    pugi::xml_node price = Cac(line, "Price");
    Amount(price, "PriceAmount", l.Split().net_fen);
    pugi::xml_node base = Cbc(price, "BaseQuantity", AbsDecimal(l.quantity));
    base.append_attribute("unitCode") = "C62";
  }
  std::ostringstream out;
  doc.save(out, "  ", pugi::format_indent | pugi::format_no_declaration, pugi::encoding_utf8);
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + out.str();
}

}  // namespace invoice
