// Loads fixtures/taxpayers.json and fixtures/orders.json into domain values (tests only).
#pragma once

#include <Poco/JSON/Parser.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "invoice/order.h"

namespace invoice::fixtures {

inline Poco::JSON::Object::Ptr LoadJson(const std::string& name) {
  std::ifstream in(std::string(EINVOICE_SOURCE_DIR) + "/fixtures/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return Poco::JSON::Parser().parse(ss.str()).extract<Poco::JSON::Object::Ptr>();
}

inline Party PartyFrom(const Poco::JSON::Object::Ptr& o) {
  return Party{o->getValue<std::string>("name"), o->optValue<std::string>("tax_id", ""),
               o->optValue<std::string>("email", "")};
}

inline Party Taxpayer(const std::string& role) { return PartyFrom(LoadJson("taxpayers.json")->getObject(role)); }

inline std::vector<Order> Orders() {
  std::vector<Order> out;
  auto arr = LoadJson("orders.json")->getArray("orders");
  for (size_t i = 0; i < arr->size(); ++i) {
    auto o = arr->getObject(i);
    Order order;
    order.order_id = o->getValue<std::string>("order_id");
    if (o->has("buyer")) order.buyer = PartyFrom(o->getObject("buyer"));
    auto items = o->getArray("items");
    for (size_t k = 0; k < items->size(); ++k) {
      auto it = items->getObject(k);
      Line l;
      l.name = it->getValue<std::string>("name");
      l.spec = it->optValue<std::string>("spec", "");
      l.unit = it->optValue<std::string>("unit", "");
      l.quantity = *Decimal::Parse(it->getValue<std::string>("quantity"));
      l.unit_price_fen = Decimal{it->getValue<int64_t>("unit_price_fen"), 0};
      l.gross_fen = it->getValue<int64_t>("gross_fen");
      l.rate = *TaxRate::Parse(it->getValue<std::string>("tax_rate"));
      order.items.push_back(l);
    }
    out.push_back(order);
  }
  return out;
}

struct Refund {
  std::string order_id, refund_id, reason;
  Fen refund_fen;
};

inline std::vector<Refund> Refunds() {
  std::vector<Refund> out;
  auto arr = LoadJson("orders.json")->getArray("refunds");
  for (size_t i = 0; i < arr->size(); ++i) {
    auto r = arr->getObject(i);
    out.push_back({r->getValue<std::string>("order_id"), r->getValue<std::string>("refund_id"),
                   r->getValue<std::string>("reason"), r->getValue<int64_t>("refund_fen")});
  }
  return out;
}

}  // namespace invoice::fixtures
