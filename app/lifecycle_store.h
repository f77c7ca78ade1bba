// The authority's lifecycle kept on disk, in the node's database (lifecycle_* tables), so
// that the authority neither replays its whole chain at start nor holds every invoice in
// memory. The chain stays the truth: the tables are a state derived from it, saved after
// each sealed block together with the height and block hash they reflect. At start the
// authority loads what lives in memory (taxpayers, grants, confirmations, filings) and
// replays only the blocks sealed after that height; a state that does not match the chain
// (another chain, a restored backup) is dropped and rebuilt from the chain.
//
// An invoice's row holds its lifecycle (places, history, claim, amounts left), not its
// content: that is read from its issue entry on the chain when the invoice is loaded.
// Used by one thread at a time (the authority's lock).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "invoice/lifecycle.h"
#include "ledger/block_store.h"
#include "ledger/sqlite_db.h"

namespace app {

class LifecycleStore : public invoice::InvoiceStore {
 public:
  // Opens (creating the tables if needed) the lifecycle tables of the database at
  // `db_path`; invoice content is read from `chain`, the store of the same file.
  LifecycleStore(const std::string& db_path, ledger::BlockStore& chain);

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
  // Saves `changes` and that they bring the state to block `height` (`block_hash`), in one
  // transaction. Throws on failure (nothing is saved then).
  void Save(const invoice::LifecycleChanges& changes, uint64_t height, const std::string& block_hash);
  // Restores into `lc` (a new Lifecycle over this store) what lives in memory.
  void RestoreInto(invoice::Lifecycle& lc);
  // Drops everything saved (before a rebuild from the chain).
  void Clear();
  uint64_t InvoiceCount();

 private:
  invoice::InvoiceState Decode(const std::string& no, int64_t leaf, const std::string& state);
  std::unique_ptr<ledger::sql::Db> db_;
  ledger::BlockStore& chain_;
};

}  // namespace app
