#include "ledger/leaf_keys.h"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace ledger {
namespace {

// A sweep starts once this many keys wait, or an eighth of the chain if that is more: the
// index is rewritten about once per sweep, so a key costs about kChainFraction index entries
// rewritten, and the waiting keys take memory (16 bytes each in the sweep's sorted array,
// 24-32 in the table of those added since) and time to reload when the store opens.
// Catch-up of 10M entries (bench catchup, with the std::unordered_multimap the table
// replaced): a 32nd 138,000 entries/s and 127 MB, an 8th 212,000/s and 188 MB, a 4th
// 236,000/s and 245 MB (the process also serves the chain). ledger/README.md "Storage and durability".
constexpr uint64_t kMinBatch = uint64_t{1} << 16;
constexpr uint64_t kChainFraction = 8;
// Keys moved per write transaction: twice what it appends, so that a sweep outruns the
// chain, and at least this many.
constexpr size_t kMinSlice = 4096;

}  // namespace

const char* LeafKeyIndex::Schema() {
  return R"(
CREATE TABLE IF NOT EXISTS chain_leaf_new(idx INTEGER PRIMARY KEY, h64 INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS chain_leaf_key(h64 INTEGER NOT NULL, idx INTEGER NOT NULL, PRIMARY KEY(h64, idx)) WITHOUT ROWID;
)";
}

Status LeafKeyIndex::Open(sql::Db* db, uint64_t size) {
  db_ = db;
  Status prepared = db_->PrepareAll({
      {&add_, "INSERT INTO chain_leaf_new(idx, h64) VALUES (?1, ?2)"},
      {&move_, "INSERT INTO chain_leaf_key(h64, idx) VALUES (?1, ?2)"},
      {&find_, "SELECT idx FROM chain_leaf_key WHERE h64 = ?1"},
  });
  if (!prepared.ok()) return prepared;
  auto marks = ReadMarks(db_);
  if (!marks.ok()) return marks.status();
  marks_ = *marks;
  sweeping_.clear();
  sweep_at_ = 0;
  fresh_.Clear();
  auto rows = db_->Prepare("SELECT idx, h64 FROM chain_leaf_new WHERE idx >= ?1 AND idx < ?2");
  if (!rows.ok()) return rows.status();
  rows->Bind(1, static_cast<int64_t>(marks_.keyed)).Bind(2, static_cast<int64_t>(size));
  const uint64_t fresh_from = std::max(marks_.keyed, marks_.sweep ? marks_.sweep->end : 0);
  if (marks_.sweep) sweeping_.reserve(marks_.sweep->end - marks_.keyed);
  if (size > fresh_from) fresh_.Reserve(size - fresh_from);
  uint64_t seen = 0;
  while (true) {
    auto row = rows->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    ++seen;
    Key k{rows->Int(1), static_cast<uint64_t>(rows->Int(0))};
    if (marks_.InIndex(k)) continue;  // moved already, by a sweep under way
    if (marks_.sweep && k.second < marks_.sweep->end) sweeping_.push_back(k);
    else fresh_.Insert(k);
  }
  std::sort(sweeping_.begin(), sweeping_.end());
  if (size > marks_.keyed && seen != size - marks_.keyed)
    return Status::Corruption("leaf keys are missing for leaves beyond " + std::to_string(marks_.keyed) +
                              "; run `einvoice chain verify`");
  txn_ = {};
  return Status::Ok();
}

Result<LeafKeyIndex::Marks> LeafKeyIndex::ReadMarks(sql::Db* db) {
  auto meta = db->Prepare("SELECT key, value FROM chain_meta WHERE key IN ('leaf_keys', 'leaf_sweep_end', "
                          "'leaf_sweep_h64', 'leaf_sweep_idx')");
  if (!meta.ok()) return meta.status();
  Marks marks;
  SweepState sweep;
  int sweep_fields = 0;
  while (true) {
    auto row = meta->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    std::string key = meta->Text(0);
    int64_t v = meta->Int(1);
    if (key == "leaf_keys") marks.keyed = static_cast<uint64_t>(v);
    if (key == "leaf_sweep_end") sweep.end = static_cast<uint64_t>(v), ++sweep_fields;
    if (key == "leaf_sweep_h64") sweep.next.first = v, ++sweep_fields;
    if (key == "leaf_sweep_idx") sweep.next.second = static_cast<uint64_t>(v), ++sweep_fields;
  }
  if (sweep_fields == 3) marks.sweep = sweep;
  return marks;
}

void LeafKeyIndex::Begin() { txn_ = {}; }

Status LeafKeyIndex::Add(int64_t key, uint64_t index) {
  if (Status s = add_.Bind(1, static_cast<int64_t>(index)).Bind(2, key).Run(); !s.ok()) return s;
  txn_.added.emplace_back(key, index);
  return Status::Ok();
}

void LeafKeyIndex::Forget(size_t added) { txn_.added.resize(std::min(added, txn_.added.size())); }

Status LeafKeyIndex::SaveMeta(const char* key, int64_t value) {
  auto s = db_->Prepare("INSERT OR REPLACE INTO chain_meta(key, value) VALUES (?1, ?2)");
  if (!s.ok()) return s.status();
  return s->Bind(1, std::string_view(key)).Bind(2, value).Run();
}

Status LeafKeyIndex::DeleteMeta(const char* key) {
  auto s = db_->Prepare("DELETE FROM chain_meta WHERE key = ?1");
  if (!s.ok()) return s.status();
  return s->Bind(1, std::string_view(key)).Run();
}

