#include "app/group/group_store.h"

#include <filesystem>

#include "app/base/or_throw.h"

namespace app {
namespace {

constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS group_promise(id INTEGER PRIMARY KEY CHECK (id = 1), epoch INTEGER NOT NULL, leader TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS group_pending(id INTEGER PRIMARY KEY CHECK (id = 1), height INTEGER NOT NULL,
                                         epoch INTEGER NOT NULL, block BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS group_standing(id INTEGER PRIMARY KEY CHECK (id = 1), voter INTEGER NOT NULL);
)";

}  // namespace

std::string GroupStorePath(const std::string& node_db) {
  std::filesystem::path p(node_db);
  return (p.parent_path() / (p.stem().string() + ".group.db")).string();
}

GroupStore::GroupStore(const std::string& path) {
  auto db = ledger::sql::Db::Open(path, ledger::sql::Db::Mode::kReadWrite);
  OrThrow(db, path);
  db_ = std::move(db).value();
  OrThrow(db_->Exec(kSchema), path);
}

GroupStore::Promise GroupStore::Promised() {
  auto s = db_->Prepare("SELECT epoch, leader FROM group_promise WHERE id = 1");
  OrThrow(s);
  auto row = s->Step();
  OrThrow(row);
  if (!*row) return {};
  return Promise{s->Int(0), s->Text(1)};
}

void GroupStore::SetPromised(const Promise& p) {
  auto s = db_->Prepare(
      "INSERT INTO group_promise(id, epoch, leader) VALUES (1, ?1, ?2) "
      "ON CONFLICT(id) DO UPDATE SET epoch = excluded.epoch, leader = excluded.leader");
  OrThrow(s);
  OrThrow(s->Bind(1, p.epoch).Bind(2, p.leader).Run(), "recording the promised epoch");
}

std::optional<bool> GroupStore::Voter() {
  auto s = db_->Prepare("SELECT voter FROM group_standing WHERE id = 1");
  OrThrow(s);
  auto row = s->Step();
  OrThrow(row);
  if (!*row) return std::nullopt;
  return s->Int(0) != 0;
}

void GroupStore::SetVoter(bool voter) {
  auto s = db_->Prepare(
      "INSERT INTO group_standing(id, voter) VALUES (1, ?1) ON CONFLICT(id) DO UPDATE SET voter = excluded.voter");
  OrThrow(s);
  OrThrow(s->Bind(1, int64_t{voter ? 1 : 0}).Run(), "recording whether this member votes");
}

std::optional<GroupStore::Pending> GroupStore::pending() {
  auto s = db_->Prepare("SELECT height, epoch, block FROM group_pending WHERE id = 1");
  OrThrow(s);
  auto row = s->Step();
  OrThrow(row);
  if (!*row) return std::nullopt;
  ledger::Bytes b = s->Blob(2);
  return Pending{static_cast<uint64_t>(s->Int(0)), s->Int(1), std::string(b.begin(), b.end())};
}

void GroupStore::SetPending(const Pending& p) {
  auto s = db_->Prepare(
      "INSERT INTO group_pending(id, height, epoch, block) VALUES (1, ?1, ?2, ?3) "
      "ON CONFLICT(id) DO UPDATE SET height = excluded.height, epoch = excluded.epoch, block = excluded.block");
  OrThrow(s);
  ledger::ByteView block(reinterpret_cast<const uint8_t*>(p.block.data()), p.block.size());
  OrThrow(s->Bind(1, static_cast<int64_t>(p.height)).Bind(2, p.epoch).Bind(3, block).Run(), "recording a proposal");
}

void GroupStore::ClearPending() { OrThrow(db_->Exec("DELETE FROM group_pending"), "dropping a proposal"); }

}  // namespace app
