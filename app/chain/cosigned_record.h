// The newest cosigned checkpoint a node knows (the authority's, once its witnesses' quorum
// cosigned it; a taxpayer node's, once its replica verified one), kept in the node's
// database so that `einvoice chain export` can end the export with it and a restart does
// not forget it. One row. Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "app/base/mutex.h"
#include "ledger/sqlite_db.h"

namespace app {

class CosignedRecord {
 public:
  struct Cosigned {
    uint64_t size = 0;
    std::string note;  // the checkpoint with its signatures, as served at GET /checkpoint
  };
  // Opens (and creates the table in) the node's database.
  explicit CosignedRecord(const std::string& db_path);
  // Records `note` if it is for a tree at least as large as the one recorded.
  void Save(uint64_t size, const std::string& note) EXCLUDES(mu_);
  std::optional<Cosigned> Load() EXCLUDES(mu_);
  // Reads the record from a database without creating anything (chain export); nullopt if
  // the node never recorded one.
  static std::optional<Cosigned> Read(const std::string& db_path);

 private:
  Mutex mu_;
  std::unique_ptr<ledger::sql::Db> db_ PT_GUARDED_BY(mu_);
};

}  // namespace app
