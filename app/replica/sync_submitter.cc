#include "app/replica/sync_submitter.h"

#include <Poco/JSON/Array.h>

#include "app/base/or_throw.h"
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
  EntryOutcome r;
  try {
    r = client_.Submit({entry->Encode()}).at(0);
  } catch (const std::exception&) {
    // Not acknowledged, so the caller may retry; a retry is a new event id, and the rules
    // (one claim at a time, one filing per period) make a duplicate harmless.
    throw ApiError(503, "authority_unavailable", "the tax authority cannot be reached; nothing was changed");
  }
  if (!r.sealed) {
    std::string message = r.verdict.message;
    for (size_t i = 0; i < r.differences.size(); ++i) {
      const tax::Difference& d = r.differences[i];
      message += (i ? "; " : ": ") + d.figure + " filed " + d.filed + ", chain " + d.chain;
    }
    ApiError err(invoice::RefusalStatus(r.verdict.refusal), std::string(invoice::RefusalCode(r.verdict.refusal)), message,
                 r.verdict.field);
    if (r.verdict.conflict_height) err.WithHeight(r.verdict.conflict_height);
    throw err;
  }
  SealedAt s{r.height, r.leaf_index, r.leaf_hash};
  view_.WaitForHeight(s.height, kReplicaWaitMs);
  return s;
}

}  // namespace app
