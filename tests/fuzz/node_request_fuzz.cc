// Signed node-to-node requests (app/chain/node_request.h) as the authority receives them: the
// X-Node-* headers through NodeRequestVerifier::Verify (NodeRequestText, the signature, the
// replay check) and X-Node-Head through DecodeHeadHeader.
//
// Input: newline-separated method, URI, X-Node-Id, X-Node-Time, X-Node-Nonce,
// X-Node-Signature, X-Node-Head, then the body. A header left empty is not sent. Random bytes
// never carry a valid Ed25519 signature, so when the first byte of the method is '+' (dropped)
// the target signs the request itself with the registered node's key, and the checks behind
// the signature get hostile input too.
#include <Poco/Net/MessageHeader.h>

#include <algorithm>
#include <cctype>
#include <string>

#include "app/http/api_error.h"
#include "app/chain/node_request.h"
#include "ledger/keys.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

const ledger::PrivateKey& NodeKey() {
  static const ledger::PrivateKey key = *ledger::PrivateKey::FromSeed(std::array<uint8_t, 32>{7});
  return key;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = fuzz::AsText(data, size);
  std::string field[7];
  for (auto& f : field) {
    size_t nl = in.find('\n');
    f = in.substr(0, nl);
    in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  }
  std::string& method = field[0];
  const std::string body(in);
  const bool self_signed = !method.empty() && method[0] == '+';
  if (self_signed) method.erase(0, 1);
  if (self_signed)
    field[5] = ledger::ToHex(NodeKey().Sign(ledger::AsBytes(app::NodeRequestText(method, field[1], field[3], field[4], body))));

  // X-Node-Head alone: a head decodes only from canonical hex, and encodes back to it.
  if (auto head = app::DecodeHeadHeader(field[6])) FUZZ_CHECK(app::EncodeHeadHeader(*head) == Lower(field[6]));

  Poco::Net::MessageHeader headers;
  const char* names[] = {"X-Node-Id", "X-Node-Time", "X-Node-Nonce", "X-Node-Signature", "X-Node-Head"};
  for (int i = 0; i < 5; ++i)
    if (!field[i + 2].empty()) headers.set(names[i], field[i + 2]);
  app::NodeRequestVerifier verifier(
      [](const std::string& id) -> std::optional<ledger::PublicKeyBytes> {
        if (id == fuzz::kMerchantTaxId) return NodeKey().public_key();
        return std::nullopt;
      },
      [] { return fuzz::kNowMs; });
  try {
    app::NodeRequestVerifier::Caller caller = verifier.Verify(method, field[1], headers, body, /*once=*/true);
    FUZZ_CHECK(caller.node_id == fuzz::kMerchantTaxId);
  } catch (const app::ApiError& e) {
    FUZZ_CHECK(e.status() == 401);
    return 0;
  }
  // Accepted once: the same request again is a replay.
  try {
    verifier.Verify(method, field[1], headers, body, /*once=*/true);
    FUZZ_CHECK(!"a replayed request was accepted");
  } catch (const app::ApiError& e) {
    FUZZ_CHECK(e.status() == 409 && e.code() == "replayed");
  }
  return 0;
}
