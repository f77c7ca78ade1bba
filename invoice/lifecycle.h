// The invoice lifecycle as a pure state machine over the chain's events. Replaying the
// sealed events in chain order rebuilds every taxpayer's state; the authority runs the same
// machine to refuse an event before sealing it. Each refusal has a typed reason.
//
// Events: register (authority), apply (merchant: a number range), issue (merchant: blue
// invoice, or red reversing a blue one), reimburse (company: claim, settle, release),
// confirm (red-letter confirmation: the seller requests, the buyer company accepts or
// refuses), file (merchant: a period's VAT return). Not thread-safe.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "invoice/invoice.h"
#include "invoice/money.h"
#include "invoice/invoice_number.h"

namespace invoice {

inline constexpr std::string_view kAuthoritySubmitter = "authority";

// Every event but issue carries a submitter-chosen id and time, so that two events with the
// same content (a claim, its release, the same claim again) are different entries on the
// chain. An issue event is unique by its invoice number.
struct EventMeta {
  std::string event_id;  // 1..64 of [A-Za-z0-9._-]
  uint64_t time_ms = 0;  // the submitter's clock, Unix ms
  bool operator==(const EventMeta&) const = default;
};

struct RegisterEvent {
  EventMeta meta;
  std::string tax_id;
  std::string name;
  std::string node_key;  // the node's Ed25519 public key, 64 hex digits
};

struct ApplyEvent {
  EventMeta meta;
  std::string seller;
  NumberPrefix prefix;
  uint64_t count = 0;  // numbers wanted; the grant is the next free range under the prefix
};

struct IssueEvent {
  Invoice invoice;
};

enum class ReimburseAction { kClaim, kSettle, kRelease };
struct ReimburseEvent {
  EventMeta meta;
  ReimburseAction action = ReimburseAction::kClaim;
  std::string invoice_no;
  std::string company;   // the claiming company's tax id
  std::string employee;  // who claims (claim only)
  // Claim only: the leaf hash (64 hex) of the invoice's issue entry. Only someone who holds
  // the invoice (its QR code) knows it, so guessing invoice numbers claims nothing.
  std::string invoice_hash;
};

enum class ConfirmAction { kRequest, kAccept, kRefuse };
struct ConfirmEvent {
  EventMeta meta;
  ConfirmAction action = ConfirmAction::kRequest;
  std::string request_id;  // chosen by the seller, unique network-wide
  std::string invoice_no;  // the blue invoice to reverse
  Fen amount_fen = 0;      // how much of it (positive), request only
  std::string reason;      // 01..04, request only
};

// A VAT return's figures, as filed (and as recomputed from the chain): per rate the net and
// output tax of the blue invoices and the red-letter deductions, the invoices covered and
// the hash of their set. Computed by tax::ComputeReturn.
struct RateFiling {
  TaxRate rate = *TaxRate::FromPercent(0);
  Fen net_fen = 0, tax_fen = 0;          // blue invoices
  Fen red_net_fen = 0, red_tax_fen = 0;  // red invoices (zero or negative)
  bool operator==(const RateFiling&) const = default;
};
struct FilingFigures {
  std::vector<RateFiling> rates;  // each rate that occurs, highest first
  uint64_t invoice_count = 0;     // blue invoices
  uint64_t red_count = 0;
  std::string first_no, last_no;  // lowest and highest number covered (blue or red)
  std::string set_hash;           // hex SHA-256 of the covered invoices' leaf hashes, sorted, concatenated
  Fen NetFen() const;             // payable base: blue plus red
  Fen TaxFen() const;             // payable output tax: blue plus red
  bool operator==(const FilingFigures&) const = default;
};

struct FileEvent {
  EventMeta meta;
  std::string filing_id;  // chosen by the merchant, unique network-wide
  std::string seller;
  std::string period;     // "2026-10" or "2026-Q4"
  std::string amends;     // the filing it replaces, for a second filing of a period
  FilingFigures figures;
};
bool ValidPeriod(const std::string& period);  // "YYYY-MM" (01..12) or "YYYY-Qn" (1..4)

using Event = std::variant<RegisterEvent, ApplyEvent, IssueEvent, ReimburseEvent, ConfirmEvent, FileEvent>;

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
};

std::string_view RefusalCode(Refusal r);  // snake_case, for APIs
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

// Where a Lifecycle keeps its invoices when they do not all fit in memory (the authority's,
// at millions of invoices). The Lifecycle then holds in memory only the invoices changed
// since their owner last saved them and those read since the last Trim(); the owner saves
// PendingChanges() to the store and calls MarkSaved().
class InvoiceStore {
 public:
  virtual ~InvoiceStore() = default;
  // The saved state of invoice `no`, if any.
  virtual std::optional<InvoiceState> Load(const std::string& no) = 0;
  // Whether `seller` has a saved invoice for payment key `key` ("blue:<payment id>").
  virtual bool HasPayment(const std::string& seller, const std::string& key) = 0;
  // Every saved invoice that `filter` matches, in invoice number order.
  virtual void ForEach(const InvoiceFilter& filter,
                       const std::function<void(const std::string& no, const InvoiceState&)>& f) = 0;
};

// What changed since the last MarkSaved() (a Lifecycle with a store only). The pointers are
// valid until the next call that changes the Lifecycle.
struct LifecycleChanges {
  std::vector<std::pair<std::string, const InvoiceState*>> invoices;  // (number, state) new or changed
  std::vector<std::pair<std::string, std::string>> payments;  // (seller, payment key) invoiced
  std::vector<const RegisterEvent*> taxpayers;
  std::vector<Grant> grants;                                  // in the order granted
  std::vector<const ConfirmationState*> confirmations;        // new or changed
  std::vector<const FilingState*> filings;                    // new or changed
  bool empty() const {
    return invoices.empty() && payments.empty() && taxpayers.empty() && grants.empty() && confirmations.empty() &&
           filings.empty();
  }
};

