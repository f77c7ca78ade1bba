#include "app/company/claim_body.h"

#include "app/http/json_body.h"

namespace app {

ClaimBody ClaimFromJson(const Poco::JSON::Object::Ptr& body) {
  ClaimBody b;
  b.invoice_no = RequireString(body, "invoice_no");
  b.h = RequireString(body, "h");
  return b;
}

}  // namespace app
