// The buyer company's side of a taxpayer node: employees claim invoices for reimbursement,
// finance settles or releases the claims and answers sellers' red-letter confirmation
// requests.
//
// Every action is one entry signed with the node key and submitted synchronously to the
// authority, which decides every race (the first sealed claim wins). The caller gets its
// answer only once the entry is sealed or refused; what the company holds is then read back
// from the chain (PartyView), so a crash between the two loses nothing. Thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "app/base/mutex.h"
#include "app/replica/party_view.h"
#include "app/replica/sync_submitter.h"
#include "ledger/block_store.h"
#include "ledger/sqlite_db.h"

namespace app {

// An invoice as the authority's public check describes it, verified against this node's
// own replica (the leaf hash sits at the same index of the chain this node verified).
struct CheckedInvoice {
  std::string invoice_no;
  std::string color;
  std::string seller_name, seller_tax_id;
  std::string issued_at;
  int64_t total_fen = 0, remaining_fen = 0;
  bool buyer_is_company = false;
  std::string reimbursement;  // none, locked, settled
  uint64_t height = 0, leaf_index = 0;
  std::string leaf_hash;
};

// A claim as GET /v1/reimbursements lists it.
struct ClaimRecord {
  std::string invoice_no;
  std::string status;  // locked, settled, released
  std::string employee;
  uint64_t claimed_height = 0, claimed_ms = 0;
  uint64_t closed_height = 0;  // settled or released at
  std::string seller_name, seller_tax_id;  // from the check at claim time
  int64_t total_fen = 0;
};

class Company {
 public:
  using Clock = std::function<uint64_t()>;
  Company(SyncSubmitter& submitter, ledger::BlockStore& store, PartyView& view, const std::string& db_path, Clock clock);

  // The authority's check of (number, QR hash prefix[, amount]) verified against this
  // node's replica. Throws ApiError: 422 not_genuine (field h or a), 404 unknown_invoice,
  // 503 when the authority cannot be reached or this replica is behind.
  CheckedInvoice Check(const std::string& invoice_no, const std::string& h, const std::optional<std::string>& a = {});

  // Each throws ApiError with the authority's refusal (403 wrong company, 409 already
  // locked or settled with the winning claim's height, ...) or 503.
  SealedAt Claim(const std::string& employee, const std::string& invoice_no, const std::string& h);
  SealedAt Settle(const std::string& invoice_no);
  SealedAt Release(const std::string& invoice_no);
  SealedAt Answer(const std::string& request_id, bool accept);

  // Claims this company made (all of them, or one employee's), newest first.
  std::vector<ClaimRecord> Claims(const std::string& employee_or_empty);
  const std::string& tax_id() const { return tax_id_; }

 private:
  invoice::EventMeta Meta(const std::string& what);

  std::string tax_id_;
  SyncSubmitter& submitter_;
  ledger::BlockStore& store_;
  PartyView& view_;
  Clock clock_;
  Mutex db_mu_;  // taken alone (after the view's lock is released)
  std::unique_ptr<ledger::sql::Db> db_ PT_GUARDED_BY(db_mu_);
};

}  // namespace app