Status LeafKeyIndex::Sweep(uint64_t size_before) {
  const size_t appended = txn_.added.size();
  std::optional<SweepState> sweep = marks_.sweep;
  const std::vector<Key>* keys = &sweeping_;
  size_t at = sweep_at_;
  if (!sweep) {
    const uint64_t batch = std::max(kMinBatch, (size_before + appended) / kChainFraction);
    if (fresh_.size() + appended < batch) return Status::Ok();
    // This sweep moves the keys of the leaves already on the chain; this transaction's
    // leaves wait for the next one.
    txn_.started.emplace(fresh_.Keys());
    std::sort(txn_.started->begin(), txn_.started->end());
    sweep = SweepState{size_before, {}};
    keys = &*txn_.started;
    at = 0;
  }
  const size_t slice = std::min(keys->size() - at, std::max(kMinSlice, 2 * appended));
  for (size_t i = at; i < at + slice; ++i)
    if (Status s = move_.Bind(1, (*keys)[i].first).Bind(2, static_cast<int64_t>((*keys)[i].second)).Run(); !s.ok())
      return s;
  at += slice;
  txn_.swept = true;
  txn_.sweep_at = at;
  if (at < keys->size()) {
    sweep->next = (*keys)[at];
    txn_.sweep = sweep;
    for (auto [key, value] : {std::pair<const char*, int64_t>{"leaf_sweep_end", static_cast<int64_t>(sweep->end)},
                              {"leaf_sweep_h64", sweep->next.first},
                              {"leaf_sweep_idx", static_cast<int64_t>(sweep->next.second)}})
      if (Status s = SaveMeta(key, value); !s.ok()) return s;
    return Status::Ok();
  }
  // Swept: every leaf below sweep->end has its key in chain_leaf_key.
  auto drop = db_->Prepare("DELETE FROM chain_leaf_new WHERE idx < ?1");
  if (!drop.ok()) return drop.status();
  if (Status s = drop->Bind(1, static_cast<int64_t>(sweep->end)).Run(); !s.ok()) return s;
  if (Status s = SaveMeta("leaf_keys", static_cast<int64_t>(sweep->end)); !s.ok()) return s;
  for (const char* key : {"leaf_sweep_end", "leaf_sweep_h64", "leaf_sweep_idx"})
    if (Status s = DeleteMeta(key); !s.ok()) return s;
  txn_.sweep.reset();
  txn_.keyed = sweep->end;
  return Status::Ok();
}

void LeafKeyIndex::Committed() {
  if (txn_.started) {  // the committed fresh keys became the sweep's
    sweeping_ = std::move(*txn_.started);
    fresh_.Clear();
  }
  if (txn_.swept) {
    sweep_at_ = txn_.sweep_at;
    marks_.sweep = txn_.sweep;
    if (!marks_.sweep) {  // finished
      sweeping_.clear();
      sweep_at_ = 0;
    }
  }
  if (txn_.keyed) marks_.keyed = *txn_.keyed;
  for (const Key& k : txn_.added) fresh_.Insert(k);
  txn_ = {};
}

Result<std::vector<uint64_t>> LeafKeyIndex::Candidates(int64_t key) {
  std::vector<uint64_t> out = fresh_.Find(key);
  // The sweep's keys, moved or not (a moved one is also found below; the caller dedupes by hash).
  for (auto it = std::lower_bound(sweeping_.begin(), sweeping_.end(), Key{key, 0}); it != sweeping_.end() && it->first == key;
       ++it)
    out.push_back(it->second);
  find_.Bind(1, key);
  while (true) {
    auto row = find_.Step();
    if (!row.ok()) {
      find_.Reset();
      return row.status();
    }
    if (!*row) break;
    out.push_back(static_cast<uint64_t>(find_.Int(0)));
  }
  find_.Reset();
  return out;
}

void LeafKeyTable::Clear() {
  keys_ = {};
  slots_.clear();
  slots_.shrink_to_fit();
}

size_t LeafKeyTable::Slot(int64_t h64) const {
  // The keys are hash prefixes, but a multiply spreads any pattern over the table.
  return static_cast<size_t>((static_cast<uint64_t>(h64) * 0x9E3779B97F4A7C15ull) >> 32) & (slots_.size() - 1);
}

void LeafKeyTable::Place(uint32_t position) {
  size_t i = Slot(keys_[position].first);
  while (slots_[i] != 0) i = (i + 1) & (slots_.size() - 1);
  slots_[i] = position + 1;
}

void LeafKeyTable::Reserve(size_t n) {
  if (2 * n <= slots_.size()) return;
  size_t size = 1024;
  while (size < 2 * n) size *= 2;
  slots_.assign(size, 0);
  for (size_t p = 0; p < keys_.size(); ++p) Place(static_cast<uint32_t>(p));
}

void LeafKeyTable::Insert(const Key& k) {
  if (keys_.size() >= std::numeric_limits<uint32_t>::max() - 1) throw std::length_error("too many leaf keys waiting");
  keys_.push_back(k);
  if (2 * keys_.size() > slots_.size()) Reserve(keys_.size());  // doubles the slots and places them all
  else Place(static_cast<uint32_t>(keys_.size() - 1));
}

std::vector<uint64_t> LeafKeyTable::Find(int64_t h64) const {
  std::vector<uint64_t> out;
  if (slots_.empty()) return out;
  for (size_t i = Slot(h64); slots_[i] != 0; i = (i + 1) & (slots_.size() - 1))
    if (keys_[slots_[i] - 1].first == h64) out.push_back(keys_[slots_[i] - 1].second);
  return out;
}

}  // namespace ledger
