// NodeRequestVerifier on requests that lack X-Node-* headers: each is refused with a 401 that
// names what is missing. Regression: Verify kept references to the default value of
// MessageHeader::get, a temporary destroyed at the end of its statement, and read them after
// (stack-use-after-scope under ASan; found by tests/fuzz/node_request_fuzz).
#include <Poco/Net/MessageHeader.h>
#include <gtest/gtest.h>

#include "app/http/api_error.h"
#include "app/chain/node_request.h"

namespace app {
namespace {

constexpr uint64_t kNow = 1794700800000;
const std::string kNode = "91440300MA5DQ3QP4X";

class NodeRequestVerify : public ::testing::Test {
 protected:
  // The refusal's message, or "accepted".
  std::string Outcome(const Poco::Net::MessageHeader& headers) {
    try {
      verifier_.Verify("POST", "/v1/events", headers, "{}", /*once=*/true);
      return "accepted";
    } catch (const ApiError& e) {
      return std::to_string(e.status()) + " " + e.what();
    }
  }

  ledger::PrivateKey key_ = *ledger::PrivateKey::FromSeed(std::array<uint8_t, 32>{7});
  NodeRequestVerifier verifier_{[this](const std::string& id) -> std::optional<ledger::PublicKeyBytes> {
                                  if (id == kNode) return key_.public_key();
                                  return std::nullopt;
                                },
                                [] { return kNow; }};
};

TEST_F(NodeRequestVerify, MissingHeadersAreRefusedByName) {
  Poco::Net::MessageHeader h;
  EXPECT_EQ(Outcome(h), "401 X-Node-Id must name a registered node");
  h.set("X-Node-Id", kNode);
  EXPECT_EQ(Outcome(h), "401 X-Node-Time must be Unix milliseconds");
  h.set("X-Node-Time", std::to_string(kNow));
  EXPECT_EQ(Outcome(h), "401 X-Node-Nonce must be 16..64 hex digits");
  h.set("X-Node-Nonce", std::string(32, 'a'));
  EXPECT_EQ(Outcome(h), "401 X-Node-Signature does not verify with the node's registered key");
}

TEST_F(NodeRequestVerify, ASignedRequestIsAcceptedOnce) {
  NodeRequestSigner signer(kNode, key_, [] { return kNow; });
  Poco::Net::MessageHeader h;
  for (const auto& [name, value] : signer.Headers("POST", "/v1/events", "{}")) h.set(name, value);
  EXPECT_EQ(Outcome(h), "accepted");
  EXPECT_EQ(Outcome(h), "409 this signed request was received before; a node signs each request anew");
}

}  // namespace
}  // namespace app
