#include "app/documents/filing_json.h"

#include <Poco/JSON/Array.h>

#include "app/chain/chain_json.h"

namespace app {

using Poco::JSON::Array;
using Poco::JSON::Object;

Object::Ptr FiguresJson(const invoice::FilingFigures& f) {
  Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  Array::Ptr rates = new Array;
  for (const auto& r : f.rates) {
    Object::Ptr x = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    x->set("tax_rate", r.rate.ToString());
    x->set("net_fen", r.net_fen);
    x->set("tax_fen", r.tax_fen);
    x->set("red_net_fen", r.red_net_fen);
    x->set("red_tax_fen", r.red_tax_fen);
    rates->add(x);
  }
  o->set("rates", rates);
  o->set("net_fen", f.NetFen());
  o->set("tax_fen", f.TaxFen());
  o->set("invoice_count", f.invoice_count);
  o->set("red_count", f.red_count);
  o->set("first_no", f.first_no);
  o->set("last_no", f.last_no);
  o->set("set_hash", f.set_hash);
  return o;
}

Object::Ptr FilingJson(const invoice::Lifecycle::FilingState& s) {
  const invoice::FileEvent& f = s.event;
  Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("filing_id", f.filing_id);
  o->set("seller", f.seller);
  o->set("period", f.period);
  if (!f.amends.empty()) o->set("amends", f.amends);
  if (!s.amended_by.empty()) o->set("amended_by", s.amended_by);
  o->set("filed_at", Rfc3339(f.meta.time_ms));
  o->set("figures", FiguresJson(f.figures));
  o->set("ledger", SealedPlaceJson(s.place.height, s.place.leaf_index, s.place.leaf_hash));
  return o;
}

}  // namespace app
