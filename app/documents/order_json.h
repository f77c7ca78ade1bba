// Orders and invoices as the contract's JSON: POST /v1/orders bodies in, invoice JSON out.
// Errors name the field (e.g. "items[1].tax_rate") with the contract's codes.
#pragma once

#include <Poco/JSON/Object.h>

#include "app/http/api_error.h"
#include "invoice/order.h"

namespace app {

// Parses {order_id, items:[{name, spec?, unit?, quantity, unit_price_fen, gross_fen,
// tax_rate}], buyer?:{name, tax_id?, email?}}; 400 for malformed JSON shapes and text, 422 for
// well-formed but invalid values (a bad tax id, an amount mismatch). `validate` false only
// reads (what the node stored itself, to show it whatever rules changed since).
invoice::Order OrderFromJson(const Poco::JSON::Object::Ptr& o, bool validate = true);
// Parses a buyer object {name, tax_id?, email?}.
invoice::Party BuyerFromJson(const Poco::JSON::Object::Ptr& o, const std::string& prefix, bool validate = true);
// The invoice's rules for a buyer (invoice::ValidateBuyer), as the contract's error; the apply
// form and the checkout use it too.
void CheckBuyer(const invoice::Party& buyer, const std::string& prefix);
// A payment provider's id (payment, refund, order) as invoice text: 400 naming `field`.
void CheckReference(const std::string& value, const std::string& field);
// An invoice::Problem as the contract's error: 400 for malformed text, else 422.
ApiError ProblemError(const invoice::Problem& p);

Poco::JSON::Object::Ptr OrderItemsJson(const invoice::Order& order);  // {"items":[...]}
Poco::JSON::Object::Ptr PartyJson(const invoice::Party& p);
Poco::JSON::Array::Ptr LinesJson(const std::vector<invoice::Line>& lines);

}  // namespace app
