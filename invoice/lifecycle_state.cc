#include "invoice/lifecycle_state.h"

namespace invoice {

std::string_view ReimbursementName(Reimbursement r) {
  switch (r) {
    case Reimbursement::kNone: return "none";
    case Reimbursement::kLocked: return "locked";
    case Reimbursement::kSettled: return "settled";
  }
  return "none";
}

std::string_view StepName(Step::Kind k) {
  switch (k) {
    case Step::Kind::kIssued: return "issued";
    case Step::Kind::kReversed: return "reversed";
    case Step::Kind::kClaimed: return "claimed";
    case Step::Kind::kSettled: return "settled";
    case Step::Kind::kReleased: return "released";
    case Step::Kind::kConfirmationRequested: return "confirmation_requested";
    case Step::Kind::kConfirmationAccepted: return "confirmation_accepted";
    case Step::Kind::kConfirmationRefused: return "confirmation_refused";
  }
  return "issued";
}

std::string_view ConfirmationStatusName(ConfirmationState::Status s) {
  switch (s) {
    case ConfirmationState::Status::kPending: return "pending";
    case ConfirmationState::Status::kAccepted: return "accepted";
    case ConfirmationState::Status::kRefused: return "refused";
    case ConfirmationState::Status::kUsed: return "used";
  }
  return "pending";
}

}  // namespace invoice
