#include "app/chain/cosigned_record.h"

#include "app/base/or_throw.h"

namespace app {
namespace {

constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS chain_cosigned(id INTEGER PRIMARY KEY CHECK (id = 1), size INTEGER NOT NULL, note TEXT NOT NULL);
)";

std::optional<CosignedRecord::Cosigned> ReadFrom(ledger::sql::Db& db) {
  auto s = db.Prepare("SELECT size, note FROM chain_cosigned WHERE id = 1");
  OrThrow(s);
  auto row = s->Step();
  OrThrow(row);
  if (!*row) return std::nullopt;
  return CosignedRecord::Cosigned{static_cast<uint64_t>(s->Int(0)), s->Text(1)};
}

}  // namespace

CosignedRecord::CosignedRecord(const std::string& db_path) {
  MutexLock lock(mu_);
  auto db = ledger::sql::Db::Open(db_path, ledger::sql::Db::Mode::kReadWrite);
  OrThrow(db);
  db_ = std::move(db).value();
  OrThrow(db_->Exec(kSchema));
}

void CosignedRecord::Save(uint64_t size, const std::string& note) {
  MutexLock lock(mu_);
  auto s = db_->Prepare(
      "INSERT INTO chain_cosigned(id, size, note) VALUES (1, ?1, ?2) "
      "ON CONFLICT(id) DO UPDATE SET size = excluded.size, note = excluded.note WHERE excluded.size >= chain_cosigned.size");
  OrThrow(s);
  OrThrow(s->Bind(1, static_cast<int64_t>(size)).Bind(2, note).Run());
}

std::optional<CosignedRecord::Cosigned> CosignedRecord::Load() {
  MutexLock lock(mu_);
  return ReadFrom(*db_);
}

std::optional<CosignedRecord::Cosigned> CosignedRecord::Read(const std::string& db_path) {
  auto db = ledger::sql::Db::Open(db_path, ledger::sql::Db::Mode::kReadOnly);
  OrThrow(db);
  auto exists = (*db)->Prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'chain_cosigned'");
  OrThrow(exists);
  auto row = exists->Step();
  OrThrow(row);
  if (!*row) return std::nullopt;
  return ReadFrom(**db);
}

}  // namespace app
