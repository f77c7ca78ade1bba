#include "ledger/sqlite_db.h"

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>

namespace ledger::sql {

struct Db::WriteGate {
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<uint64_t> ends{0};  // write transactions ended on this file by this process
};

std::shared_ptr<Db::WriteGate> Db::GateOf(const std::string& path) {
  static std::mutex mu;
  static std::map<std::string, std::weak_ptr<Db::WriteGate>> gates;
  std::error_code ec;
  std::string key = std::filesystem::weakly_canonical(path, ec).string();
  if (ec || key.empty()) key = path;
  std::lock_guard lock(mu);
  for (auto it = gates.begin(); it != gates.end();) it = it->second.expired() ? gates.erase(it) : std::next(it);
  std::shared_ptr<Db::WriteGate> gate = gates[key].lock();
  if (!gate) gates[key] = gate = std::make_shared<Db::WriteGate>();
  return gate;
}

int Db::OnBusy(void* p, int tries) {
  // Waits for a writer to end, for up to about 5 s in all (then SQLITE_BUSY). SQLite's own
  // busy timeout sleeps 1, 2, 5 ... 100 ms between tries, far longer than a writer here holds
  // the lock (a commit takes about 1 ms); polling every 100 us instead (as before) woke each
  // waiter hundreds of times a second under load.
  Db* db = static_cast<Db*>(p);
  auto now = std::chrono::steady_clock::now();
  if (tries == 0) db->busy_since_ = now;
  if (now - db->busy_since_ > std::chrono::seconds(5)) return 0;
  db->AwaitWriterEnd(std::chrono::milliseconds(1));
  return 1;
}

void Db::NoteWriteAttempt() { seen_ends_ = gate_->ends.load(); }

void Db::NoteWriterEnd() {
  {
    std::lock_guard lock(gate_->mu);
    gate_->ends.fetch_add(1);
  }
  gate_->cv.notify_all();
}

void Db::AwaitWriterEnd(std::chrono::microseconds at_most) {
  // A writer that ended since this connection's last attempt is not waited for: try again.
  std::unique_lock lock(gate_->mu);
  gate_->cv.wait_for(lock, at_most, [&] { return gate_->ends.load() != seen_ends_; });
  seen_ends_ = gate_->ends.load();
}

Stmt& Stmt::operator=(Stmt&& o) noexcept {
  if (this != &o) {
    Release();
    db_ = o.db_;
    s_ = o.s_;
    owner_ = o.owner_;
    o.s_ = nullptr;
  }
  return *this;
}

void Stmt::Release() {
  if (!s_) return;
  if (owner_) owner_->Recycle(s_);
  else sqlite3_finalize(s_);
  s_ = nullptr;
}

Stmt::~Stmt() { Release(); }

Stmt& Stmt::Bind(int i, int64_t v) { sqlite3_bind_int64(s_, i, v); return *this; }
Stmt& Stmt::Bind(int i, std::string_view v) {
  sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}
Stmt& Stmt::Bind(int i, ByteView v) {
  // An empty span has a null data pointer, which SQLite would store as NULL.
  static const uint8_t kEmpty = 0;
  sqlite3_bind_blob(s_, i, v.empty() ? &kEmpty : v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}
Stmt& Stmt::BindNull(int i) { sqlite3_bind_null(s_, i); return *this; }

Result<bool> Stmt::Step() {
  int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  std::string msg = sqlite3_errmsg(db_);
  sqlite3_reset(s_);
  if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB) return Status::Corruption("sqlite: " + msg);
  if (rc == SQLITE_CONSTRAINT) return Status::Conflict("sqlite: " + msg);
  return Status::IOError("sqlite: " + msg);
}

Status Stmt::Run() {
  Result<bool> r = Step();
  while (r.ok() && *r) r = Step();
  Reset();
  return r.ok() ? Status::Ok() : r.status();
}

void Stmt::Reset() {
  sqlite3_reset(s_);
  sqlite3_clear_bindings(s_);
}

int64_t Stmt::Int(int col) const { return sqlite3_column_int64(s_, col); }
Bytes Stmt::Blob(int col) const {
  const uint8_t* p = BlobData(col);
  return Bytes(p, p + BlobSize(col));
}
std::string Stmt::Text(int col) const {
  const unsigned char* p = sqlite3_column_text(s_, col);
  return p ? std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(s_, col)) : std::string();
}
bool Stmt::IsNull(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
int Stmt::BlobSize(int col) const { return sqlite3_column_bytes(s_, col); }
const uint8_t* Stmt::BlobData(int col) const {
  return static_cast<const uint8_t*>(sqlite3_column_blob(s_, col));
}

Result<std::unique_ptr<Db>> Db::Open(const std::string& path, Mode mode) {
  sqlite3* raw = nullptr;
  int flags = mode == Mode::kReadOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<Db> db(new Db(raw));
  if (rc != SQLITE_OK) return Status::IOError("cannot open " + path + ": " + sqlite3_errstr(rc));
  db->gate_ = GateOf(path);
  sqlite3_busy_handler(raw, OnBusy, db.get());
  // WAL lets readers run beside the writer; synchronous=FULL makes every commit fsync the
  // WAL before it returns, which is what "acknowledged only once on disk" means.
  if (mode == Mode::kReadWrite) {
    Status s = db->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
    if (!s.ok()) return s;
  }
  return db;
}

Db::~Db() {
  for (auto& [sql, list] : cache_)
    for (sqlite3_stmt* st : list) sqlite3_finalize(st);
  sqlite3_close_v2(db_);
}

void Db::Recycle(sqlite3_stmt* st) {
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  std::lock_guard lock(cache_mu_);
  auto& list = cache_[sqlite3_sql(st)];
  if (list.size() >= 4) {
    sqlite3_finalize(st);
    return;
  }
  list.push_back(st);
}

Status Db::Exec(const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return Status::Ok();
  std::string msg = err ? err : sqlite3_errstr(rc);
  sqlite3_free(err);
  if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB) return Status::Corruption("sqlite: " + msg);
  return Status::IOError("sqlite: " + msg);
}

