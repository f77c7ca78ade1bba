// Reading JSON request bodies strictly: a malformed body is a 400 naming the problem, a
// missing or mistyped field a 400 naming the field. No floating point is ever read.
#pragma once

#include <Poco/JSON/Object.h>

#include <optional>
#include <string>

namespace app {

Poco::JSON::Object::Ptr ParseJsonObject(const std::string& body);
std::string RequireString(const Poco::JSON::Object::Ptr& o, const std::string& key, const std::string& field_prefix = "");
std::optional<std::string> OptionalString(const Poco::JSON::Object::Ptr& o, const std::string& key,
                                          const std::string& field_prefix = "");
// An integer (JSON number without fraction or exponent); 400 for anything else.
int64_t RequireInt(const Poco::JSON::Object::Ptr& o, const std::string& key, const std::string& field_prefix = "");

}  // namespace app
