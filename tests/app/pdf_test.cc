// Invoices as PDF, read back with poppler-utils as a buyer's tools would: the text can be
// searched (pdftotext finds the parties, every line and the amount in words), the CJK font
// is embedded as a subset (pdffonts), and the QR code on the rendered page (pdftoppm)
// decodes (zbarimg) to the invoice's check link. The rendered first page is kept as test
// output: build/test-output/invoice-blue.png (and .pdf) and invoice-red.png.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "invoice/amount_words.h"
#include "two_nodes.h"

namespace app {
namespace e2e {
namespace {

class Pdf : public TwoNodes {
 protected:
  // Writes `pdf` to `name` in the test's folder; its path.
  std::string Save(const std::string& pdf, const std::string& name) {
    std::string path = dir_.File(name);
    std::ofstream(path, std::ios::binary) << pdf;
    return path;
  }
  std::string Text(const std::string& path) {
    auto r = apptest::RunCommand("pdftotext -enc UTF-8 " + path + " -");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return r.output;
  }
  // Renders page 1 at 150 dpi to `png` (a path without .png) and decodes its QR code.
  std::string ScanFirstPage(const std::string& path, const std::string& png) {
    auto render = apptest::RunCommand("pdftoppm -r 150 -png -singlefile -f 1 -l 1 " + path + " " + png);
    EXPECT_EQ(render.exit_code, 0) << render.output;
    auto scan = apptest::RunCommand("(zbarimg --quiet --raw " + png + ".png 2>/dev/null)");
    EXPECT_EQ(scan.exit_code, 0) << scan.output;
    return scan.output.substr(0, scan.output.find('\n'));
  }
  // Keeps the page as test output.
  void Keep(const std::string& png, const std::string& name) {
    std::filesystem::create_directories(EINVOICE_TEST_OUTPUT);
    std::filesystem::copy_file(png + ".png", std::string(EINVOICE_TEST_OUTPUT) + "/" + name,
                               std::filesystem::copy_options::overwrite_existing);
  }
  void Pay(const std::string& order_id, const std::string& items_json, int64_t fen) {
    auto r = Api("POST", "/v1/orders",
                 "{\"order_id\":\"" + order_id + "\",\"items\":" + items_json +
                     ",\"buyer\":{\"name\":\"北京海淀科技有限公司\",\"tax_id\":\"91110108MA01G7GK9M\"}}");
    ASSERT_EQ(r.status, 201) << r.body;
    ASSERT_EQ(Deliver(payment::WechatTransaction(keys_, order_id, "42" + order_id, fen, NowS())).status, 204);
  }
};

TEST_F(Pdf, TheTextCanBeFoundAndTheQrCodeOnThePageDecodesToTheCheckLink) {
  Pay("ORD-PDF", R"([{"name":"拿铁咖啡","quantity":"2","unit_price_fen":3200,"gross_fen":6400,"tax_rate":"0.13"},
                    {"name":"图书","unit":"本","quantity":"1","unit_price_fen":4800,"gross_fen":4800,"tax_rate":"0"}])",
      11200);
  std::string no = BlueOf("ORD-PDF");
  auto inv = WaitInvoice(no, "sealed");
  auto r = Api("GET", "/v1/invoices/" + no + ".pdf");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/pdf");
  ASSERT_EQ(r.body.rfind("%PDF-", 0), 0u);
  std::string path = Save(r.body, "blue.pdf");

  std::string text = Text(path);
  for (const char* want : {"北京海淀科技有限公司", "91110108MA01G7GK9M", "深圳市前海咖啡有限公司", "拿铁咖啡", "图书",
                           "价税合计", "壹佰壹拾贰元整", "¥112.00", "电子发票（普通发票）"})
    EXPECT_NE(text.find(want), std::string::npos) << want << " not in\n" << text;
  EXPECT_EQ(*invoice::AmountInWords(11200), "壹佰壹拾贰元整");
  EXPECT_NE(text.find(no), std::string::npos);
  EXPECT_EQ(text.find("红字"), std::string::npos);

  // The font is embedded, as a subset: pdffonts' columns "emb sub" are "yes yes".
  auto fonts = apptest::RunCommand("pdffonts " + path);
  ASSERT_EQ(fonts.exit_code, 0) << fonts.output;
  EXPECT_NE(fonts.output.find("WenQuanYi"), std::string::npos) << fonts.output;
  EXPECT_NE(fonts.output.find("yes yes"), std::string::npos) << fonts.output;
  EXPECT_EQ(fonts.output.find(" no  "), std::string::npos) << "every font embedded:\n" << fonts.output;

  std::string url = ScanFirstPage(path, dir_.File("blue"));
  EXPECT_EQ(url, inv->getValue<std::string>("qr_url"));
  Keep(dir_.File("blue"), "invoice-blue.png");
  std::filesystem::copy_file(path, std::string(EINVOICE_TEST_OUTPUT) + "/invoice-blue.pdf",
                             std::filesystem::copy_options::overwrite_existing);