Status Db::PrepareAll(std::initializer_list<Prepared> stmts) {
  for (const Prepared& p : stmts) {
    auto st = Prepare(p.sql);
    if (!st.ok()) return st.status();
    *p.stmt = std::move(*st);
  }
  return Status::Ok();
}

Result<Stmt> Db::Prepare(const std::string& sql) {
  {
    std::lock_guard lock(cache_mu_);
    auto it = cache_.find(sql);
    if (it != cache_.end() && !it->second.empty()) {
      sqlite3_stmt* cached = it->second.back();
      it->second.pop_back();
      return Stmt(db_, cached, this);
    }
  }
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = "sqlite: " + LastError() + " in: " + sql;
    if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB) return Status::Corruption(msg);
    return Status::IOError(msg);
  }
  return Stmt(db_, s, this);
}

namespace {

sqlite3_file* MainFile(sqlite3* db) {
  sqlite3_file* f = nullptr;
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &f) != SQLITE_OK || !f || !f->pMethods) return nullptr;
  return f;
}

}  // namespace

Result<Bytes> Db::ReadFileStart(size_t n) {
  sqlite3_file* f = MainFile(db_);
  if (!f) return Status::IOError("the database file is not open");
  sqlite3_int64 size = 0;
  if (f->pMethods->xFileSize(f, &size) != SQLITE_OK) return Status::IOError("cannot size the database file");
  Bytes out(std::min<size_t>(n, static_cast<size_t>(size)));
  if (!out.empty() && f->pMethods->xRead(f, out.data(), static_cast<int>(out.size()), 0) != SQLITE_OK)
    return Status::IOError("cannot read the database file's header");
  return out;
}

Result<uint64_t> Db::FileSize() {
  sqlite3_file* f = MainFile(db_);
  sqlite3_int64 size = 0;
  if (!f || f->pMethods->xFileSize(f, &size) != SQLITE_OK) return Status::IOError("cannot size the database file");
  return static_cast<uint64_t>(size);
}

std::string Db::LastError() const { return sqlite3_errmsg(db_); }

int64_t Db::Changes() const { return sqlite3_changes64(db_); }

ReadTransaction::ReadTransaction(Db* db) : db_(db) {
  if (sqlite3_get_autocommit(db->raw())) began_ = db->Exec("BEGIN").ok();
}

ReadTransaction::~ReadTransaction() {
  if (began_) db_->Exec("COMMIT");
}

Transaction::Transaction(Db* db, NoWait) : db_(db) {
  db->NoteWriteAttempt();
  sqlite3_busy_handler(db->raw(), nullptr, nullptr);
  begin_ = db->Exec("BEGIN IMMEDIATE");
  sqlite3_busy_handler(db->raw(), Db::OnBusy, db);
  busy_ = !begin_.ok() && sqlite3_errcode(db->raw()) == SQLITE_BUSY;
}

Transaction::Transaction(Db* db) : db_(db) {
  db->NoteWriteAttempt();
  begin_ = db->Exec("BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
  if (!done_ && begin_.ok()) {
    db_->Exec("ROLLBACK");
    db_->NoteWriterEnd();
  }
}

Status Transaction::Commit() {
  Status s = db_->Exec("COMMIT");
  if (s.ok()) {
    done_ = true;
    db_->NoteWriterEnd();
  }
  return s;
}

}  // namespace ledger::sql
