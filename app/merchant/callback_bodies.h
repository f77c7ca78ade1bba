// The bodies and headers of payment callbacks (app/README.md, "Payment callbacks"),
// as functions of those bytes alone: the handler authenticates, calls one, and acts on what
// it returns, and tests/fuzz drives the very same functions with hostile input. Each function
// throws ApiError (a 4xx naming the field) for any input it refuses, and nothing else.
// Thread-safe (no state).
#pragma once

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "app/merchant/merchant.h"

namespace app {

// Payment callbacks (app/README.md "Payment callbacks"). A decimal Unix time in seconds, or nullopt.
std::optional<int64_t> ParseUnixSeconds(const std::string& s);

// A WeChat Pay API v3 notification, its signature already verified: the event type and the
// resource decrypted with the API v3 key (400 undecryptable_resource when it does not).
struct WechatNotification {
  std::string event_type, resource;
};
WechatNotification ParseWechatNotification(const std::string& body, const std::string& api_v3_key);
// The decrypted resource of a TRANSACTION.SUCCESS or REFUND.SUCCESS notification for
// merchant `mchid` (422 wrong_merchant for another), as the payment or refund it reports.
PaymentNotice WechatResourceNotice(const std::string& resource, const std::string& event_type, const std::string& mchid);

// An Alipay asynchronous notification (application/x-www-form-urlencoded), as its
// parameters: each name once (400 duplicate_parameter otherwise), at most 64 of them.
using AlipayParams = std::map<std::string, std::string>;
AlipayParams ParseAlipayForm(const std::string& body);
// What Alipay signs (RSA2): every parameter but sign and sign_type, with a non-empty value,
// sorted by name, as name=value joined by & (values decoded, as received).
std::string AlipaySignedContent(const AlipayParams& params);
// The payment or refund an authenticated notification reports, for app `app_id` and seller
// `seller_id` (422 wrong_app / wrong_merchant for others); nullopt for a notification that
// reports neither (a trade waiting or closed without a refund), which is acknowledged.
std::optional<PaymentNotice> AlipayNotice(const AlipayParams& params, const std::string& app_id,
                                          const std::string& seller_id);

// X-Signature of the generic scheme: "t=<unix>,v1=<hex>" (parts in any order; unknown parts
// and a missing part leave the field empty: the caller refuses that).
struct GenericSignature {
  std::string t, v1;
};
GenericSignature ParseGenericSignature(const std::string& header);
// The body of a generic callback, its signature already verified.
PaymentNotice GenericNoticeFromJson(const std::string& body);

}  // namespace app
