// What the lifecycle knows of each invoice, red-letter confirmation and filing: the state
// records a Lifecycle keeps and its readers see. Pure values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "invoice/events.h"

namespace invoice {

enum class Reimbursement { kNone, kLocked, kSettled };
std::string_view ReimbursementName(Reimbursement r);  // "none", "locked", "settled"

// Where an event was sealed. The authority knows it while checking a batch (the next
// block); a replica learns it from the block it applies. Zero when unknown (unit tests).
struct Place {
  uint64_t height = 0;
  uint64_t leaf_index = 0;
  std::string leaf_hash;  // hex
  uint64_t time_ms = 0;   // the block's time
};

// One line of an invoice's lifecycle trace.
struct Step {
  enum class Kind { kIssued, kReversed, kClaimed, kSettled, kReleased, kConfirmationRequested,
                    kConfirmationAccepted, kConfirmationRefused };
  Kind kind = Kind::kIssued;
  std::string company;   // claim, settle, release; confirmation: the company asked
  std::string employee;  // claim
  std::string ref;       // reversed: the red invoice; confirmation: the request id
  Fen amount_fen = 0;    // reversed, confirmation requested
  Place place;
};
std::string_view StepName(Step::Kind k);  // "issued", "reversed", "claimed", ...

struct InvoiceState {
  Invoice invoice;  // empty on a replica that may not read the issue entry
  Place issued;
  Place claimed;    // the current claim (locked or settled)
  std::vector<Step> history;
  Fen remaining_fen = 0;  // blue: total minus all red reversals
  Reimbursement reimbursement = Reimbursement::kNone;
  std::string claimant;   // company holding the claim (locked or settled)
  std::string employee;
  std::vector<std::string> reversals;  // red invoice numbers
};

struct ConfirmationState {
  ConfirmEvent request;
  std::string seller;
  std::string company;  // who must answer
  enum class Status { kPending, kAccepted, kRefused, kUsed } status = Status::kPending;
  Place requested, answered;
  std::string red_invoice_no;  // once used
};
std::string_view ConfirmationStatusName(ConfirmationState::Status s);  // pending, accepted, ...

struct FilingState {
  FileEvent event;
  Place place;
  std::string amended_by;  // the filing that replaced it, if any
};

// An accepted apply event: the range granted to `seller` for its event `event_id`.
struct Grant {
  std::string seller, event_id;
  NumberRange range;
};

// Which invoices an iteration wants: one seller's (or all), issued in [from_ms, to_ms).
struct InvoiceFilter {
  std::string seller;
  uint64_t from_ms = 0, to_ms = UINT64_MAX;
  bool Matches(const Invoice& inv) const {
    return (seller.empty() || inv.seller.tax_id == seller) && inv.issued_at_ms >= from_ms && inv.issued_at_ms < to_ms;
  }
};

}  // namespace invoice