  // The buyer's link (the QR code's h as the key) downloads the same invoice; no key, no PDF.
  std::string h = inv->getObject("ledger")->getValue<std::string>("leaf_hash").substr(0, 16);
  auto page_pdf = Http(merchant_->port(), "GET", "/invoices/" + no + ".pdf?k=" + h);
  EXPECT_EQ(page_pdf.status, 200);
  EXPECT_EQ(page_pdf.body, r.body) << "one PDF per invoice";
  EXPECT_EQ(Http(merchant_->port(), "GET", "/invoices/" + no + ".pdf?k=0000000000000000").status, 404);
  EXPECT_EQ(Http(merchant_->port(), "GET", "/invoices/" + no + ".pdf").status, 404);
  EXPECT_EQ(Http(merchant_->port(), "GET", "/v1/invoices/" + no + ".pdf").status, 401);
  auto page = Http(merchant_->port(), "GET", "/invoices/" + no + "?k=" + h);
  EXPECT_NE(page.body.find("/invoices/" + no + ".pdf?k=" + h), std::string::npos) << "the page links its PDF";
}

TEST_F(Pdf, ARedInvoiceIsMarkedAsSuch) {
  Pay("ORD-RED", R"([{"name":"拿铁咖啡","quantity":"1","unit_price_fen":10000,"gross_fen":10000,"tax_rate":"0.13"}])", 10000);
  std::string blue = BlueOf("ORD-RED");
  WaitInvoice(blue, "sealed");
  ASSERT_EQ(Deliver(payment::WechatRefund(keys_, "ORD-RED", "42ORD-RED", "R-RED", 10000, 2500, NowS())).status, 204);
  std::string red = Order("ORD-RED")->getArray("invoices")->getObject(1)->getValue<std::string>("invoice_no");
  auto inv = WaitInvoice(red, "sealed");
  auto r = Api("GET", "/v1/invoices/" + red + ".pdf");
  ASSERT_EQ(r.status, 200) << r.body;
  std::string path = Save(r.body, "red.pdf");
  std::string text = Text(path);
  for (const std::string& want : {std::string("电子发票（红字）"), std::string("红字发票"), std::string("-25.00"), blue})
    EXPECT_NE(text.find(want), std::string::npos) << want << " not in\n" << text;
  EXPECT_EQ(ScanFirstPage(path, dir_.File("red")), inv->getValue<std::string>("qr_url"));
  Keep(dir_.File("red"), "invoice-red.png");
}

TEST_F(Pdf, ManyLinesGoOnAsManyPagesAsTheyNeed) {
  std::string items = "[";
  for (int i = 0; i < 120; ++i)
    items += std::string(i ? "," : "") + R"({"name":"商品编号)" + std::to_string(1000 + i) +
             R"(","quantity":"1","unit_price_fen":100,"gross_fen":100,"tax_rate":"0.13"})";
  items += "]";
  Pay("ORD-LONG", items, 12000);
  std::string no = BlueOf("ORD-LONG");
  WaitInvoice(no, "sealed");
  auto r = Api("GET", "/v1/invoices/" + no + ".pdf");
  ASSERT_EQ(r.status, 200) << r.body;
  std::string path = Save(r.body, "long.pdf");
  auto info = apptest::RunCommand("pdfinfo " + path);
  int pages = std::stoi(info.output.substr(info.output.find("Pages:") + 6));
  EXPECT_GE(pages, 3) << info.output;
  std::string text = Text(path);
  for (int i = 0; i < 120; ++i) EXPECT_NE(text.find("商品编号" + std::to_string(1000 + i)), std::string::npos) << i;
  std::string packed;  // pdftotext spaces the page line its own way
  for (char c : text)
    if (c != ' ') packed += c;
  EXPECT_NE(packed.find("第" + std::to_string(pages) + "页/共" + std::to_string(pages) + "页"), std::string::npos) << packed;
  EXPECT_NE(text.find("壹佰贰拾元整"), std::string::npos);
}

TEST_F(Pdf, AnInvoiceNotYetSealedHasNoPdf) {
  authority_->Stop();  // nothing is sealed from now on
  CreateOrder("ORD-WAIT", 5000);
  ASSERT_EQ(Deliver(payment::WechatTransaction(keys_, "ORD-WAIT", "4200009999", 5000, NowS())).status, 204);
  std::string no = BlueOf("ORD-WAIT");
  ASSERT_FALSE(no.empty());
  auto r = Api("GET", "/v1/invoices/" + no + ".pdf");
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_NE(r.body.find("\"not_sealed\""), std::string::npos) << r.body;
}

}  // namespace
}  // namespace e2e
}  // namespace app
