// Small helpers shared by the merchant's two source files (records, and issuing): stored
// JSON, the log (SQLite results go through app/base/or_throw.h). Internal to app/merchant*.cc.
#pragma once

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>

#include <sstream>
#include <stdexcept>
#include <string>

#include "app/base/or_throw.h"
#include "ledger/sqlite_db.h"

namespace app::merchant_sql {

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
