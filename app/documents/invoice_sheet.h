// The invoice as a person reads it, in the national layout: the words and figures of the
// invoice page (ui-templates/invoice.mustache) and of its PDF, made once from the invoice
// and the catalog so that both show the same thing.
//
// The PDF (InvoicePdf) is drawn with cairo and laid out with pango: pango shapes the CJK
// text and cairo embeds the subset of the font (WenQuanYi Micro Hei, a TrueType font, through
// fontconfig; cairo 1.16 leaks when it subsets CFF fonts) that the page uses, with its
// ToUnicode map, so the text can be searched and copied. A4 portrait; the lines go on as
// many pages as they need, each page with the header.
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/base/mutex.h"
#include "app/http/catalog.h"
#include "invoice/invoice.h"

namespace app {

struct InvoiceSheet {
  struct Line {
    std::string name, spec, unit, quantity, unit_price, net, rate, tax;
  };
  bool red = false;
  std::string heading;  // 电子发票（普通发票）or（红字）
  std::string invoice_no, issue_date;
  std::string buyer_name, buyer_tax_id, seller_name, seller_tax_id;
  std::vector<Line> lines;
  std::string net_total, tax_total, total, total_in_words;  // yuan
  std::string remarks;
  std::string drawer, tax_bureau;  // tax_bureau may be empty
  std::string qr_url;
};

// `drawer` and `tax_bureau`: the node's invoice.drawer and invoice.tax_bureau.
InvoiceSheet MakeInvoiceSheet(const Catalog& catalog, std::string_view lang, const invoice::Invoice& inv,
                              const std::string& drawer, const std::string& tax_bureau, const std::string& qr_url);

// The PDF of `sheet`, its labels in `lang`. Throws std::runtime_error if cairo fails.
std::string InvoicePdf(const Catalog& catalog, std::string_view lang, const InvoiceSheet& sheet);

// A node's invoices as sheets and PDFs: its drawer and bureau, and a bound on the work a
// PDF costs (7 to 32 ms for one page here, 0.5 s for 2,000 lines): at most `max_renders` at once
// (a request waits up to 10 s for its turn, then gets 503 busy), and the newest `cached`
// PDFs kept (an invoice never changes once sealed). PDFs are in the national form's
// language, zh-CN. Thread-safe.
class InvoicePrinter {
 public:
  struct Config {
    std::string drawer, tax_bureau;  // invoice.drawer, invoice.tax_bureau
    int max_renders = 2;
    size_t cached = 64;
  };
  InvoicePrinter(Config config, const Catalog& catalog);

  InvoiceSheet Sheet(std::string_view lang, const invoice::Invoice& inv, const std::string& qr_url) const;
  // Throws ApiError 503 busy when its turn does not come in time.
  std::string Pdf(const invoice::Invoice& inv, const std::string& qr_url) EXCLUDES(mu_);

  struct Counters { uint64_t rendered = 0, cache_hits = 0, busy = 0; };
  Counters counters() EXCLUDES(mu_);

 private:
  const Config config_;
  const Catalog& catalog_;
  Mutex mu_;
  CondVar turn_;  // with mu_: a render finished
  int rendering_ GUARDED_BY(mu_) = 0;
  std::list<std::string> order_ GUARDED_BY(mu_);  // invoice numbers, newest first
  std::map<std::string, std::pair<std::string, std::list<std::string>::iterator>> cache_ GUARDED_BY(mu_);
  Counters counters_ GUARDED_BY(mu_);
};

}  // namespace app
