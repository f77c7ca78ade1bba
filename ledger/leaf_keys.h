// Finding a leaf by its hash, for the block store: a two-level index over the store's own
// SQLite connection and transactions.
//
// WARNING: a key written along with its leaf lands on a random page of a B-tree index (the
// hash is random), so every commit dirtied about one page per leaf: at a million leaves that
// was most of a catch-up's writes, and it grows with the chain. Instead:
//   - chain_leaf_new(idx, h64) gets each leaf's key with the leaf: an append at the end of
//     an integer-keyed table, written in the leaf's own transaction;
//   - chain_leaf_key(h64, idx) is the index proper. Keys move into it in key order, a slice
//     per write transaction (a "sweep"), once max(65,536, leaves / 8) are waiting: each
//     sweep rewrites each page of the index about once, spread over many commits, so no
//     commit stalls on it and a key costs a fraction of a page;
//   - the keys not yet in chain_leaf_key are also kept in memory, for lookups.
// chain_meta records the leaves below which every key is in chain_leaf_key (`leaf_keys`)
// and, during a sweep, which leaves it covers and how far it got, so that a node reopening
// the store rebuilds the in-memory part from chain_leaf_new alone.
//
// Not thread-safe: the block store calls it under its lock, within its write transactions.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <utility>
#include <vector>

#include "ledger/sqlite_db.h"

namespace ledger {

// A multimap from leaf keys (h64) to leaf indices, for the keys waiting for a sweep: open
// addressing over the keys in the order added. A key takes 16 bytes in the deque and 8 to
// 16 in the slots (a std::unordered_multimap took 40 and a malloc each, 8% of a catch-up's
// CPU).
class LeafKeyTable {
 public:
  using Key = std::pair<int64_t, uint64_t>;  // (h64, leaf index)
  void Reserve(size_t n);  // room for n keys without growing the slots
  void Insert(const Key& k);
  std::vector<uint64_t> Find(int64_t h64) const;  // every index added with this key
  std::vector<Key> Keys() const { return {keys_.begin(), keys_.end()}; }
  size_t size() const { return keys_.size(); }
  void Clear();

 private:
  size_t Slot(int64_t h64) const;
  void Place(uint32_t position);
  std::deque<Key> keys_;  // a deque grows without copying
  std::vector<uint32_t> slots_;  // 0: empty; else 1 + a position in keys_. A power of two, at most half full
};

class LeafKeyIndex {
 public:
  // The tables, for the store's schema.
  static const char* Schema();

  // Prepares the statements on `db` (which must outlive this) and loads the keys waiting to
  // be swept. `size`: the leaves on the chain.
  Status Open(sql::Db* db, uint64_t size);

  // A write transaction: Begin() first (it forgets what an abandoned one added), Add() per
  // appended leaf, Sweep() before the commit, Committed() after it succeeds.
  void Begin();
  Status Add(int64_t key, uint64_t index);
  size_t added() const { return txn_.added.size(); }
  void Forget(size_t added);  // back to `added` keys added: a savepoint rolled back
  // Moves the next slice of waiting keys into chain_leaf_key. `size_before`: the leaves on
  // the chain before this transaction.
  Status Sweep(uint64_t size_before);
  void Committed();

  // The leaves whose key is `key` (usually none or one; the caller compares full hashes).
  // Leaves added by the open transaction are not among them: the caller knows its own.
  Result<std::vector<uint64_t>> Candidates(int64_t key);

  size_t waiting() const { return sweeping_.size() - sweep_at_ + fresh_.size(); }  // keys not in chain_leaf_key yet

  using Key = std::pair<int64_t, uint64_t>;  // (h64, leaf index)
  struct SweepState {
    uint64_t end = 0;  // the sweep moves the keys of leaves below this
    Key next{};        // ... whose key is at least this; those below are moved
  };
  // Which leaves have their key in chain_leaf_key, as chain_meta records it.
  struct Marks {
    uint64_t keyed = 0;  // every leaf below this
    std::optional<SweepState> sweep;
    bool InIndex(const Key& k) const { return k.second < keyed || (sweep && k.second < sweep->end && k < sweep->next); }
  };
  static Result<Marks> ReadMarks(sql::Db* db);

 private:
  Status SaveMeta(const char* key, int64_t value);
  Status DeleteMeta(const char* key);

  sql::Db* db_ = nullptr;
  Marks marks_;
  // The keys not yet in chain_leaf_key, in two generations: those of the sweep under way,
  // sorted (the ones before sweep_at_ are moved already), and those added since it began.
  std::vector<Key> sweeping_;
  size_t sweep_at_ = 0;
  // The second generation.
  LeafKeyTable fresh_;
  struct Txn {
    std::vector<Key> added;
    std::optional<std::vector<Key>> started;  // a sweep begun in this transaction: its keys
    size_t sweep_at = 0;                      // where the sweep stands after it
    bool swept = false;                       // it moved keys
    std::optional<SweepState> sweep;          // the marks after it
    std::optional<uint64_t> keyed;
  } txn_;
  sql::Stmt add_, move_, find_;
};

}  // namespace ledger