class Lifecycle {
 public:
  // `max_apply_count`: the largest range one apply may ask for (the authority's quota).
  // `store`: where the invoices live (see InvoiceStore); null keeps them all in memory.
  explicit Lifecycle(uint64_t max_apply_count = 100'000'000, InvoiceStore* store = nullptr)
      : max_apply_count_(max_apply_count), store_(store) {}
  explicit Lifecycle(InvoiceStore* store) : Lifecycle(100'000'000, store) {}

  // Checks `event` from `submitter` against the current state; applies it only if accepted.
  Verdict Apply(const std::string& submitter, const Event& event, const Place& place = {});
  // Applies an event the authority has already sealed, without checking it: how a replica,
  // which reads only the entries it is party to, folds them into its view. Apply events are
  // ignored (a replica cannot compute grants from a partial chain).
  void Record(const std::string& submitter, const Event& event, const Place& place);
  // Checks without applying.
  Verdict Check(const std::string& submitter, const Event& event) const;

  // The invoice's state; with a store, loaded into memory until the next Trim().
  const InvoiceState* FindInvoice(const std::string& no) const;
  const ConfirmationState* FindConfirmation(const std::string& id) const;
  bool IsRegistered(const std::string& tax_id) const { return taxpayers_.count(tax_id) > 0; }
  const RegisterEvent* FindTaxpayer(const std::string& tax_id) const {
    auto it = taxpayers_.find(tax_id);
    return it == taxpayers_.end() ? nullptr : &it->second;
  }
  const std::vector<NumberRange>& RangesOf(const std::string& seller) const;
  // The range an accepted apply event was granted (for answering a retried submission).
  std::optional<NumberRange> GrantOf(const std::string& seller, const std::string& event_id) const;
  using FilingState = invoice::FilingState;
  const std::map<std::string, FilingState>& filings() const { return filings_; }
  const FilingState* FindFiling(const std::string& id) const {
    auto it = filings_.find(id);
    return it == filings_.end() ? nullptr : &it->second;
  }
  // The latest filing of `seller` for `period`, if any.
  const FilingState* LatestFiling(const std::string& seller, const std::string& period) const {
    auto it = latest_filing_.find({seller, period});
    return it == latest_filing_.end() ? nullptr : FindFiling(it->second);
  }
  using InvoiceVisitor = std::function<void(const std::string& no, const InvoiceState&)>;
  // Calls f(no, state) for every invoice `filter` matches: in invoice number order
  // without a store; with one, the saved ones in that order, then any not saved yet. The
  // state passed lives only for the call.
  void ForEachInvoice(const InvoiceFilter& filter, const InvoiceVisitor& f) const;
  void ForEachInvoice(const InvoiceVisitor& f) const { ForEachInvoice({}, f); }
  const std::map<std::string, ConfirmationState>& confirmations() const { return confirmations_; }

  // With a store: what changed since the last MarkSaved(), and marking it saved.
  LifecycleChanges PendingChanges() const;
  void MarkSaved();
  // With a store: forgets the invoices read but not changed (call where no pointer
  // returned by FindInvoice is in use).
  void Trim();
  size_t InvoicesInMemory() const { return invoices_.size(); }
  // With a store: restores what lives only in memory (taxpayers, grants in the order
  // granted, confirmations, filings) from what PendingChanges() gave before.
  void Restore(std::vector<RegisterEvent> taxpayers, std::vector<Grant> grants, std::vector<ConfirmationState> confirmations,
               std::vector<FilingState> filings);

 private:
  Verdict CheckEvent(const std::string& submitter, const Event& e, NumberRange* grant) const;
  Verdict CheckIssue(const std::string& submitter, const Invoice& inv) const;
  Verdict CheckReimburse(const std::string& submitter, const ReimburseEvent& e) const;
  Verdict CheckConfirm(const std::string& submitter, const ConfirmEvent& e) const;
  Verdict CheckFile(const std::string& submitter, const FileEvent& e) const;
  void Commit(const std::string& submitter, const Event& e, const NumberRange& grant, const Place& place);
  bool IsPaid(const std::string& seller, const std::string& key) const;
  // The invoice's state to change (loaded, or new), marked changed.
  InvoiceState& Touch(const std::string& no);
  void AddGrant(const Grant& g);

  uint64_t max_apply_count_;
  InvoiceStore* store_ = nullptr;
  std::map<std::string, RegisterEvent> taxpayers_;
  std::map<std::string, std::vector<NumberRange>> ranges_;  // by seller
  std::map<NumberPrefix, uint64_t> next_free_;             // first ungranted sequence per prefix
  std::map<std::pair<std::string, std::string>, NumberRange> grants_;  // (seller, apply event id)
  // Every invoice without a store; with one, the changed ones and those read since Trim().
  mutable std::map<std::string, InvoiceState> invoices_;
  // (seller, payment key) invoiced: all without a store, the unsaved ones with one.
  std::set<std::pair<std::string, std::string>> paid_;
  std::map<std::string, ConfirmationState> confirmations_;
  std::map<std::string, FilingState> filings_;             // by filing id
  std::map<std::pair<std::string, std::string>, std::string> latest_filing_;  // (seller, period) -> id
  // With a store: what changed since MarkSaved().
  std::set<std::string> changed_invoices_, changed_taxpayers_, changed_confirmations_, changed_filings_;
  std::vector<Grant> new_grants_;
};

}  // namespace invoice
