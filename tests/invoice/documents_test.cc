// Documents: national-style XML and event payloads (canonical round trips and strict
// decoding), UBL 2.1 validated with xmllint against the OASIS XSD, QR codes read back with
// zbarimg, and the golden documents in fixtures/golden.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <pugixml.hpp>

#include <filesystem>
#include <fstream>

#include "fixtures.h"
#include "invoice/amount_words.h"
#include "invoice/event_codec.h"
#include "invoice/national_xml.h"
#include "invoice/qr.h"
#include "invoice/ubl.h"

namespace invoice {
namespace {

namespace fs = std::filesystem;
constexpr uint64_t kIssuedAt = 1795483800123;  // 2026-11-24T01:30:00.123Z

std::string No(uint64_t seq) { return InvoiceNumber{{26, 44, 1}, seq}.ToString(); }

// The fixture orders as blue invoices, and the fixture refunds as red ones.
std::vector<Invoice> FixtureInvoices() {
  std::vector<Invoice> out;
  Party seller = fixtures::Taxpayer("merchant");
  uint64_t seq = 1;
  std::map<std::string, Invoice> by_order;
  for (const Order& o : fixtures::Orders()) {
    Party buyer = o.buyer.value_or(fixtures::Taxpayer("individual"));
    out.push_back(MakeBlue(o, seller, buyer, No(seq++), kIssuedAt, "PAY-" + o.order_id));
    by_order[o.order_id] = out.back();
  }
  for (const auto& r : fixtures::Refunds())
    out.push_back(MakeRed(by_order.at(r.order_id), 0, r.refund_fen, No(seq++), kIssuedAt + 60000, r.refund_id, r.reason));
  return out;
}

struct Cmd {
  int code;
  std::string out;
};
// Runs a shell command and captures stdout (and stderr, unless `with_stderr` is false).
Cmd Shell(const std::string& c, bool with_stderr = true) {
  Cmd r{-1, ""};
  FILE* p = popen((with_stderr ? c + " 2>&1" : c).c_str(), "r");
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) r.out.append(buf, n);
  int st = pclose(p);
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

fs::path TempDir() {
  fs::path d = fs::temp_directory_path() / ("einvoice-docs-" + std::to_string(getpid()));
  fs::create_directories(d);
  return d;
}

TEST(FixtureInvoices, AreValidAndCoverEveryRate) {
  auto invs = FixtureInvoices();
  ASSERT_EQ(invs.size(), 6u);
  std::set<int> rates;
  for (const Invoice& inv : invs) {
    auto p = Validate(inv);
    EXPECT_FALSE(p.has_value()) << inv.invoice_no << ": " << (p ? p->field + " " + p->message : "");
    for (const Line& l : inv.lines) rates.insert(l.rate.percent());
  }
  EXPECT_EQ(rates, (std::set<int>{0, 1, 3, 6, 9, 13}));
  // ORD-0001: 64.00 + 37.50 at 13%. A refund reverses lines in order: 37.50 of the first.
  EXPECT_EQ(invs[0].TotalFen(), 10150);
  EXPECT_EQ(invs[0].TaxFen(), 736 + 431);
  EXPECT_EQ(invs[4].TotalFen(), -3750);
  ASSERT_EQ(invs[4].lines.size(), 1u);
  EXPECT_EQ(invs[4].lines[0].name, "拿铁咖啡");
  EXPECT_EQ(invs[4].lines[0].quantity.ToString(), "-1");
  EXPECT_EQ(invs[4].lines[0].Split().tax_fen, -431);
  // ORD-0004 refunded whole: the mirror image of its line.
  EXPECT_EQ(invs[5].lines[0].quantity.ToString(), "-1");
  EXPECT_EQ(invs[5].TotalFen(), -140950);
  EXPECT_EQ(invs[5].TaxFen(), -invs[3].TaxFen());
  EXPECT_EQ(*AmountInWords(invs[3].TotalFen()), "壹仟肆佰零玖元伍角");
}

TEST(NationalXml, RoundTripsEveryFixtureInvoice) {
  for (const Invoice& inv : FixtureInvoices()) {
    std::string xml = EncodeInvoiceXml(inv);
    auto back = DecodeInvoiceXml(xml);
    ASSERT_TRUE(std::holds_alternative<Invoice>(back)) << std::get<Problem>(back).message << "\n" << xml;
    EXPECT_EQ(std::get<Invoice>(back), inv);
  }
}

TEST(NationalXml, EscapesAndKeepsHostileText) {
  Invoice inv = FixtureInvoices()[0];
  inv.buyer.name = "<script>alert(1)</script> & \"Co\" 'Ltd'";
  inv.lines[0].name = "]]> <!-- x -->";
  std::string xml = EncodeInvoiceXml(inv);
  EXPECT_EQ(xml.find("<script>"), std::string::npos);
  auto back = DecodeInvoiceXml(xml);
  ASSERT_TRUE(std::holds_alternative<Invoice>(back));
  EXPECT_EQ(std::get<Invoice>(back), inv);
}

TEST(NationalXml, RejectsNonCanonicalAndInconsistentDocuments) {
  Invoice inv = FixtureInvoices()[0];
  std::string xml = EncodeInvoiceXml(inv);
  auto field_of = [](const std::string& doc) {
    auto r = DecodeInvoiceXml(doc);
    return std::holds_alternative<Problem>(r) ? std::get<Problem>(r).field : std::string("<accepted>");
  };
  auto replace = [&](std::string from, std::string to) {
    std::string d = xml;
    size_t p = d.find(from);
    EXPECT_NE(p, std::string::npos) << from;
    return d.replace(p, from.size(), to);
  };
  EXPECT_EQ(field_of(replace("<Header>", "<Header> ")), "EInvoice");               // whitespace
  EXPECT_EQ(field_of(replace("<TotalTaxAm>11.67", "<TotalTaxAm>11.68")), "EInvoice");  // derived figure
  EXPECT_EQ(field_of(replace("<InvoiceType>blue", "<InvoiceType>green")), "InvoiceType");
  EXPECT_EQ(field_of(replace("<TaxRate>0.13", "<TaxRate>0.17")), "TaxRate");
  EXPECT_EQ(field_of(replace("<SellerIdNum>91440300MA5DQ3QP4X", "<SellerIdNum>91440300MA5DQ3QP4Y")), "seller.tax_id");
  EXPECT_EQ(field_of(replace("<PaymentId>PAY-ORD-0001</PaymentId>", "")), "PaymentId");
  EXPECT_EQ(field_of(xml.substr(0, xml.size() - 3)), "EInvoice");
  EXPECT_EQ(field_of("<Invoice/>"), "EInvoice");
  EXPECT_EQ(field_of(""), "EInvoice");
}

TEST(EventCodec, RoundTripsEveryKindAndRejectsTheWrongKind) {
  EventMeta m{"evt-1", kIssuedAt};
  std::vector<Event> events = {
      RegisterEvent{m, "91440300MA5DQ3QP4X", "深圳市前海咖啡有限公司", std::string(64, 'a')},
      ApplyEvent{m, "91440300MA5DQ3QP4X", {26, 44, 1}, 1000000},
      IssueEvent{FixtureInvoices()[4]},
      ReimburseEvent{m, ReimburseAction::kClaim, No(1), "91110108MA01G7GK9M", "李四", std::string(64, 'b')},
      ReimburseEvent{m, ReimburseAction::kSettle, No(1), "91110108MA01G7GK9M", "", ""},
      ConfirmEvent{m, ConfirmAction::kRequest, "req-1", No(1), 500, "04"},
      ConfirmEvent{m, ConfirmAction::kAccept, "req-1", "", 0, ""},
      FileEvent{m, "filing-2026-10", "91440300MA5DQ3QP4X", "2026-10", "", {}},
      FileEvent{m, "filing-2026-10b", "91440300MA5DQ3QP4X", "2026-10", "filing-2026-10", {}},
  };
  for (const Event& e : events) {
    std::string kind(EventKind(e));
    std::string payload = EncodeEvent(e);
    auto back = DecodeEvent(kind, payload);
    ASSERT_TRUE(std::holds_alternative<Event>(back)) << kind << ": " << std::get<Problem>(back).message << "\n" << payload;
    EXPECT_EQ(EncodeEvent(std::get<Event>(back)), payload) << kind;
    EXPECT_EQ(std::get<Event>(back).index(), e.index());
    std::string other = kind == "apply" ? "register" : "apply";
    EXPECT_TRUE(std::holds_alternative<Problem>(DecodeEvent(other, payload))) << kind;
    EXPECT_TRUE(std::holds_alternative<Problem>(DecodeEvent(kind, payload + " "))) << kind;
  }
  EXPECT_EQ(EncodeEvent(events[1]),
            "<Apply><EventId>evt-1</EventId><Time>2026-11-24T01:30:00.123Z</Time><Seller>91440300MA5DQ3QP4X</Seller>"
            "<Prefix>26441</Prefix><Count>1000000</Count></Apply>");
  auto bad = DecodeEvent("apply", "<Apply><EventId>e</EventId><Time>2026-11-24T01:30:00.123Z</Time><Seller>x</Seller>"
                                  "<Prefix>26441</Prefix><Count>01</Count></Apply>");
  ASSERT_TRUE(std::holds_alternative<Problem>(bad));
  EXPECT_EQ(std::get<Problem>(bad).field, "Count");
}

TEST(Ubl, BlueAndRedValidateAgainstTheOasisSchemas) {
  fs::path dir = TempDir();
  std::string schemas = std::string(EINVOICE_VECTORS_DIR) + "/ubl21/maindoc/";
  ASSERT_TRUE(fs::exists(schemas + "UBL-Invoice-2.1.xsd")) << schemas;
  int invoices = 0, credit_notes = 0;
  for (const Invoice& inv : FixtureInvoices()) {
    std::string ubl = EncodeUbl(inv);
    fs::path file = dir / (inv.invoice_no + ".ubl.xml");
    std::ofstream(file) << ubl;
    bool red = inv.color == Color::kRed;
    auto r = Shell("xmllint --noout --schema " + schemas + (red ? "UBL-CreditNote-2.1.xsd " : "UBL-Invoice-2.1.xsd ") +
                 file.string());
    EXPECT_EQ(r.code, 0) << r.out << "\n" << ubl;
    EXPECT_NE(ubl.find(red ? "<cbc:CreditNoteTypeCode>381<" : "<cbc:InvoiceTypeCode>380<"), std::string::npos);
    for (const char* must : {"<cbc:CustomizationID>", "<cbc:ProfileID>", "<cbc:ID>" , "<cbc:IssueDate>2026-11-24<",
                             "<cbc:DocumentCurrencyCode>CNY<", "<cac:AccountingSupplierParty>",
                             "<cac:AccountingCustomerParty>", "<cbc:IdentificationCode>CN<", "<cac:TaxSubtotal>",
                             "<cac:LegalMonetaryTotal>", "<cbc:PayableAmount currencyID=\"CNY\">", "unitCode=\"C62\"",
                             "<cac:ClassifiedTaxCategory>", "<cbc:PriceAmount"})
      EXPECT_NE(ubl.find(must), std::string::npos) << must;
    if (red) {
      EXPECT_NE(ubl.find("<cac:BillingReference>"), std::string::npos);
    }
    (red ? credit_notes : invoices)++;
  }
  EXPECT_EQ(invoices, 4);
  EXPECT_EQ(credit_notes, 2);
  fs::remove_all(dir);
}

TEST(Qr, PngDecodesToTheExactPayloadUrl) {
  fs::path dir = TempDir();
  std::string url = QrPayloadUrl("http://127.0.0.1:8700/", No(1), std::string(64, 'f'), 140950);
  EXPECT_EQ(url, "http://127.0.0.1:8700/r/26441000000000000001?h=ffffffffffffffff&a=1409.50");
  auto png = QrPng(url);
  ASSERT_TRUE(png.has_value());
  EXPECT_EQ(std::string(png->begin() + 1, png->begin() + 4), "PNG");
  std::ofstream(dir / "qr.png", std::ios::binary).write(reinterpret_cast<const char*>(png->data()), png->size());
  // zbarimg prints harmless D-Bus complaints on stderr: keep only stdout.
  auto r = Shell("zbarimg --quiet --raw " + (dir / "qr.png").string() + " 2>/dev/null", false);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out, url + "\n");
  auto svg = QrSvg(url);
  ASSERT_TRUE(svg.has_value());
  EXPECT_EQ(svg->rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  pugi::xml_document doc;
  EXPECT_TRUE(doc.load_string(svg->c_str()));
  EXPECT_EQ(std::string(doc.first_child().name()), "svg");
  EXPECT_FALSE(QrPng(std::string(5000, 'x')).has_value());  // over QR capacity
  fs::remove_all(dir);
}

// The national layout: UnPrice is the unit price without tax (net / quantity, 8 decimals,
// half up), UnPriceWithTax ours beside it; quantity x UnPrice is the line's amount.
TEST(NationalXml, UnitPriceWithoutTaxAsTheNationalLayoutHasIt) {
  Line l;
  l.name = "拿铁咖啡";
  l.quantity = *Decimal::Parse("2");
  l.unit_price_fen = Decimal{3200, 0};
  l.gross_fen = 6400;
  l.rate = *TaxRate::Parse("0.13");
  EXPECT_EQ(l.Split().net_fen, 5664);
  EXPECT_EQ(l.NetUnitPriceYuan().ToString(), "28.32");
  l.quantity = *Decimal::Parse("3");
  l.unit_price_fen = Decimal{1250, 0};
  l.gross_fen = 3750;
  EXPECT_EQ(l.Split().net_fen, 3319);
  EXPECT_EQ(l.NetUnitPriceYuan().ToString(), "11.06333333");
  l.quantity = *Decimal::Parse("-3");  // a red line
  l.gross_fen = -3750;
  EXPECT_EQ(l.NetUnitPriceYuan().ToString(), "11.06333333");
  l.quantity = *Decimal::Parse("0.3");
  l.unit_price_fen = Decimal{2, 0};
  l.gross_fen = 1;  // 0.3 x 2 fen, rounded
  l.rate = *TaxRate::Parse("0");
  EXPECT_EQ(l.NetUnitPriceYuan().ToString(), "0.03333333");

  Invoice inv = FixtureInvoices().front();
  std::string xml = EncodeInvoiceXml(inv);
  EXPECT_NE(xml.find("<UnPrice>28.32</UnPrice><UnPriceWithTax>32</UnPriceWithTax><Amount>56.64</Amount>"),
            std::string::npos) << xml;
  auto back = DecodeInvoiceXml(xml, true);
  ASSERT_TRUE(std::holds_alternative<Invoice>(back)) << std::get<Problem>(back).message;
  EXPECT_EQ(std::get<Invoice>(back), inv);
}

// A document made before UnPrice was the price without tax (fixtures/legacy) is still read,
// and encodes back to exactly its bytes: chains sealed before keep verifying.
TEST(NationalXml, DocumentsWithTheOldUnitPriceStillDecodeToTheirOwnBytes) {
  fs::path legacy = fs::path(EINVOICE_SOURCE_DIR) / "fixtures" / "legacy" / "26441000000000000001.unprice-with-tax.xml";
  std::ifstream in(legacy);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  ASSERT_NE(text.find("<UnPrice>32</UnPrice><Amount>"), std::string::npos);
  auto inv = DecodeInvoiceXml(text, true);
  ASSERT_TRUE(std::holds_alternative<Invoice>(inv)) << std::get<Problem>(inv).message;
  EXPECT_TRUE(std::get<Invoice>(inv).legacy_unit_price);
  EXPECT_EQ(std::get<Invoice>(inv).lines[0].unit_price_fen, (Decimal{3200, 0}));
  EXPECT_EQ(EncodeInvoiceXml(std::get<Invoice>(inv)), text);
  // A document mixing the two forms is not canonical and is refused.
  std::string mixed = EncodeInvoiceXml(FixtureInvoices().front());
  size_t second = mixed.find("<UnPriceWithTax>", mixed.find("<UnPriceWithTax>") + 1);
  ASSERT_NE(second, std::string::npos);
  mixed.erase(second, mixed.find("</UnPriceWithTax>", second) + 17 - second);
  EXPECT_TRUE(std::holds_alternative<Problem>(DecodeInvoiceXml(mixed, true)));
}

// fixtures/golden holds the documents of the fixture invoices; EINVOICE_UPDATE_GOLDEN=1
// rewrites them (review the diff before committing).
TEST(Golden, DocumentsMatchFixtures) {
  fs::path golden = fs::path(EINVOICE_SOURCE_DIR) / "fixtures" / "golden";
  bool update = std::getenv("EINVOICE_UPDATE_GOLDEN") != nullptr;
  int compared = 0;
  for (const Invoice& inv : FixtureInvoices()) {
    std::map<std::string, std::string> docs = {
        {inv.invoice_no + ".xml", EncodeInvoiceXml(inv)},
        {inv.invoice_no + ".ubl.xml", EncodeUbl(inv)},
        {inv.invoice_no + ".qr.txt", QrPayloadUrl("http://127.0.0.1:8700", inv.invoice_no, std::string(64, '0'),
                                                  inv.TotalFen()) + "\n"},
    };
    for (const auto& [name, text] : docs) {
      if (update) {
        fs::create_directories(golden);
        std::ofstream(golden / name) << text;
        continue;
      }
      std::ifstream in(golden / name);
      ASSERT_TRUE(in) << "missing golden file " << name;
      std::stringstream ss;
      ss << in.rdbuf();
      EXPECT_EQ(ss.str(), text) << name;
      ++compared;
    }
  }
  if (!update) {
    EXPECT_EQ(compared, 18);
  }
}

}  // namespace
}  // namespace invoice
