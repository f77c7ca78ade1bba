#include "invoice/event_codec.h"

#include <charconv>

#include "invoice/national_xml.h"
#include "invoice/time_format.h"
#include "invoice/xml_fields.h"

namespace invoice {
namespace {

using xml::Add;
using xml::AddIf;

const char* kReimburseActions[] = {"claim", "settle", "release"};
const char* kConfirmActions[] = {"request", "accept", "refuse"};

void AddMeta(pugi::xml_node n, const EventMeta& m) {
  Add(n, "EventId", m.event_id);
  Add(n, "Time", FormatUtcMs(m.time_ms));
}

std::optional<int64_t> ParseInt(const std::string& s) {
  int64_t v = 0;
  if (s.empty() || s == "-0" || (s.size() > 1 && s[0] == '0') || (s.size() > 2 && s[0] == '-' && s[1] == '0'))
    return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<uint64_t> ParseUint(const std::string& s) {
  uint64_t v = 0;
  if (s.empty() || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

struct Visitor {
  pugi::xml_document& doc;
  void operator()(const RegisterEvent& e) {
    auto n = doc.append_child("Register");
    AddMeta(n, e.meta);
    Add(n, "TaxId", e.tax_id);
    Add(n, "Name", e.name);
    Add(n, "NodeKey", e.node_key);
  }
  void operator()(const ApplyEvent& e) {
    auto n = doc.append_child("Apply");
    AddMeta(n, e.meta);
    Add(n, "Seller", e.seller);
    Add(n, "Prefix", e.prefix.ToString());
    Add(n, "Count", std::to_string(e.count));
  }
  void operator()(const IssueEvent&) {}
  void operator()(const ReimburseEvent& e) {
    auto n = doc.append_child("Reimburse");
    AddMeta(n, e.meta);
    Add(n, "Action", kReimburseActions[static_cast<int>(e.action)]);
    Add(n, "InvoiceNumber", e.invoice_no);
    Add(n, "Company", e.company);
    AddIf(n, "Employee", e.employee);
    AddIf(n, "InvoiceHash", e.invoice_hash);
  }
  void operator()(const ConfirmEvent& e) {
    auto n = doc.append_child("Confirm");
    AddMeta(n, e.meta);
    Add(n, "Action", kConfirmActions[static_cast<int>(e.action)]);
    Add(n, "RequestId", e.request_id);
    if (e.action == ConfirmAction::kRequest) {
      Add(n, "InvoiceNumber", e.invoice_no);
      Add(n, "AmountFen", std::to_string(e.amount_fen));
      Add(n, "Reason", e.reason);
    }
  }
  void operator()(const FileEvent& e) {
    auto n = doc.append_child("File");
    AddMeta(n, e.meta);
    Add(n, "FilingId", e.filing_id);
    Add(n, "Seller", e.seller);
    Add(n, "Period", e.period);
    AddIf(n, "Amends", e.amends);
    auto f = n.append_child("Figures");
    for (const RateFiling& r : e.figures.rates) {
      auto line = f.append_child("Rate");
      Add(line, "TaxRate", r.rate.ToString());
      Add(line, "NetFen", std::to_string(r.net_fen));
      Add(line, "TaxFen", std::to_string(r.tax_fen));
      Add(line, "RedNetFen", std::to_string(r.red_net_fen));
      Add(line, "RedTaxFen", std::to_string(r.red_tax_fen));
    }
    Add(f, "InvoiceCount", std::to_string(e.figures.invoice_count));
    Add(f, "RedCount", std::to_string(e.figures.red_count));
    AddIf(f, "FirstNumber", e.figures.first_no);
    AddIf(f, "LastNumber", e.figures.last_no);
    Add(f, "SetHash", e.figures.set_hash);
  }
};

Problem Bad(const std::string& field, const std::string& msg) { return Problem{"invalid_payload", field, msg}; }

std::optional<Problem> ReadMeta(xml::Reader& r, EventMeta* m) {
  m->event_id = r.Text("EventId").value_or("");
  auto t = ParseUtcMs(r.Text("Time").value_or(""));
  if (!r.missing().empty()) return Bad(r.missing(), "missing " + r.missing());
  if (!t) return Bad("Time", "Time is YYYY-MM-DDThh:mm:ss.mmmZ");
  m->time_ms = *t;
  return std::nullopt;
}

template <size_t N>
int IndexOf(const char* const (&names)[N], const std::string& s) {
  for (size_t i = 0; i < N; ++i)
    if (s == names[i]) return static_cast<int>(i);
  return -1;
}

std::variant<Event, Problem> DecodeNode(std::string_view kind, pugi::xml_node root) {
  xml::Reader r(root);
  std::string name = root.name();
  if (kind == "register" && name == "Register") {
    RegisterEvent e;
    if (auto p = ReadMeta(r, &e.meta)) return *p;
    e.tax_id = r.Text("TaxId").value_or("");
    e.name = r.Text("Name").value_or("");
    e.node_key = r.Text("NodeKey").value_or("");
    if (!r.missing().empty()) return Bad(r.missing(), "missing " + r.missing());
    return e;
  }
  if (kind == "apply" && name == "Apply") {
    ApplyEvent e;
    if (auto p = ReadMeta(r, &e.meta)) return *p;
    e.seller = r.Text("Seller").value_or("");
    auto prefix = InvoiceNumber::Parse(r.Text("Prefix").value_or("") + std::string(15, '0'));
    auto count = ParseUint(r.Text("Count").value_or(""));
    if (!r.missing().empty()) return Bad(r.missing(), "missing " + r.missing());
    if (!prefix) return Bad("Prefix", "Prefix is 5 digits");
    if (!count) return Bad("Count", "Count is a whole number");
    e.prefix = prefix->prefix;
    e.count = *count;
    return e;
  }
  if (kind == "reimburse" && name == "Reimburse") {
    ReimburseEvent e;
    if (auto p = ReadMeta(r, &e.meta)) return *p;
    int action = IndexOf(kReimburseActions, r.Text("Action").value_or(""));
    e.invoice_no = r.Text("InvoiceNumber").value_or("");
    e.company = r.Text("Company").value_or("");
    e.employee = r.Optional("Employee");
    e.invoice_hash = r.Optional("InvoiceHash");
    if (!r.missing().empty()) return Bad(r.missing(), "missing " + r.missing());
    if (action < 0) return Bad("Action", "Action is claim, settle or release");
    e.action = static_cast<ReimburseAction>(action);
    return e;
  }
  if (kind == "confirm" && name == "Confirm") {
    ConfirmEvent e;
    if (auto p = ReadMeta(r, &e.meta)) return *p;
    int action = IndexOf(kConfirmActions, r.Text("Action").value_or(""));
    e.request_id = r.Text("RequestId").value_or("");
    if (action < 0) return Bad("Action", "Action is request, accept or refuse");
    e.action = static_cast<ConfirmAction>(action);
    if (e.action == ConfirmAction::kRequest) {
      e.invoice_no = r.Text("InvoiceNumber").value_or("");
      auto amount = ParseUint(r.Text("AmountFen").value_or(""));
      e.reason = r.Text("Reason").value_or("");
      if (!amount) return Bad("AmountFen", "AmountFen is a whole number");
      e.amount_fen = static_cast<Fen>(*amount);
    }
    if (!r.missing().empty()) return Bad(r.missing(), "missing " + r.missing());
    return e;
  }
  if (kind == "file" && name == "File") {
    FileEvent e;
    if (auto p = ReadMeta(r, &e.meta)) return *p;
    e.filing_id = r.Text("FilingId").value_or("");
    e.seller = r.Text("Seller").value_or("");
    e.period = r.Text("Period").value_or("");
    e.amends = r.Optional("Amends");
    pugi::xml_node figures = r.Child("Figures");
    if (!r.missing().empty()) return Bad(r.missing(), "missing " + r.missing());
    xml::Reader f(figures);
    while (f.AtChild("Rate")) {
      xml::Reader line(f.Child("Rate"));
      auto rate = TaxRate::Parse(line.Text("TaxRate").value_or(""));
      auto net = ParseInt(line.Text("NetFen").value_or(""));
      auto tax = ParseInt(line.Text("TaxFen").value_or(""));
      auto red_net = ParseInt(line.Text("RedNetFen").value_or(""));
      auto red_tax = ParseInt(line.Text("RedTaxFen").value_or(""));
      if (!line.missing().empty()) return Bad(line.missing(), "missing " + line.missing());
      if (!rate || !net || !tax || !red_net || !red_tax) return Bad("Rate", "a Rate holds a contract rate and whole fen");
      e.figures.rates.push_back({*rate, *net, *tax, *red_net, *red_tax});
    }
    auto count = ParseUint(f.Text("InvoiceCount").value_or(""));
    auto reds = ParseUint(f.Text("RedCount").value_or(""));
    e.figures.first_no = f.Optional("FirstNumber");
    e.figures.last_no = f.Optional("LastNumber");
    e.figures.set_hash = f.Text("SetHash").value_or("");
    if (!f.missing().empty()) return Bad(f.missing(), "missing " + f.missing());
    if (!count || !reds) return Bad("InvoiceCount", "the counts are whole numbers");
    e.figures.invoice_count = *count;
    e.figures.red_count = *reds;
    return e;
  }
  return Bad("kind", "the payload's root element does not match the entry kind " + std::string(kind));
}

}  // namespace

std::string_view EventKind(const Event& e) {
  static const std::string_view kKinds[] = {"register", "apply", "issue", "reimburse", "confirm", "file"};
  return kKinds[e.index()];
}

std::string EncodeEvent(const Event& e) {
  if (auto* i = std::get_if<IssueEvent>(&e)) return EncodeInvoiceXml(i->invoice);
  pugi::xml_document doc;
  std::visit(Visitor{doc}, e);
  return xml::Canonical(doc);
}

std::variant<Event, Problem> DecodeEvent(std::string_view kind, std::string_view payload) {
  if (kind == "issue") {
    auto inv = DecodeInvoiceXml(payload);
    if (auto* p = std::get_if<Problem>(&inv)) return *p;
    return IssueEvent{std::get<Invoice>(inv)};
  }
  pugi::xml_document doc;
  if (!doc.load_buffer(payload.data(), payload.size(), pugi::parse_default, pugi::encoding_utf8))
    return Bad("payload", "not well-formed XML");
  auto decoded = DecodeNode(kind, doc.first_child());
  if (auto* p = std::get_if<Problem>(&decoded)) return *p;
  if (EncodeEvent(std::get<Event>(decoded)) != payload) return Bad("payload", "not the canonical encoding");
  return decoded;
}

}  // namespace invoice
