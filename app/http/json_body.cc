#include "app/http/json_body.h"

#include <Poco/JSON/JSONException.h>
#include <Poco/JSON/Parser.h>

#include "app/http/api_error.h"

namespace app {

Poco::JSON::Object::Ptr ParseJsonObject(const std::string& body) {
  Poco::Dynamic::Var v;
  try {
    v = Poco::JSON::Parser().parse(body);
  } catch (const Poco::Exception& e) {
    throw ApiError::BadRequest("malformed_json", "the body is not valid JSON: " + e.message());
  }
  if (v.type() != typeid(Poco::JSON::Object::Ptr))
    throw ApiError::BadRequest("malformed_json", "the body must be a JSON object");
  return v.extract<Poco::JSON::Object::Ptr>();
}

std::optional<std::string> OptionalString(const Poco::JSON::Object::Ptr& o, const std::string& key,
                                          const std::string& prefix) {
  if (!o->has(key) || o->isNull(key)) return std::nullopt;
  Poco::Dynamic::Var v = o->get(key);
  if (!v.isString()) throw ApiError::BadRequest("invalid_field", prefix + key + " must be a string", prefix + key);
  return v.toString();
}

std::string RequireString(const Poco::JSON::Object::Ptr& o, const std::string& key, const std::string& prefix) {
  auto v = OptionalString(o, key, prefix);
  if (!v) throw ApiError::BadRequest("missing_field", prefix + key + " is required", prefix + key);
  return *v;
}

int64_t RequireInt(const Poco::JSON::Object::Ptr& o, const std::string& key, const std::string& prefix) {
  if (!o->has(key) || o->isNull(key))
    throw ApiError::BadRequest("missing_field", prefix + key + " is required", prefix + key);
  Poco::Dynamic::Var v = o->get(key);
  // Poco parses JSON integers as Int64/UInt64 and anything with a fraction or exponent as
  // double: refuse the latter, money is never floating point.
  if (!v.isInteger()) throw ApiError::BadRequest("invalid_field", prefix + key + " must be an integer", prefix + key);
  try {
    return v.convert<Poco::Int64>();
  } catch (const Poco::Exception&) {
    throw ApiError::BadRequest("invalid_field", prefix + key + " is out of range", prefix + key);
  }
}

}  // namespace app
