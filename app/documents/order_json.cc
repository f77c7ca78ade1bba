#include "app/documents/order_json.h"

#include <Poco/JSON/Array.h>

#include "app/http/api_error.h"
#include "app/http/json_body.h"
#include "invoice/credit_code.h"

namespace app {

using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

invoice::Line LineFromJson(const Object::Ptr& it, const std::string& p) {
  invoice::Line l;
  l.name = RequireString(it, "name", p);
  l.spec = OptionalString(it, "spec", p).value_or("");
  l.unit = OptionalString(it, "unit", p).value_or("");
  // Quantity: a decimal string ("1.5") or a JSON integer; never a float.
  std::string qty;
  if (it->has("quantity") && it->get("quantity").isInteger()) qty = it->get("quantity").toString();
  else qty = RequireString(it, "quantity", p);
  auto q = invoice::Decimal::Parse(qty);
  if (!q) throw ApiError::BadRequest("invalid_field", p + "quantity is a decimal string like \"1.5\"", p + "quantity");
  l.quantity = *q;
  l.unit_price_fen = invoice::Decimal{RequireInt(it, "unit_price_fen", p), 0};
  l.gross_fen = RequireInt(it, "gross_fen", p);
  auto rate = invoice::TaxRate::Parse(RequireString(it, "tax_rate", p));
  if (!rate)
    throw ApiError(422, "invalid_tax_rate", p + "tax_rate is one of \"0.13\", \"0.09\", \"0.06\", \"0.03\", \"0.01\", \"0\"",
                   p + "tax_rate");
  l.rate = *rate;
  return l;
}

}  // namespace

ApiError ProblemError(const invoice::Problem& p) {
  int status = p.code == "invalid_text" || p.code == "too_long" ? 400 : 422;
  return ApiError(status, p.code, p.message, p.field);
}

invoice::Party BuyerFromJson(const Object::Ptr& b, const std::string& prefix, bool validate) {
  invoice::Party p;
  p.name = RequireString(b, "name", prefix);
  p.tax_id = OptionalString(b, "tax_id", prefix).value_or("");
  p.email = OptionalString(b, "email", prefix).value_or("");
  if (validate) CheckBuyer(p, prefix);
  return p;
}

void CheckBuyer(const invoice::Party& p, const std::string& prefix) {
  if (auto problem = invoice::ValidateBuyer(p, prefix)) throw ProblemError(*problem);
  if (p.email.size() > 254)  // RFC 5321's limit for an address a relay takes
    throw ApiError(422, "invalid_email", prefix + "email is not an e-mail address", prefix + "email");
}

void CheckReference(const std::string& value, const std::string& field) {
  if (auto problem = invoice::CheckText(value, field, true)) throw ProblemError(*problem);
}

invoice::Order OrderFromJson(const Object::Ptr& o, bool validate) {
  invoice::Order order;
  order.order_id = RequireString(o, "order_id");
  if (!o->has("items") || o->get("items").type() != typeid(Array::Ptr))
    throw ApiError::BadRequest("missing_field", "items is required (an array)", "items");
  Array::Ptr items = o->getArray("items");
  for (size_t i = 0; i < items->size(); ++i) {
    std::string p = "items[" + std::to_string(i) + "].";
    if (items->get(i).type() != typeid(Object::Ptr))
      throw ApiError::BadRequest("invalid_field", "items[" + std::to_string(i) + "] must be an object", p.substr(0, p.size() - 1));
    order.items.push_back(LineFromJson(items->getObject(i), p));
  }
  if (o->has("buyer") && !o->isNull("buyer")) {
    if (o->get("buyer").type() != typeid(Object::Ptr))
      throw ApiError::BadRequest("invalid_field", "buyer must be an object", "buyer");
    order.buyer = BuyerFromJson(o->getObject("buyer"), "buyer.", validate);
  }
  if (!validate) return order;
  if (auto p = invoice::ValidateOrder(order)) throw ProblemError(*p);
  return order;
}

Array::Ptr LinesJson(const std::vector<invoice::Line>& lines) {
  Array::Ptr arr = new Array;
  for (const auto& l : lines) {
    Object::Ptr it = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    it->set("name", l.name);
    if (!l.spec.empty()) it->set("spec", l.spec);
    if (!l.unit.empty()) it->set("unit", l.unit);
    it->set("quantity", l.quantity.ToString());
    if (l.unit_price_fen.scale == 0) it->set("unit_price_fen", l.unit_price_fen.units);
    else it->set("unit_price_fen", l.unit_price_fen.ToString());
    it->set("gross_fen", l.gross_fen);
    it->set("tax_rate", l.rate.ToString());
    invoice::VatSplit s = l.Split();
    it->set("net_fen", s.net_fen);
    it->set("tax_fen", s.tax_fen);
    arr->add(it);
  }
  return arr;
}

Object::Ptr OrderItemsJson(const invoice::Order& order) {
  Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("items", LinesJson(order.items));
  return o;
}

Object::Ptr PartyJson(const invoice::Party& p) {
  Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("name", p.name);
  if (!p.tax_id.empty()) o->set("tax_id", p.tax_id);
  if (!p.email.empty()) o->set("email", p.email);
  return o;
}

}  // namespace app
