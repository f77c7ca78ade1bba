// The authority's lifecycle kept on disk, in a database beside the node's (LifecyclePath), so
// that the authority neither replays its whole chain at start nor holds every invoice in
// memory. The chain stays the truth: the tables are a state derived from it, saved after
// each sealed block together with the height and block hash they reflect. At start the
// authority loads what lives in memory (taxpayers, grants, confirmations, filings) and
// replays only the blocks sealed after that height; a state that does not match the chain
// (another chain, a restored backup) is dropped and rebuilt from the chain.
//
// An invoice's row holds its lifecycle (places, history, claim, amounts left), not its
// content: that is read from its issue entry on the chain when the invoice is loaded (a
// taxpayer node may know an invoice's steps without holding its issue entry: no content).
// Taxpayer nodes keep their view of the lifecycle the same way (PartyView).
// Used by one thread at a time (its owner's lock).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "app/chain/chain_events.h"
#include "invoice/lifecycle.h"
#include "ledger/block_store.h"
#include "ledger/sqlite_db.h"

namespace app {

// Where the lifecycle of the node whose database is `node_db` is kept: node.lifecycle.db
// beside node.db. A file of its own: its saves never wait for (or hold up) the node's own
// write transactions, and deleting it only makes the next start rebuild it from the chain.
std::string LifecyclePath(const std::string& node_db);

// Invoices a node keeps in memory between saves: above this many, those already saved are
// dropped (Lifecycle::Trim) the next time no reader holds one.
inline constexpr size_t kInvoicesKeptInMemory = 4096;

class LifecycleStore : public invoice::InvoiceStore {
 public:
  // Opens (creating it if needed) the lifecycle database at `path`; invoice content is read
  // from `chain`, the node's store.
  LifecycleStore(const std::string& path, ledger::BlockStore& chain);

  std::optional<invoice::InvoiceState> Load(const std::string& no) override;
  bool HasPayment(const std::string& seller, const std::string& key) override;
  void ForEach(const invoice::InvoiceFilter& filter,
               const std::function<void(const std::string& no, const invoice::InvoiceState&)>& f) override;

  // The block the saved state reflects: height 0 (and no hash) when nothing is saved.
  struct Applied {
    uint64_t height = 0;
    std::string block_hash;  // hex
  };
  Applied ReadApplied();
  // Makes `lc` a new Lifecycle over this store and restores into it what lives in memory if
  // the saved state is this chain's (the block it reflects is on the chain); else drops the
  // saved state (*rebuilt says there was one). Returns the height restored, 0 if none.
  uint64_t Restore(invoice::Lifecycle& lc, bool* rebuilt);
  // Folds the chain's events after `from_height` into `lc` with `fold`, saving at a block
  // boundary every ~4,096 entries and at the end (memory stays bounded, and an interrupted
  // catch-up resumes where it stopped); logs progress every 10 s as `who`. Returns the
  // height reached and adds the entries folded to *entries.
  uint64_t CatchUp(invoice::Lifecycle& lc, uint64_t from_height, const std::function<void(const ChainEvent&)>& fold,
                   uint64_t* entries, const std::string& who);
  // Saves what `lc` changed since its last save, as of block `height`, in one transaction,
  // marks it saved and trims the invoices `lc` holds. Throws on failure (nothing is saved;
  // the changes stay pending in `lc`).
  void SaveAt(invoice::Lifecycle& lc, uint64_t height);
  uint64_t InvoiceCount();
  // Holds one read transaction while it lives: the lookups of a batch's checks then take the
  // file's shared lock once, not once each. End it before the next save.
  std::unique_ptr<ledger::sql::ReadTransaction> Reads() {
    return std::make_unique<ledger::sql::ReadTransaction>(db_.get());
  }

 private:
  void Save(const invoice::LifecycleChanges& changes, uint64_t height, const std::string& block_hash);
  void RestoreInto(invoice::Lifecycle& lc);
  void Clear();
  invoice::InvoiceState Decode(const std::string& no, int64_t leaf, const std::string& state);
  std::unique_ptr<ledger::sql::Db> db_;
  ledger::BlockStore& chain_;
};

}  // namespace app
