#include "app/company/claim_body.h"

#include <Poco/JSON/Array.h>

#include <charconv>
#include <cstdio>
#include <sstream>

#include "app/http/api_error.h"
#include "app/http/json_body.h"

namespace app {

using Poco::JSON::Array;
using Poco::JSON::Object;

ClaimBody ClaimFromJson(const Object::Ptr& body) {
  ClaimBody b;
  b.invoice_no = RequireString(body, "invoice_no");
  b.h = RequireString(body, "h");
  return b;
}

}  // namespace app
