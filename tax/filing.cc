#include "tax/filing.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <stdexcept>

#include <pugixml.hpp>

#include <sstream>

#include "invoice/time_format.h"
#include "invoice/ubl.h"

namespace tax {
namespace {

std::string Sha256HexOfHexList(std::vector<std::string> hexes) {
  std::sort(hexes.begin(), hexes.end());
  std::vector<unsigned char> raw;
  raw.reserve(hexes.size() * 32);
  for (const std::string& h : hexes)
    for (size_t i = 0; i + 1 < h.size(); i += 2) raw.push_back(static_cast<unsigned char>(std::stoi(h.substr(i, 2), nullptr, 16)));
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!EVP_Digest(raw.data(), raw.size(), md, &len, EVP_sha256(), nullptr)) throw std::runtime_error("SHA-256 failed");
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

}  // namespace

bool InPeriod(uint64_t issued_ms, const std::string& period) {
  if (!invoice::ValidPeriod(period)) return false;
  std::string date = invoice::ChinaDate(issued_ms);  // YYYY-MM-DD
  if (date.substr(0, 4) != period.substr(0, 4)) return false;
  int month = std::stoi(date.substr(5, 2));
  if (period[5] == 'Q') return (month - 1) / 3 + 1 == period[6] - '0';
  return month == std::stoi(period.substr(5, 2));
}

invoice::FilingFigures ComputeReturn(const std::vector<Covered>& invoices) {
  std::map<invoice::TaxRate, invoice::RateFiling, std::greater<>> by_rate;
  invoice::FilingFigures f;
  std::vector<std::string> hashes;
  for (const Covered& c : invoices) {
    const invoice::Invoice& inv = *c.invoice;
    const bool red = inv.color == invoice::Color::kRed;
    (red ? f.red_count : f.invoice_count)++;
    if (f.first_no.empty() || inv.invoice_no < f.first_no) f.first_no = inv.invoice_no;
    if (inv.invoice_no > f.last_no) f.last_no = inv.invoice_no;
    hashes.push_back(c.leaf_hash);
    for (const invoice::Line& l : inv.lines) {
      invoice::RateFiling& r = by_rate.try_emplace(l.rate, invoice::RateFiling{l.rate}).first->second;
      invoice::VatSplit s = l.Split();
      (red ? r.red_net_fen : r.net_fen) += s.net_fen;
      (red ? r.red_tax_fen : r.tax_fen) += s.tax_fen;
    }
  }
  for (auto& [rate, r] : by_rate) f.rates.push_back(r);
  f.set_hash = Sha256HexOfHexList(std::move(hashes));
  return f;
}

invoice::InvoiceFilter PeriodFilter(const std::string& seller, const std::string& period) {
  invoice::InvoiceFilter f;
  f.seller = seller;
  if (!invoice::ValidPeriod(period)) {
    f.to_ms = 0;  // matches nothing, as InPeriod does
    return f;
  }
  int year = std::stoi(period.substr(0, 4));
  int first = period[5] == 'Q' ? (period[6] - '1') * 3 + 1 : std::stoi(period.substr(5, 2));
  int last = period[5] == 'Q' ? first + 2 : first;
  auto midnight_in_china = [](int y, int m) {
    char text[32];
    std::snprintf(text, sizeof text, "%04d-%02d-01T00:00:00.000Z", y + (m - 1) / 12, (m - 1) % 12 + 1);
    auto utc = invoice::ParseUtcMs(text);
    if (!utc) throw std::logic_error("period bounds");
    constexpr uint64_t kEightHours = 8ull * 3600 * 1000;
    return *utc >= kEightHours ? *utc - kEightHours : 0;
  };
  f.from_ms = midnight_in_china(year, first);
  f.to_ms = midnight_in_china(year, last + 1);
  return f;
}

invoice::FilingFigures ReturnFromLifecycle(const invoice::Lifecycle& lc, const std::string& seller,
                                           const std::string& period) {
  std::vector<std::pair<invoice::Invoice, std::string>> found;
  lc.ForEachInvoice(PeriodFilter(seller, period), [&](const std::string&, const invoice::InvoiceState& st) {
    if (!st.invoice.invoice_no.empty() && InPeriod(st.invoice.issued_at_ms, period))
      found.emplace_back(st.invoice, st.issued.leaf_hash);
  });
  std::vector<Covered> covered;
  covered.reserve(found.size());
  for (const auto& [inv, hash] : found) covered.push_back({&inv, hash});
  return ComputeReturn(covered);
}

std::string EncodeFilingXml(const invoice::FileEvent& f, const std::string& seller_name, const invoice::Place& place) {
  pugi::xml_document doc;
  auto root = doc.append_child("VatReturn");
  auto add = [](pugi::xml_node n, const char* name, const std::string& v) { n.append_child(name).text().set(v.c_str()); };
  add(root, "FilingId", f.filing_id);
  add(root, "Seller", f.seller);
  add(root, "SellerName", seller_name);
  add(root, "Period", f.period);
  if (!f.amends.empty()) add(root, "Amends", f.amends);
  add(root, "FiledAt", invoice::FormatUtcMs(f.meta.time_ms));
  for (const auto& r : f.figures.rates) {
    auto line = root.append_child("Rate");
    add(line, "TaxRate", r.rate.ToString());
    add(line, "Net", invoice::FormatYuan(r.net_fen));
    add(line, "OutputTax", invoice::FormatYuan(r.tax_fen));
    add(line, "RedNet", invoice::FormatYuan(r.red_net_fen));
    add(line, "RedOutputTax", invoice::FormatYuan(r.red_tax_fen));
  }
  add(root, "TotalNet", invoice::FormatYuan(f.figures.NetFen()));
  add(root, "TotalOutputTax", invoice::FormatYuan(f.figures.TaxFen()));
  add(root, "InvoiceCount", std::to_string(f.figures.invoice_count));
  add(root, "RedInvoiceCount", std::to_string(f.figures.red_count));
  if (!f.figures.first_no.empty()) add(root, "FirstInvoiceNumber", f.figures.first_no);
  if (!f.figures.last_no.empty()) add(root, "LastInvoiceNumber", f.figures.last_no);
  add(root, "InvoiceSetHash", f.figures.set_hash);
  auto ledger = root.append_child("Ledger");
  add(ledger, "Height", std::to_string(place.height));
  add(ledger, "LeafIndex", std::to_string(place.leaf_index));
  add(ledger, "LeafHash", place.leaf_hash);
  std::ostringstream out;
  doc.save(out, "  ", pugi::format_default, pugi::encoding_utf8);
  return out.str();
}

std::vector<Difference> CompareFigures(const invoice::FilingFigures& filed, const invoice::FilingFigures& chain) {
  std::vector<Difference> d;
  auto cmp = [&](const std::string& name, const std::string& a, const std::string& b) {
    if (a != b) d.push_back({name, a, b});
  };
  std::map<std::string, invoice::RateFiling> a, b;
  for (const auto& r : filed.rates) a[r.rate.ToString()] = r;
  for (const auto& r : chain.rates) b[r.rate.ToString()] = r;
  std::set<std::string> rates;
  for (const auto& [k, v] : a) rates.insert(k);
  for (const auto& [k, v] : b) rates.insert(k);
  for (const std::string& rate : rates) {
    const invoice::RateFiling x = a.count(rate) ? a[rate] : invoice::RateFiling{};
    const invoice::RateFiling y = b.count(rate) ? b[rate] : invoice::RateFiling{};
    const std::string p = "rates[" + rate + "].";
    cmp(p + "net_fen", std::to_string(x.net_fen), std::to_string(y.net_fen));
    cmp(p + "tax_fen", std::to_string(x.tax_fen), std::to_string(y.tax_fen));
    cmp(p + "red_net_fen", std::to_string(x.red_net_fen), std::to_string(y.red_net_fen));
    cmp(p + "red_tax_fen", std::to_string(x.red_tax_fen), std::to_string(y.red_tax_fen));
  }
  cmp("invoice_count", std::to_string(filed.invoice_count), std::to_string(chain.invoice_count));
  cmp("red_count", std::to_string(filed.red_count), std::to_string(chain.red_count));
  cmp("first_no", filed.first_no, chain.first_no);
  cmp("last_no", filed.last_no, chain.last_no);
  cmp("set_hash", filed.set_hash, chain.set_hash);
  return d;
}

}  // namespace tax
