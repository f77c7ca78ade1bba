// Persistence for a Lifecycle too large for memory: the interface its owner implements
// (app/chain/lifecycle_store.h keeps it in SQLite), and the changes the owner saves.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "invoice/lifecycle_state.h"

namespace invoice {

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

}  // namespace invoice
