#include "app/documents/invoice_sheet.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <stdexcept>

#include "app/http/api_error.h"
#include "invoice/amount_words.h"
#include "invoice/qr.h"
#include "invoice/ubl.h"

namespace app {

InvoiceSheet MakeInvoiceSheet(const Catalog& catalog, std::string_view lang, const invoice::Invoice& inv,
                              const std::string& drawer, const std::string& tax_bureau, const std::string& qr_url) {
  InvoiceSheet s;
  s.red = inv.color == invoice::Color::kRed;
  s.heading = catalog.Text(lang, s.red ? "invoice.heading.red" : "invoice.heading.blue");
  s.invoice_no = inv.invoice_no;
  s.issue_date = invoice::ChinaDate(inv.issued_at_ms);
  s.buyer_name = inv.buyer.name;
  s.buyer_tax_id = inv.buyer.tax_id.empty() ? catalog.Text(lang, "invoice.individual") : inv.buyer.tax_id;
  s.seller_name = inv.seller.name;
  s.seller_tax_id = inv.seller.tax_id;
  for (const auto& l : inv.lines) {
    // The national layout: the unit price without tax (net / quantity), at least 2 decimals.
    std::string price = l.NetUnitPriceYuan().ToString();
    size_t dot = price.find('.');
    if (dot == std::string::npos) price += ".00";
    else if (price.size() - dot == 2) price += "0";
    s.lines.push_back({l.name, l.spec, l.unit, l.quantity.ToString(), price, invoice::FormatYuan(l.Split().net_fen),
                       std::to_string(l.rate.percent()) + "%", invoice::FormatYuan(l.Split().tax_fen)});
  }
  s.net_total = invoice::FormatYuan(inv.NetFen());
  s.tax_total = invoice::FormatYuan(inv.TaxFen());
  s.total = invoice::FormatYuan(inv.TotalFen());
  s.total_in_words = invoice::AmountInWords(inv.TotalFen()).value_or("");
  s.remarks = catalog.Text(lang, "invoice.remarks_text", {{"order_id", inv.order_id}, {"payment_id", inv.payment_id}});
  if (s.red)
    s.remarks += catalog.Text(lang, "invoice.remarks_red",
                              {{"original_no", inv.original_no},
                               {"reason", catalog.Word(lang, "state.red_reason.", inv.red_reason)}});
  s.drawer = drawer.empty() ? std::string("—") : drawer;
  s.tax_bureau = tax_bureau;
  s.qr_url = qr_url;
  return s;
}

namespace {

// A4 portrait in points; every length below is in points.
constexpr double kPageW = 595.28, kPageH = 841.89, kMargin = 36;
constexpr double kContentW = kPageW - 2 * kMargin;
constexpr double kPad = 3;           // inside a table cell
constexpr double kFooterH = 34;      // page number and check link
// TrueType, not Noto Sans CJK (OpenType/CFF): cairo 1.16 leaks ~0.8 KB per CFF font per PDF.
constexpr const char* kFont = "WenQuanYi Micro Hei";

struct Rgb {
  double r, g, b;
};
// The national form's brown for its frame and labels; values in black; red for a red invoice.
constexpr Rgb kBrown{0.55, 0.27, 0.07}, kBlack{0, 0, 0}, kRed{0.78, 0.08, 0.08}, kGrey{0.35, 0.35, 0.35};

// The columns of the lines table: width, right-aligned.
struct Column {
  double width;
  bool right;
};
constexpr Column kColumns[] = {{140, false}, {60, false}, {34, false}, {50, true},
                               {64, true},   {62, true},  {55, true},  {58, true}};
static_assert(sizeof(kColumns) / sizeof(kColumns[0]) == 8);

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
void UnrefObject(PangoLayout* l) { g_object_unref(l); }
using SurfacePtr = std::unique_ptr<cairo_surface_t, Deleter<cairo_surface_t, cairo_surface_destroy>>;
using CairoPtr = std::unique_ptr<cairo_t, Deleter<cairo_t, cairo_destroy>>;
using LayoutPtr = std::unique_ptr<PangoLayout, Deleter<PangoLayout, UnrefObject>>;
using FontPtr = std::unique_ptr<PangoFontDescription, Deleter<PangoFontDescription, pango_font_description_free>>;

cairo_status_t AppendTo(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

// Text set with pango on the page: measured, or drawn at a place.
class Pen {
 public:
  explicit Pen(cairo_t* cr) : cr_(cr), layout_(pango_cairo_create_layout(cr)) {
    // Font sizes in points: the page's units are points (72 per inch).
    pango_cairo_context_set_resolution(pango_layout_get_context(layout_.get()), 72);
    pango_layout_context_changed(layout_.get());
    pango_layout_set_wrap(layout_.get(), PANGO_WRAP_WORD_CHAR);
  }

  // The height of `text` set in `width` (0: one line, no wrapping).
  double Height(const std::string& text, double size, double width, bool bold = false) {
    Set(text, size, width, bold, PANGO_ALIGN_LEFT);
    int w = 0, h = 0;
    pango_layout_get_size(layout_.get(), &w, &h);
    return static_cast<double>(h) / PANGO_SCALE;
  }
  double Width(const std::string& text, double size, bool bold = false) {
    Set(text, size, 0, bold, PANGO_ALIGN_LEFT);
    int w = 0, h = 0;
    pango_layout_get_size(layout_.get(), &w, &h);
    return static_cast<double>(w) / PANGO_SCALE;
  }
  // Draws `text` with its top left at (x, y) in `width` (aligned within it); its height.
  double Draw(const std::string& text, double x, double y, double size, double width, Rgb color, bool bold = false,
              PangoAlignment align = PANGO_ALIGN_LEFT) {
    Set(text, size, width, bold, align);
    cairo_set_source_rgb(cr_, color.r, color.g, color.b);
    cairo_move_to(cr_, x, y);
    pango_cairo_show_layout(cr_, layout_.get());
    int w = 0, h = 0;
    pango_layout_get_size(layout_.get(), &w, &h);
    return static_cast<double>(h) / PANGO_SCALE;
  }

 private:
  void Set(const std::string& text, double size, double width, bool bold, PangoAlignment align) {
    FontPtr font(pango_font_description_new());
    pango_font_description_set_family(font.get(), kFont);
    pango_font_description_set_absolute_size(font.get(), size * PANGO_SCALE);
    pango_font_description_set_weight(font.get(), bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
    pango_layout_set_font_description(layout_.get(), font.get());
    pango_layout_set_width(layout_.get(), width > 0 ? static_cast<int>(width * PANGO_SCALE) : -1);
    pango_layout_set_alignment(layout_.get(), align);
    pango_layout_set_text(layout_.get(), text.data(), static_cast<int>(text.size()));
  }

  cairo_t* cr_;
  LayoutPtr layout_;
};

void Stroke(cairo_t* cr, Rgb color, double width) {
  cairo_set_source_rgb(cr, color.r, color.g, color.b);
  cairo_set_line_width(cr, width);
  cairo_stroke(cr);
}

void HLine(cairo_t* cr, double x0, double x1, double y, Rgb color = kBrown, double width = 0.6) {
  cairo_move_to(cr, x0, y);
  cairo_line_to(cr, x1, y);
  Stroke(cr, color, width);
}

void VLine(cairo_t* cr, double x, double y0, double y1, Rgb color = kBrown, double width = 0.6) {
  cairo_move_to(cr, x, y0);
  cairo_line_to(cr, x, y1);
  Stroke(cr, color, width);
}

// The QR code as squares (vector, sharp at any zoom), its quiet zone left white.
void DrawQr(cairo_t* cr, const std::string& url, double x, double y, double size) {
  auto qr = invoice::QrModulesOf(url);
  if (!qr) return;
  const double module = size / (qr->width + 8);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_rectangle(cr, x, y, size, size);
  cairo_fill(cr);
  cairo_set_source_rgb(cr, 0, 0, 0);
  for (int my = 0; my < qr->width; ++my)
    for (int mx = 0; mx < qr->width; ++mx)
      if (qr->Dark(mx, my)) cairo_rectangle(cr, x + (mx + 4) * module, y + (my + 4) * module, module, module);
  cairo_fill(cr);
}

class SheetDrawer {
 public:
  SheetDrawer(const Catalog& catalog, std::string_view lang, const InvoiceSheet& sheet, cairo_t* cr)
      : catalog_(catalog), lang_(lang), s_(sheet), cr_(cr), pen_(cr) {}

  void Draw() {
    std::vector<std::pair<size_t, size_t>> pages = Paginate();
    for (size_t p = 0; p < pages.size(); ++p) {
      double y = Header(p > 0);
      y = TableHead(y);
      for (size_t i = pages[p].first; i < pages[p].second; ++i) y = Row(s_.lines[i], y);
      if (p + 1 == pages.size()) Totals(y);
      Footer(p + 1, pages.size());
      cairo_show_page(cr_);
    }
  }

 private:
  std::string T(std::string_view key, Catalog::Args args = {}) const { return catalog_.Text(lang_, key, args); }

  // Which lines go on which page: [first, end) per page; the totals fit on the last.
  std::vector<std::pair<size_t, size_t>> Paginate() {
    const double top = TableTop() + HeadRowHeight(), bottom = kPageH - kMargin - kFooterH;
    std::vector<std::pair<size_t, size_t>> pages;
    size_t first = 0;
    double y = top;
    for (size_t i = 0; i < s_.lines.size(); ++i) {
      double h = RowHeight(s_.lines[i]);
      if (y + h > bottom && i > first) {
        pages.emplace_back(first, i);
        first = i;
        y = top;
      }
      y += h;
    }
    if (y + TotalsHeight() > bottom && first < s_.lines.size()) {
      pages.emplace_back(first, s_.lines.size());
      first = s_.lines.size();
    }
    pages.emplace_back(first, s_.lines.size());
    return pages;
  }

  double TableTop() { return kMargin + kHeaderH + PartiesHeight() + 6; }

  static constexpr double kHeaderH = 92, kQr = 80;

  double Header(bool continued) {
    const double x0 = kMargin, top = kMargin;
    DrawQr(cr_, s_.qr_url, x0 - 6, top - 6, kQr);
    const Rgb title_color = s_.red ? kRed : kBrown;
    std::string heading = continued ? s_.heading + T("pdf.continued") : s_.heading;
    pen_.Draw(heading, x0 + 100, top + 8, 18, kContentW - 200, title_color, true, PANGO_ALIGN_CENTER);
    const double mid = kPageW / 2, half = 110;
    HLine(cr_, mid - half, mid + half, top + 38, title_color, 0.8);
    HLine(cr_, mid - half, mid + half, top + 41, title_color, 0.8);
    const double meta_x = kPageW - kMargin - 170;
    pen_.Draw(T("invoice.number") + s_.invoice_no, meta_x, top + 8, 9, 170, kBlack);
    pen_.Draw(T("invoice.date") + s_.issue_date, meta_x, top + 24, 9, 170, kBlack);
    if (s_.red) {
      // The mark of a red invoice: a red stamp under the number.
      const std::string mark = T("pdf.red_mark");
      const double w = pen_.Width(mark, 10, true) + 12;
      cairo_rectangle(cr_, meta_x, top + 44, w, 18);
      Stroke(cr_, kRed, 1.2);
      pen_.Draw(mark, meta_x + 6, top + 46, 10, 0, kRed, true);
    }
    return Parties(top + kHeaderH);
  }

  double PartyHeight(const std::string& name, const std::string& tax_id) {
    const double w = kContentW / 2 - 2 * kPad - 4;
    return pen_.Height(T("invoice.buyer"), 8.5, w, true) + pen_.Height(T("invoice.name") + name, 9, w) +
           pen_.Height(T("invoice.tax_id") + tax_id, 9, w) + 2 * kPad + 4;
  }
  double PartiesHeight() {
    return std::max(PartyHeight(s_.buyer_name, s_.buyer_tax_id), PartyHeight(s_.seller_name, s_.seller_tax_id));
  }

  double Parties(double y) {
    const double h = PartiesHeight(), half = kContentW / 2, w = half - 2 * kPad - 4;
    cairo_rectangle(cr_, kMargin, y, kContentW, h);
    Stroke(cr_, kBrown, 0.8);
    VLine(cr_, kMargin + half, y, y + h);
    auto party = [&](double x, const std::string& label, const std::string& name, const std::string& tax_id) {
      double py = y + kPad + 1;
      py += pen_.Draw(label, x, py, 8.5, w, kBrown, true);
      py += pen_.Draw(T("invoice.name") + name, x, py, 9, w, kBlack);
      pen_.Draw(T("invoice.tax_id") + tax_id, x, py, 9, w, kBlack);
    };
    party(kMargin + kPad + 2, T("invoice.buyer"), s_.buyer_name, s_.buyer_tax_id);
    party(kMargin + half + kPad + 2, T("invoice.seller"), s_.seller_name, s_.seller_tax_id);
    return y + h;
  }

  std::vector<std::string> HeadCells() {
    return {T("invoice.item"), T("invoice.spec"), T("invoice.unit"),     T("invoice.quantity"),
            T("invoice.unit_price"), T("invoice.amount"), T("invoice.rate"), T("invoice.tax")};
  }
  static std::vector<std::string> Cells(const InvoiceSheet::Line& l) {
    return {l.name, l.spec, l.unit, l.quantity, l.unit_price, l.net, l.rate, l.tax};
  }

  double CellsHeight(const std::vector<std::string>& cells, double size, bool bold) {
    double h = 0;
    for (size_t c = 0; c < cells.size(); ++c)
      h = std::max(h, pen_.Height(cells[c], size, kColumns[c].width - 2 * kPad, bold));
    return h + 2 * kPad;
  }
  double HeadRowHeight() { return CellsHeight(HeadCells(), 8, true); }
  double RowHeight(const InvoiceSheet::Line& l) { return CellsHeight(Cells(l), 8.5, false); }

  double DrawCells(const std::vector<std::string>& cells, double y, double size, Rgb color, bool bold, bool head) {
    const double h = CellsHeight(cells, size, bold);
    double x = kMargin;
    for (size_t c = 0; c < cells.size(); ++c) {
      const Column& col = kColumns[c];
      PangoAlignment align = head ? PANGO_ALIGN_CENTER : col.right ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT;
      pen_.Draw(cells[c], x + kPad, y + kPad, size, col.width - 2 * kPad, color, bold, align);
      x += col.width;
    }
    VLine(cr_, kMargin, y, y + h);
    VLine(cr_, kMargin + kContentW, y, y + h);
    return y + h;
  }

  double TableHead(double y) {
    y += 6;
    HLine(cr_, kMargin, kMargin + kContentW, y, kBrown, 0.8);
    double end = DrawCells(HeadCells(), y, 8, kBrown, true, true);
    HLine(cr_, kMargin, kMargin + kContentW, end);
    return end;
  }

  double Row(const InvoiceSheet::Line& l, double y) {
    double end = DrawCells(Cells(l), y, 8.5, kBlack, false, false);
    HLine(cr_, kMargin, kMargin + kContentW, end, kBrown, 0.3);
    return end;
  }

  // 合计, 价税合计 in words and figures, 备注, the drawer and the bureau.
  static constexpr double kLabelW = 96;
  double TotalsHeight() {
    const double w = kContentW - kLabelW - 2 * kPad;
    return 20 + 22 + std::max(22.0, pen_.Height(s_.remarks, 8.5, w) + 2 * kPad) + 28;
  }

  void Totals(double y) {
    const double x0 = kMargin, x1 = kMargin + kContentW, value_x = x0 + kLabelW + kPad;
    const double value_w = kContentW - kLabelW - 2 * kPad;
    auto row_frame = [&](double top, double h) {
      VLine(cr_, x0, top, top + h);
      VLine(cr_, x1, top, top + h);
      VLine(cr_, x0 + kLabelW, top, top + h, kBrown, 0.3);
      HLine(cr_, x0, x1, top + h, kBrown, 0.8);
    };
    // 合计: the net and tax sums under their columns.
    pen_.Draw(T("invoice.total_row"), x0 + kPad, y + 4, 9, kLabelW - 2 * kPad, kBrown, true, PANGO_ALIGN_CENTER);
    double amount_x = x0, tax_x = x0;
    for (size_t c = 0; c < 5; ++c) amount_x += kColumns[c].width;
    for (size_t c = 0; c < 7; ++c) tax_x += kColumns[c].width;
    pen_.Draw("¥" + s_.net_total, amount_x + kPad, y + 4, 9, kColumns[5].width - 2 * kPad, kBlack, false, PANGO_ALIGN_RIGHT);
    pen_.Draw("¥" + s_.tax_total, tax_x + kPad, y + 4, 9, kColumns[7].width - 2 * kPad, kBlack, false, PANGO_ALIGN_RIGHT);
    row_frame(y, 20);
    y += 20;
    // 价税合计（大写）…（小写）¥…
    pen_.Draw(T("invoice.total_in_words"), x0 + kPad, y + 5, 9, kLabelW - 2 * kPad, kBrown, true, PANGO_ALIGN_CENTER);
    double words_w = pen_.Draw(s_.total_in_words, value_x, y + 4, 10.5, 0, kBlack, true);
    (void)words_w;
    const std::string figures = T("invoice.total_in_figures") + "¥" + s_.total;
    pen_.Draw(figures, value_x, y + 4, 10.5, value_w, kBlack, true, PANGO_ALIGN_RIGHT);
    row_frame(y, 22);
    y += 22;
    // 备注
    const double remarks_h = std::max(22.0, pen_.Height(s_.remarks, 8.5, value_w) + 2 * kPad);
    pen_.Draw(T("invoice.remarks"), x0 + kPad, y + 5, 9, kLabelW - 2 * kPad, kBrown, true, PANGO_ALIGN_CENTER);
    pen_.Draw(s_.remarks, value_x, y + kPad, 8.5, value_w, kBlack);
    row_frame(y, remarks_h);
    y += remarks_h + 8;
    pen_.Draw(T("invoice.drawer") + s_.drawer, x0, y, 9, kContentW / 2, kBlack);
    if (!s_.tax_bureau.empty())
      pen_.Draw(T("invoice.tax_bureau") + s_.tax_bureau, x0 + kContentW / 2, y, 9, kContentW / 2, kBlack, false,
                PANGO_ALIGN_RIGHT);
  }

  void Footer(size_t page, size_t pages) {
    const double y = kPageH - kMargin - kFooterH + 6;
    pen_.Draw(T("pdf.check", {{"url", s_.qr_url}}), kMargin, y, 7.5, kContentW, kGrey);
    pen_.Draw(T("pdf.page", {{"page", std::to_string(page)}, {"pages", std::to_string(pages)}}), kMargin, y + 14, 7.5,
              kContentW, kGrey, false, PANGO_ALIGN_CENTER);
  }

  const Catalog& catalog_;
  std::string lang_;
  const InvoiceSheet& s_;
  cairo_t* cr_;
  Pen pen_;
};

}  // namespace

std::string InvoicePdf(const Catalog& catalog, std::string_view lang, const InvoiceSheet& sheet) {
  std::string out;
  SurfacePtr surface(cairo_pdf_surface_create_for_stream(AppendTo, &out, kPageW, kPageH));
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_TITLE,
                                 catalog.Text(lang, "invoice.title", {{"invoice_no", sheet.invoice_no}}).c_str());
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_AUTHOR, sheet.seller_name.c_str());
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATOR, "einvoice");
  {
    CairoPtr cr(cairo_create(surface.get()));
    SheetDrawer(catalog, lang, sheet, cr.get()).Draw();
    if (cairo_status(cr.get()) != CAIRO_STATUS_SUCCESS)
      throw std::runtime_error(std::string("cairo: ") + cairo_status_to_string(cairo_status(cr.get())));
  }
  cairo_surface_finish(surface.get());
  if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS)
    throw std::runtime_error(std::string("cairo: ") + cairo_status_to_string(cairo_surface_status(surface.get())));
  return out;
}

