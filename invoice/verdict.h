// What the lifecycle says of an event: accepted, or refused with a typed reason, the
// field at fault and the contract's HTTP status for it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "invoice/invoice_number.h"

namespace invoice {

enum class Refusal {
  kNone,
  kInvalid,                 // the event itself is malformed (see problem.field)
  kNotAuthorised,           // the submitter may not send this event
  kUnknownTaxpayer,
  kAlreadyRegistered,
  kRangeExhausted,          // no numbers left under the prefix
  kOutsideGrantedRange,     // issuing a number the seller was not granted
  kNumberUsed,
  kPaymentAlreadyInvoiced,
  kUnknownInvoice,
  kNotBlue,                 // reversing or claiming a red invoice
  kReversesMoreThanRemains,
  kNeedsBuyerConfirmation,  // reversing a locked or settled invoice without confirmation
  kWrongCompany,            // the buyer is another company
  kAlreadyLocked,
  kAlreadySettled,
  kNotLocked,
  kNotClaimant,             // another company holds the claim
  kFullyReversed,           // nothing left to claim
  kUnknownRequest,
  kRequestNotPending,
  kDuplicateId,
  kAlreadyFiled,            // a second filing that does not amend the first
  kBadAmendment,
  kNotGenuine,              // a claim whose invoice hash is not the sealed invoice's
  kFilingMismatch,          // filed figures that differ from the chain's (the authority checks)
  kTimeOutOfRange,          // dated too far from its block's time (the authority checks, admission.h)
  kNotFinal,                // claiming or settling an invoice no cosigned checkpoint covers yet (the authority checks)
};

std::string_view RefusalCode(Refusal r);  // snake_case, for APIs
// The refusal a code names (RefusalCode's inverse); nullopt for a code no refusal has.
std::optional<Refusal> RefusalFromCode(std::string_view code);
// The HTTP status the contract gives a refusal: 403 for who-may, 422 for invalid, else 409.
int RefusalStatus(Refusal r);

struct Verdict {
  Refusal refusal = Refusal::kNone;
  std::string message;
  std::string field;
  std::optional<NumberRange> granted;  // apply: the range granted
  uint64_t conflict_height = 0;        // already locked/settled: the block of the winning claim
  bool ok() const { return refusal == Refusal::kNone; }
};

}  // namespace invoice
