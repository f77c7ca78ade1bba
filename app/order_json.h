// Orders and invoices as the contract's JSON: POST /v1/orders bodies in, invoice JSON out.
// Errors name the field (e.g. "items[1].tax_rate") with the contract's codes.
#pragma once

#include <Poco/JSON/Object.h>

#include "invoice/order.h"

namespace app {

// Parses {order_id, items:[{name, spec?, unit?, quantity, unit_price_fen, gross_fen,
// tax_rate}], buyer?:{name, tax_id?, email?}}; 400 for malformed JSON shapes, 422 for
// well-formed but invalid values (a bad tax id, an amount mismatch).
invoice::Order OrderFromJson(const Poco::JSON::Object::Ptr& o);
// Parses a buyer object {name, tax_id?, email?} (also used by the apply form).
invoice::Party BuyerFromJson(const Poco::JSON::Object::Ptr& o, const std::string& prefix);
void CheckBuyer(const invoice::Party& buyer, const std::string& prefix);

Poco::JSON::Object::Ptr OrderItemsJson(const invoice::Order& order);  // {"items":[...]}
Poco::JSON::Object::Ptr PartyJson(const invoice::Party& p);
Poco::JSON::Array::Ptr LinesJson(const std::vector<invoice::Line>& lines);

}  // namespace app
