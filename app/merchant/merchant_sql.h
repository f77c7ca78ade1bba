// Small helpers shared by the merchant's two source files (records, and issuing): SQLite
// results that throw, stored JSON, the log. Internal to app/merchant*.cc.
#pragma once

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>

#include <sstream>
#include <stdexcept>
#include <string>

#include "ledger/sqlite_db.h"

namespace app::merchant_sql {

inline void Check(const ledger::Status& s) {
  if (!s.ok()) throw std::runtime_error(s.ToString());
}

template <typename T>
T Get(ledger::Result<T> r) {
  if (!r.ok()) throw std::runtime_error(r.status().ToString());
  return std::move(r).value();
}

inline std::string Json(const Poco::JSON::Object::Ptr& o) {
  std::ostringstream ss;
  o->stringify(ss);
  return ss.str();
}

inline Poco::JSON::Object::Ptr ParseStored(const std::string& s) {
  return Poco::JSON::Parser().parse(s).extract<Poco::JSON::Object::Ptr>();
}

inline Poco::Logger& Log() { return Poco::Logger::get("merchant"); }

}  // namespace app::merchant_sql
