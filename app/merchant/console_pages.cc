// The merchant console (merchant tokens sign in): an overview (numbers left, invoices by
// status, filings), the invoices with search, pages and a CSV export, and each order with
// its items, buyer, payments, refunds, red-letter requests and invoices. Words from the
// catalog (console.*, state.*); times people read in China Standard Time.
#include <Poco/URI.h>

#include <algorithm>
#include <charconv>

#include "app/http/api_error.h"
#include "app/merchant/merchant_routes.h"
#include "invoice/money.h"
#include "invoice/qr.h"
#include "invoice/time_format.h"

namespace app {
namespace {

constexpr size_t kPageSize = 50;
constexpr size_t kCsvMaxRows = 100000;  // one export; a larger one asks for a narrower search
constexpr uint64_t kChinaOffsetMs = 8ull * 3600 * 1000;

// "2026-11-24" as the start of that day in China Standard Time, in Unix ms.
std::optional<uint64_t> ChinaDayStart(const std::string& date) {
  if (date.size() != 10) return std::nullopt;
  auto ms = invoice::ParseUtcMs(date + "T00:00:00.000Z");
  if (!ms || *ms < kChinaOffsetMs) return std::nullopt;
  return *ms - kChinaOffsetMs;
}

// A CSV field: quoted when it holds a comma, a quote or a line break; a leading = + - @ is
// prefixed with ' so that a spreadsheet does not run a buyer's name as a formula.
std::string CsvField(std::string v) {
  if (!v.empty() && std::string_view("=+-@").find(v[0]) != std::string_view::npos) v = "'" + v;
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

void MerchantPages::AddConsole(Router& r) {
  auto merchant_user = [this](Exchange& ex) { return site_.PageUserOrLogin(ex, TokenRole::kMerchant); };

  // The search a list or an export was asked for; nullopt (and `error` set) when a field is wrong.
  struct Search {
    InvoiceQuery query;
    std::string q, from, to, status, color;
    size_t page = 1;
  };
  auto read_search = [](Exchange& ex, std::string& error) -> std::optional<Search> {
    Search s;
    s.q = TrimmedField(ex.Query("q").value_or(""));
    s.from = ex.Query("from").value_or("");
    s.to = ex.Query("to").value_or("");
    s.status = ex.Query("status").value_or("");
    s.color = ex.Query("color").value_or("");
    if (s.q.size() > 100) return error = "console.error.q", std::nullopt;
    s.query.text = s.q;
    if (!s.from.empty()) {
      auto ms = ChinaDayStart(s.from);
      if (!ms) return error = "console.error.from", std::nullopt;
      s.query.from_ms = *ms;
    }
    if (!s.to.empty()) {
      auto ms = ChinaDayStart(s.to);
      if (!ms) return error = "console.error.to", std::nullopt;
      s.query.to_ms = *ms + 24 * 3600 * 1000;  // the whole day
    }
    if (!s.status.empty() && s.status != "sealed" && s.status != "pending" && s.status != "rejected")
      return error = "console.error.status", std::nullopt;
    if (!s.color.empty() && s.color != "blue" && s.color != "red") return error = "console.error.color", std::nullopt;
    s.query.status = s.status;
    s.query.color = s.color;
    if (auto p = ex.Query("page"); p && !p->empty()) {
      size_t page = 0;
      auto [end, ec] = std::from_chars(p->data(), p->data() + p->size(), page);
      if (ec != std::errc() || end != p->data() + p->size() || page == 0 || page > 1000000)
        return error = "console.error.page", std::nullopt;
      s.page = page;
    }
    return s;
  };
  // The search's query string (without the page), for links that keep it.
  auto query_string = [](const Search& s) {
    Poco::URI u("/");
    for (const auto& [k, v] : {std::pair<const char*, const std::string&>{"q", s.q}, {"from", s.from}, {"to", s.to},
                               {"status", s.status}, {"color", s.color}})
      if (!v.empty()) u.addQueryParameter(k, v);
    return u.getRawQuery();
  };

  r.Add("GET", "/merchant", [this, merchant_user](Exchange& ex) {
    if (!merchant_user(ex)) return;
    PageData d = site_.Page(ex, "console.title");
    d.set("numbers_left", std::to_string(merchant_->NumbersLeft()));
    Merchant::Counters c = merchant_->counters();
    d.set("sealed", std::to_string(c.sealed));
    d.set("pending", std::to_string(c.pending));
    d.set("rejected", std::to_string(c.rejected));
    PageData filings = List();
    const std::string lang = site_.Lang(ex);
    view_->With([&](const invoice::Lifecycle& lc) {
      for (const auto& [id, f] : lc.filings()) {
        if (f.event.seller != site_.identity().tax_id) continue;
        PageData row;
        row.set("filing_id", id);
        row.set("period", f.event.period);
        row.set("filed_at", invoice::ChinaDateTime(f.event.meta.time_ms));
        row.set("invoices", std::to_string(f.event.figures.invoice_count));
        row.set("tax", invoice::FormatYuan(f.event.figures.TaxFen()));
        row.set("block", site_.Text(ex, "step.block", {{"height", std::to_string(f.place.height)}}));
        if (!f.amended_by.empty()) row.set("amended_by", site_.Text(ex, "console.amended_by", {{"filing_id", f.amended_by}}));
        filings.push_back(row);
      }
      return 0;
    });
    d.set("filings", filings);
    site_.SendPage(ex, 200, "merchant_console", d);
  });

  r.Add("GET", "/merchant/invoices", [this, merchant_user, read_search, query_string](Exchange& ex) {
    if (!merchant_user(ex)) return;
    PageData d = site_.Page(ex, "console.invoices.title");
    std::string error;
    auto search = read_search(ex, error);
    Search s = search.value_or(Search{});
    d.set("q", s.q);
    d.set("from", s.from);
    d.set("to", s.to);
    for (const char* st : {"sealed", "pending", "rejected"})
      if (s.status == st) d.set(std::string("status_") + st, true);
    for (const char* c : {"blue", "red"})
      if (s.color == c) d.set(std::string("color_") + c, true);
    if (!search) {
      d.set("error", site_.Text(ex, error));
      return site_.SendPage(ex, 422, "merchant_invoices", d);
    }
    s.query.limit = kPageSize;
    s.query.offset = (s.page - 1) * kPageSize;
    InvoiceSearch found = merchant_->SearchInvoices(s.query);
    const uint64_t pages = std::max<uint64_t>(1, (found.matched + kPageSize - 1) / kPageSize);
    PageData rows = List();
    for (const InvoiceRow& row : found.rows) {
      PageData x;
      x.set("invoice_no", row.invoice_no);
      x.set("url", "/invoices/" + row.invoice_no + "?k=" + row.leaf_hash.substr(0, 16));
      x.set("order_url", "/merchant/orders/" + row.order_id);
      x.set("order_id", row.order_id);
      x.set("color", site_.Text(ex, "state.color." + row.color));
      x.set("status", site_.Text(ex, "state.status." + row.status));
      x.set("status_code", row.status);
      x.set("buyer", row.buyer_name);
      x.set("buyer_tax_id", row.buyer_tax_id.empty() ? site_.Text(ex, "console.individual") : row.buyer_tax_id);
      x.set("date", invoice::ChinaDateTime(row.issued_ms));
      x.set("total", invoice::FormatYuan(row.total_fen));
      x.set("tax", invoice::FormatYuan(row.tax_fen));
      rows.push_back(x);
    }
    d.set("invoices", rows);
    d.set("summary", site_.Text(ex, "console.invoices.summary",
                                {{"count", std::to_string(found.matched)},
                                 {"total", invoice::FormatYuan(found.total_fen)},
                                 {"tax", invoice::FormatYuan(found.tax_fen)}}));
    d.set("page_text", site_.Text(ex, "console.page", {{"page", std::to_string(s.page)}, {"pages", std::to_string(pages)}}));
    const std::string qs = query_string(s);
    const std::string base = "/merchant/invoices?" + (qs.empty() ? "" : qs + "&") + "page=";
    if (s.page > 1) d.set("prev_url", base + std::to_string(s.page - 1));
    if (s.page < pages) d.set("next_url", base + std::to_string(s.page + 1));
    d.set("csv_url", "/merchant/invoices.csv" + (qs.empty() ? "" : "?" + qs));
    if (found.matched == 0) d.set("none", true);
    site_.SendPage(ex, 200, "merchant_invoices", d);
  });

  r.Add("GET", "/merchant/invoices\\.csv", [this, merchant_user, read_search](Exchange& ex) {
    if (!merchant_user(ex)) return;
    std::string error;
    auto search = read_search(ex, error);
    if (!search) throw ApiError(422, "invalid_parameter", "the search is not valid", error.substr(error.rfind('.') + 1));
    search->query.limit = kCsvMaxRows;
    search->query.offset = 0;
    InvoiceSearch found = merchant_->SearchInvoices(search->query);
    if (found.matched > kCsvMaxRows) throw ApiError(422, "too_many", "narrow the search: at most 100000 invoices per export");
    const std::string lang = site_.Lang(ex);
    const Catalog& catalog = site_.templates().catalog();
    std::string csv = "\xEF\xBB\xBF";  // UTF-8 BOM: spreadsheets then read the Chinese as Chinese
    csv += catalog.Text(lang, "console.csv.header") + "\r\n";
    for (const InvoiceRow& row : found.rows) {
      const std::string fields[] = {row.invoice_no, catalog.Text(lang, "state.color." + row.color),
                                    catalog.Text(lang, "state.status." + row.status), invoice::ChinaDateTime(row.issued_ms),
                                    row.buyer_name, row.buyer_tax_id, invoice::FormatYuan(row.total_fen),
                                    invoice::FormatYuan(row.tax_fen), row.order_id,
                                    row.height >= 0 ? std::to_string(row.height) : std::string()};
      for (size_t i = 0; i < std::size(fields); ++i) csv += (i ? "," : "") + CsvField(fields[i]);
      csv += "\r\n";
    }
    ex.response().set("Content-Disposition", "attachment; filename=\"invoices.csv\"");
    ex.Send(200, "text/csv; charset=utf-8", csv);
  });

  r.Add("GET", "/merchant/orders/([A-Za-z0-9._-]{1,64})", [this, merchant_user](Exchange& ex) {
    if (!merchant_user(ex)) return;
    auto order = merchant_->GetOrder(ex.Param(0));
    auto activity = order ? merchant_->GetOrderActivity(ex.Param(0)) : std::nullopt;
    if (!order || !activity) return site_.SendNotice(ex, 404, "console.order_not_found", {}, "/merchant/invoices", "nav.merchant_invoices");
    PageData d = site_.Page(ex, "console.order.title", {{"order_id", order->order.order_id}});
    d.set("order_id", order->order.order_id);
    d.set("status", site_.Text(ex, "order.state." + order->status));
    d.set("created", invoice::ChinaDateTime(activity->created_ms));
    d.set("total", invoice::FormatYuan(order->order.TotalFen()));
    if (order->order.buyer) {
      d.set("buyer", order->order.buyer->name);
      d.set("buyer_tax_id", order->order.buyer->tax_id.empty() ? site_.Text(ex, "console.individual") : order->order.buyer->tax_id);
      if (!order->order.buyer->email.empty()) d.set("buyer_email", order->order.buyer->email);
    } else if (!order->apply_token.empty()) {
      std::string url = config_.public_url + "/apply/" + order->apply_token;
      d.set("apply_url", url);
      d.set("apply_qr_svg", invoice::QrSvg(url, 3).value_or(""));  // markup made here: rendered raw
    }
    PageData items = List();
    for (const invoice::Line& l : order->order.items) {
      PageData i;
      i.set("name", l.name);
      i.set("quantity", l.quantity.ToString());
      i.set("unit", l.unit);
      i.set("gross", invoice::FormatYuan(l.gross_fen));
      i.set("rate", std::to_string(l.rate.percent()) + "%");
      items.push_back(i);
    }
    d.set("items", items);
    PageData payments = List();
    for (const auto& p : activity->payments) {
      PageData x;
      x.set("id", p.payment_id);
      x.set("amount", invoice::FormatYuan(p.amount_fen));
      x.set("time", invoice::ChinaDateTime(p.received_ms));
      payments.push_back(x);
    }
    d.set("payments", payments);
    PageData refunds = List();
    for (const auto& f : activity->refunds) {
      PageData x;
      x.set("id", f.refund_id);
      x.set("amount", invoice::FormatYuan(f.amount_fen));
      x.set("time", invoice::ChinaDateTime(f.received_ms));
      x.set("red_invoice_no", f.red_invoice_no);
      refunds.push_back(x);
    }
    d.set("refunds", refunds);
    PageData confirmations = List();
    for (const auto& c : activity->confirmations) {
      PageData x;
      x.set("id", c.request_id);
      x.set("invoice_no", c.invoice_no);
      x.set("amount", invoice::FormatYuan(c.amount_fen));
      x.set("status", site_.Word(ex, "console.confirmation.", c.status, "console.confirmation.other"));
      if (c.height >= 0) x.set("block", site_.Text(ex, "step.block", {{"height", std::to_string(c.height)}}));
      confirmations.push_back(x);
    }
    d.set("confirmations", confirmations);
    PageData invoices = List(), sealed = List();
    for (const std::string& no : order->invoices) {
      auto inv = merchant_->GetInvoice(no);
      if (!inv) continue;
      PageData x;
      x.set("invoice_no", no);
      x.set("url", "/invoices/" + no + "?k=" + inv->leaf_hash.substr(0, 16));
      x.set("color", site_.Text(ex, "state.color." + std::string(invoice::ColorName(inv->invoice.color))));
      x.set("status", site_.Text(ex, "state.status." + inv->status));
      x.set("total", invoice::FormatYuan(inv->invoice.TotalFen()));
      x.set("mail", DeliveryRows(ex, no, false));
      invoices.push_back(x);
      if (inv->status == "sealed") {
        PageData s;
        s.set("no", no);
        sealed.push_back(s);
      }
    }
    d.set("invoices", invoices);
    d.set("mail_on", config_.mail);
    d.set("has_sealed", !sealed.is_empty_list());
    d.set("sealed_invoices", sealed);
    // What the resend form (POST-redirect-GET) did.
    if (auto to = ex.Query("sent_to"); to && !MailAddressProblem(*to))
      d.set("notice", site_.Text(ex, "console.mail.done", {{"address", *to}}));
    if (auto error = ex.Query("error"))
      d.set("error", site_.Word(ex, "console.mail.error.", *error, "console.mail.error.invalid_email"));
    site_.SendPage(ex, 200, "merchant_order", d);
  });

  // The merchant sends one of the order's sealed invoices to an address (the form above).
  r.Add("POST", "/merchant/orders/([A-Za-z0-9._-]{1,64})/email", [this, merchant_user](Exchange& ex) {
    SameOrigin(ex);
    if (!merchant_user(ex)) return;
    auto form = FormOf(ex);
    const std::string back = "/merchant/orders/" + ex.Param(0);
    auto order = merchant_->GetOrder(ex.Param(0));
    if (!order) return site_.SendNotice(ex, 404, "console.order_not_found", {}, "/merchant/invoices", "nav.merchant_invoices");
    if (!config_.mail) return ex.Redirect(back);
    const std::string no = form->get("invoice_no", "");
    const std::string address = TrimmedField(form->get("email", ""));
    if (std::find(order->invoices.begin(), order->invoices.end(), no) == order->invoices.end())
      return ex.Redirect(back + "?error=unknown_invoice");
    if (MailAddressProblem(address)) return ex.Redirect(back + "?error=invalid_email");
    auto rec = merchant_->GetInvoice(no);
    if (!rec || rec->status != "sealed") return ex.Redirect(back + "?error=not_sealed");
    merchant_->QueueMail(no, address);
    Poco::URI u(back);
    u.addQueryParameter("sent_to", address);
    ex.Redirect(u.toString());
  });
}

}  // namespace app