InvoicePrinter::InvoicePrinter(Config config, const Catalog& catalog) : config_(std::move(config)), catalog_(catalog) {}

InvoiceSheet InvoicePrinter::Sheet(std::string_view lang, const invoice::Invoice& inv, const std::string& qr_url) const {
  return MakeInvoiceSheet(catalog_, lang, inv, config_.drawer, config_.tax_bureau, qr_url);
}

std::string InvoicePrinter::Pdf(const invoice::Invoice& inv, const std::string& qr_url) {
  const std::string& no = inv.invoice_no;
  {
    MutexLock lock(mu_);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (true) {
      if (auto it = cache_.find(no); it != cache_.end()) {
        order_.splice(order_.begin(), order_, it->second.second);
        ++counters_.cache_hits;
        return it->second.first;
      }
      if (rendering_ < config_.max_renders) break;
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        ++counters_.busy;
        throw ApiError(503, "busy", "too many PDFs are being made; try again shortly");
      }
      turn_.WaitFor(mu_, left);
    }
    ++rendering_;
  }
  std::string pdf;
  try {
    pdf = InvoicePdf(catalog_, Catalog::kDefaultLanguage, Sheet(Catalog::kDefaultLanguage, inv, qr_url));
  } catch (...) {
    MutexLock lock(mu_);
    --rendering_;
    turn_.SignalAll();
    throw;
  }
  MutexLock lock(mu_);
  --rendering_;
  ++counters_.rendered;
  turn_.SignalAll();
  if (config_.cached > 0 && !cache_.count(no)) {
    order_.push_front(no);
    cache_.emplace(no, std::make_pair(pdf, order_.begin()));
    while (cache_.size() > config_.cached) {
      cache_.erase(order_.back());
      order_.pop_back();
    }
  }
  return pdf;
}

InvoicePrinter::Counters InvoicePrinter::counters() {
  MutexLock lock(mu_);
  return counters_;
}

}  // namespace app
