#include "invoice/verdict.h"

namespace invoice {

std::optional<Refusal> RefusalFromCode(std::string_view code) {
  for (int i = 0; i <= static_cast<int>(Refusal::kNotFinal); ++i)
    if (RefusalCode(static_cast<Refusal>(i)) == code) return static_cast<Refusal>(i);
  return std::nullopt;
}

std::string_view RefusalCode(Refusal r) {
  switch (r) {
    case Refusal::kNone: return "accepted";
    case Refusal::kInvalid: return "invalid_event";
    case Refusal::kNotAuthorised: return "not_authorised";
    case Refusal::kUnknownTaxpayer: return "unknown_taxpayer";
    case Refusal::kAlreadyRegistered: return "already_registered";
    case Refusal::kRangeExhausted: return "range_exhausted";
    case Refusal::kOutsideGrantedRange: return "outside_granted_range";
    case Refusal::kNumberUsed: return "number_used";
    case Refusal::kPaymentAlreadyInvoiced: return "payment_already_invoiced";
    case Refusal::kUnknownInvoice: return "unknown_invoice";
    case Refusal::kNotBlue: return "not_blue";
    case Refusal::kReversesMoreThanRemains: return "reverses_more_than_remains";
    case Refusal::kNeedsBuyerConfirmation: return "needs_buyer_confirmation";
    case Refusal::kWrongCompany: return "wrong_company";
    case Refusal::kAlreadyLocked: return "already_locked";
    case Refusal::kAlreadySettled: return "already_settled";
    case Refusal::kNotLocked: return "not_locked";
    case Refusal::kNotClaimant: return "not_claimant";
    case Refusal::kFullyReversed: return "fully_reversed";
    case Refusal::kUnknownRequest: return "unknown_request";
    case Refusal::kRequestNotPending: return "request_not_pending";
    case Refusal::kDuplicateId: return "duplicate_id";
    case Refusal::kAlreadyFiled: return "already_filed";
    case Refusal::kBadAmendment: return "bad_amendment";
    case Refusal::kNotGenuine: return "not_genuine";
    case Refusal::kFilingMismatch: return "filing_mismatch";
    case Refusal::kTimeOutOfRange: return "time_out_of_range";
    case Refusal::kNotFinal: return "not_final";
  }
  return "refused";
}

int RefusalStatus(Refusal r) {
  switch (r) {
    case Refusal::kNone: return 200;
    case Refusal::kNotAuthorised:
    case Refusal::kWrongCompany:
    case Refusal::kNotClaimant: return 403;
    case Refusal::kInvalid:
    case Refusal::kTimeOutOfRange:
    case Refusal::kNotGenuine: return 422;
    case Refusal::kUnknownInvoice:
    case Refusal::kUnknownRequest: return 404;
    default: return 409;
  }
}

}  // namespace invoice
