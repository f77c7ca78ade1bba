// A thin RAII layer over SQLite: a connection with the durability settings of the chain
// (WAL, synchronous=FULL), prepared statements with bound parameters only, a transaction
// guard, and the wake-up of a connection waiting for another's write lock. A Db is used by
// one thread at a time (callers hold their own lock).
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/hash.h"
#include "ledger/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace ledger::sql {

class Db;

class Stmt {
 public:
  Stmt() = default;
  // `owner`: the Db whose statement cache takes the statement back when this is destroyed.
  Stmt(sqlite3* db, sqlite3_stmt* s, Db* owner = nullptr) : db_(db), s_(s), owner_(owner) {}
  Stmt(Stmt&& o) noexcept : db_(o.db_), s_(o.s_), owner_(o.owner_) { o.s_ = nullptr; }
  Stmt& operator=(Stmt&& o) noexcept;
  ~Stmt();

  Stmt& Bind(int i, int64_t v);
  Stmt& Bind(int i, std::string_view v);
  Stmt& Bind(int i, ByteView v);
  Stmt& BindNull(int i);
  // Steps once: true when a row is ready, false when done. Errors come back as Status.
  Result<bool> Step();
  Status Run();  // steps to completion and resets
  void Reset();

  int64_t Int(int col) const;
  Bytes Blob(int col) const;
  std::string Text(int col) const;
  bool IsNull(int col) const;
  int BlobSize(int col) const;
  const uint8_t* BlobData(int col) const;

 private:
  void Release();
  sqlite3* db_ = nullptr;
  sqlite3_stmt* s_ = nullptr;
  Db* owner_ = nullptr;
};

class Db {
 public:
  enum class Mode { kReadWrite, kReadOnly };
  static Result<std::unique_ptr<Db>> Open(const std::string& path, Mode mode);
  ~Db();

  Status Exec(const std::string& sql);  // no parameters: schema and pragmas only
  // Statements are cached by their SQL text: a Stmt given back (destroyed) is reset and
  // reused by the next Prepare of the same text, so hot paths parse each statement once.
  Result<Stmt> Prepare(const std::string& sql);
  // Prepares each {&stmt, sql} into its stmt: a component's statements, prepared once.
  struct Prepared {
    Stmt* stmt;
    const char* sql;
  };
  Status PrepareAll(std::initializer_list<Prepared> stmts);
  std::string LastError() const;
  int64_t Changes() const;  // rows changed by the last INSERT, UPDATE or DELETE
  // The first `n` bytes of the main database file (fewer if it is shorter) and its size,
  // read through this connection's own file handle.
  // WARNING: never open a database file (or its -wal, -shm) with a descriptor of one's own
  // while SQLite has it open in this process: closing that descriptor drops every POSIX
  // lock the process holds on the file (SQLite's "How To Corrupt An SQLite Database File",
  // 2.2), another process then believes it is the last user, checkpoints and deletes the
  // WAL under this one, and committed transactions are lost at the next crash.
  Result<Bytes> ReadFileStart(size_t n);
  Result<uint64_t> FileSize();
  sqlite3* raw() { return db_; }

  // Several connections of one process write the same file (a node's chain and its
  // merchant or company tables). One that finds the write lock taken waits here, woken as
  // soon as another connection of this process to the file ends a write transaction (or
  // after `at_most`, for writers in other processes). A transaction that ended since this
  // connection last asked for the lock (Transaction) is not waited for.
  void AwaitWriterEnd(std::chrono::microseconds at_most);

 private:
  friend class Stmt;
  friend class Transaction;
  void NoteWriterEnd();  // this connection ended a write transaction
  void NoteWriteAttempt();  // about to ask for the write lock: what ends after this counts
  struct WriteGate;
  static std::shared_ptr<WriteGate> GateOf(const std::string& path);  // one per file
  static int OnBusy(void* db, int tries);  // SQLite's busy handler
  explicit Db(sqlite3* db) : db_(db) {}
  void Recycle(sqlite3_stmt* s);
  sqlite3* db_;
  std::shared_ptr<WriteGate> gate_;
  uint64_t seen_ends_ = 0;
  std::chrono::steady_clock::time_point busy_since_;
  std::mutex cache_mu_;
  std::map<std::string, std::vector<sqlite3_stmt*>, std::less<>> cache_;
};

// BEGIN IMMEDIATE on construction, ROLLBACK on destruction unless Commit() succeeded.
class Transaction {
 public:
  explicit Transaction(Db* db);
  // Does not wait for another connection's write lock: busy() says that was the reason it
  // did not begin. For callers that must not wait while holding a lock of their own.
  struct NoWait {};
  Transaction(Db* db, NoWait);
  ~Transaction();
  Status begin_status() const { return begin_; }
  bool busy() const { return busy_; }
  Status Commit();

 private:
  Db* db_;
  Status begin_;
  bool done_ = false;
  bool busy_ = false;
};

// One read transaction around several reads (BEGIN on construction, COMMIT on
// destruction): each statement outside a transaction takes and drops the file's shared lock
// with its own system calls, which dominates a proof's two dozen point reads. Does nothing
// when the connection is already inside a transaction.
class ReadTransaction {
 public:
  explicit ReadTransaction(Db* db);
  ~ReadTransaction();
  ReadTransaction(const ReadTransaction&) = delete;
  ReadTransaction& operator=(const ReadTransaction&) = delete;

 private:
  Db* db_;
  bool began_ = false;
};

}  // namespace ledger::sql
