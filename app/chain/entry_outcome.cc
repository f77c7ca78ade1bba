#include "app/chain/entry_outcome.h"

#include <Poco/Exception.h>

#include <stdexcept>

namespace app {

using Poco::JSON::Array;
using Poco::JSON::Object;

Array::Ptr DifferencesJson(const std::vector<tax::Difference>& differences) {
  Array::Ptr out = new Array;
  for (const auto& d : differences) {
    Object::Ptr x = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    x->set("figure", d.figure);
    x->set("filed", d.filed);
    x->set("chain", d.chain);
    out->add(x);
  }
  return out;
}

Object::Ptr OutcomeJson(const EntryOutcome& o) {
  Object::Ptr r = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  r->set("leaf_hash", o.leaf_hash);
  r->set("status", o.sealed ? "sealed" : "refused");
  if (o.sealed) {
    r->set("height", o.height);
    r->set("leaf_index", o.leaf_index);
  } else {
    r->set("code", std::string(invoice::RefusalCode(o.verdict.refusal)));
    r->set("http_status", invoice::RefusalStatus(o.verdict.refusal));
    r->set("message", o.verdict.message);
    if (!o.verdict.field.empty()) r->set("field", o.verdict.field);
    if (o.verdict.conflict_height) r->set("conflict_height", o.verdict.conflict_height);
    if (!o.differences.empty()) r->set("differences", DifferencesJson(o.differences));
  }
  if (o.verdict.granted) {
    Object::Ptr g = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    g->set("prefix", o.verdict.granted->prefix.ToString());
    g->set("first", o.verdict.granted->first);
    g->set("count", o.verdict.granted->count);
    r->set("granted", g);
  }
  return r;
}

EntryOutcome OutcomeFromJson(const Object::Ptr& r) {
  if (!r) throw std::runtime_error("the authority's answer holds no outcome");
  EntryOutcome o;
  try {
    o.leaf_hash = r->getValue<std::string>("leaf_hash");
    const std::string status = r->getValue<std::string>("status");
    if (status != "sealed" && status != "refused") throw std::runtime_error("an outcome's status is " + status);
    o.sealed = status == "sealed";
    if (o.sealed) {
      o.height = r->getValue<uint64_t>("height");
      o.leaf_index = r->getValue<uint64_t>("leaf_index");
    } else {
      const std::string code = r->getValue<std::string>("code");
      auto refusal = invoice::RefusalFromCode(code);
      if (!refusal || *refusal == invoice::Refusal::kNone) throw std::runtime_error("an outcome's refusal code is " + code);
      o.verdict.refusal = *refusal;
      o.verdict.message = r->optValue<std::string>("message", "");
      o.verdict.field = r->optValue<std::string>("field", "");
      o.verdict.conflict_height = r->optValue<uint64_t>("conflict_height", 0);
      if (auto diffs = r->getArray("differences")) {
        for (size_t i = 0; i < diffs->size(); ++i) {
          auto d = diffs->getObject(i);
          if (!d) throw std::runtime_error("an outcome's differences are malformed");
          o.differences.push_back(
              {d->getValue<std::string>("figure"), d->getValue<std::string>("filed"), d->getValue<std::string>("chain")});
        }
      }
    }
    if (auto g = r->getObject("granted")) {
      auto number = invoice::InvoiceNumber::Parse(g->getValue<std::string>("prefix") + std::string(15, '0'));
      if (!number) throw std::runtime_error("an outcome's granted prefix is malformed");
      o.verdict.granted = invoice::NumberRange{number->prefix, g->getValue<uint64_t>("first"), g->getValue<uint64_t>("count")};
    }
  } catch (const Poco::Exception& e) {
    throw std::runtime_error("the authority's outcome is malformed: " + e.displayText());
  }
  return o;
}

}  // namespace app
