#include "app/replica/sync_submitter.h"
#include "app/base/or_throw.h"

#include <Poco/JSON/Array.h>

#include "app/http/api_error.h"
#include "invoice/event_codec.h"
#include "ledger/entry.h"

namespace app {
namespace {
constexpr int kReplicaWaitMs = 3000;
}

Poco::JSON::Object::Ptr SyncSubmitter::Check(const std::string& uri) {
  try {
    return client_.Get(uri);
  } catch (const std::exception&) {
    throw ApiError(503, "authority_unavailable", "the tax authority cannot be reached; nothing was changed");
  }
}

SealedAt SyncSubmitter::Submit(const invoice::Event& e) {
  std::string payload = invoice::EncodeEvent(e);
  auto entry = ledger::Entry::Make(std::string(invoice::EventKind(e)), tax_id_,
                                   ledger::Bytes(payload.begin(), payload.end()), key_);
  OrThrow(entry);
  Poco::JSON::Object::Ptr r;
  try {
    r = client_.Submit({entry->Encode()}).at(0);
  } catch (const std::exception&) {
    // Not acknowledged, so the caller may retry; a retry is a new event id, and the rules
    // (one claim at a time, one filing per period) make a duplicate harmless.
    throw ApiError(503, "authority_unavailable", "the tax authority cannot be reached; nothing was changed");
  }
  if (r->getValue<std::string>("status") != "sealed") {
    std::string message = r->optValue<std::string>("message", "");
    if (auto diffs = r->getArray("differences")) {
      for (size_t i = 0; i < diffs->size(); ++i) {
        auto d = diffs->getObject(i);
        message += (i ? "; " : ": ") + d->getValue<std::string>("figure") + " filed " + d->getValue<std::string>("filed") +
                   ", chain " + d->getValue<std::string>("chain");
      }
    }
    ApiError err(r->getValue<int>("http_status"), r->getValue<std::string>("code"), message,
                 r->optValue<std::string>("field", ""));
    if (r->has("conflict_height")) err.WithHeight(r->getValue<uint64_t>("conflict_height"));
    throw err;
  }
  SealedAt s{r->getValue<uint64_t>("height"), r->getValue<uint64_t>("leaf_index"), r->getValue<std::string>("leaf_hash")};
  view_.WaitForHeight(s.height, kReplicaWaitMs);
  return s;
}

}  // namespace app
