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
#include <vector>

#include "invoice/events.h"
#include "invoice/invoice_store.h"
#include "invoice/lifecycle_state.h"
#include "invoice/verdict.h"

namespace invoice {

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
