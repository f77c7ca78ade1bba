#include "ledger/verifier.h"

#include <chrono>
#include <future>
#include <filesystem>
#include <cstring>
#include <map>

#include "ledger/block.h"
#include "ledger/block_store.h"
#include "ledger/entry.h"
#include "ledger/leaf_keys.h"
#include "ledger/merkle.h"
#include "ledger/sqlite_db.h"

namespace ledger {
namespace {

std::string NodeName(int level, uint64_t index) {
  return "tree node level " + std::to_string(level) + " index " + std::to_string(index);
}

// Expected number of stored complete subtrees (level >= kLowestStoredLevel) in a tree of
// `size` leaves.
uint64_t NodeCount(uint64_t size) {
  uint64_t n = 0;
  for (int level = kLowestStoredLevel; level < 64 && (size >> level); ++level) n += size >> level;
  return n;
}

class ChainWalker {
 public:
  ChainWalker(sql::Db* db, const VerifyOptions& opt, VerifyReport* report)
      : db_(db), opt_(opt), r_(report) {}

  Status Run();

 private:
  bool Fail(std::string item, std::string problem) {
    r_->ok = false;
    r_->bad_item = std::move(item);
    r_->problem = std::move(problem);
    return false;
  }
  bool CheckBlock(uint64_t expected_height, const sql::Stmt& row, std::optional<BlockHeader>* prev);
  bool CheckLeaves(uint64_t end);
  bool CheckNode(const Frontier::Completed& c);
  bool CheckLeafKey(uint64_t index, const Hash& leaf);
  bool ReadAhead();
  bool CheckLeafKeyTotals();
  Result<int64_t> Count(const std::string& sql, std::optional<int64_t> arg = std::nullopt);

  sql::Db* db_;
  const VerifyOptions& opt_;
  VerifyReport* r_;
  sql::Stmt leaves_;
  struct LeafRow {
    uint64_t index = 0;
    Hash leaf;
    bool hash_ok = false;
    std::optional<Bytes> entry;
    std::string problem;  // what is wrong with the entry, checked ahead
  };
  static constexpr size_t kReadAhead = 8192;
  std::vector<LeafRow> ahead_;
  size_t ahead_at_ = 0;
  std::map<int, sql::Stmt> node_cursors_;
  Frontier frontier_;
  uint64_t total_leaves_ = 0;
  // The leaf-key index (ledger/leaf_keys.h): the keys in chain_leaf_new, one by one, and
  // what chain_leaf_key must add up to.
  LeafKeyIndex::Marks marks_;
  sql::Stmt new_keys_;
  struct Totals {
    int64_t count = 0, low = 0, high = 0, idx = 0;
    bool operator==(const Totals&) const = default;
  } key_totals_;
  std::string key_problem_;  // the first leaf whose chain_leaf_new row is wrong
  Status io_;  // a read error in the middle of the walk
};

Result<int64_t> ChainWalker::Count(const std::string& sql, std::optional<int64_t> arg) {
  auto s = db_->Prepare(sql);
  if (!s.ok()) return s.status();
  if (arg) s->Bind(1, *arg);
  auto row = s->Step();
  if (!row.ok()) return row.status();
  return *row ? s->Int(0) : 0;
}

bool ChainWalker::CheckNode(const Frontier::Completed& c) {
  auto it = node_cursors_.find(c.level);
  if (it == node_cursors_.end()) {
    auto s = db_->Prepare("SELECT id, hash FROM chain_node WHERE id >= ?1 AND id < ?2 ORDER BY id");
    if (!s.ok()) { io_ = s.status(); return false; }
    s->Bind(1, NodeKey(c.level, 0)).Bind(2, NodeKey(c.level + 1, 0));
    it = node_cursors_.emplace(c.level, std::move(*s)).first;
  }
  sql::Stmt& cur = it->second;
  auto row = cur.Step();
  if (!row.ok()) { io_ = row.status(); return false; }
  if (!*row || cur.Int(0) != NodeKey(c.level, c.index))
    return Fail(NodeName(c.level, c.index), "missing from the node table");
  if (cur.BlobSize(1) != 32 || std::memcmp(cur.BlobData(1), c.hash.bytes.data(), 32) != 0)
    return Fail(NodeName(c.level, c.index), "stored hash differs from the hash of its children");
  return true;
}

bool ChainWalker::CheckLeafKey(uint64_t index, const Hash& leaf) {
  const LeafKeyIndex::Key k{LeafKey(leaf), index};
  if (marks_.InIndex(k)) {
    ++key_totals_.count;
    key_totals_.low += k.first & 0xffffffff;
    key_totals_.high += (k.first >> 32) & 0xffffffff;
    key_totals_.idx += static_cast<int64_t>(index);
  }
  if (index < marks_.keyed) return true;
  auto row = new_keys_.Step();
  if (!row.ok()) { io_ = row.status(); return false; }
  // Reported once the block's root is checked: a wrong leaf hash is the graver problem.
  if ((!*row || new_keys_.Int(0) != static_cast<int64_t>(index) || new_keys_.Int(1) != k.first) && key_problem_.empty())
    key_problem_ = "leaf key " + std::to_string(index);
  return true;
}

bool ChainWalker::CheckLeafKeyTotals() {
  // Every key chain_leaf_key should hold, counted (a lost or added row shows) or summed too
  // (a changed one shows as well).
  auto s = db_->Prepare(opt_.leaf_key_sums ? "SELECT count(*), coalesce(sum(h64 & 4294967295), 0), "
                                             "coalesce(sum((h64 >> 32) & 4294967295), 0), coalesce(sum(idx), 0) "
                                             "FROM chain_leaf_key"
                                           : "SELECT count(*), 0, 0, 0 FROM chain_leaf_key");
  if (!s.ok()) { io_ = s.status(); return false; }
  auto row = s->Step();
  if (!row.ok()) { io_ = row.status(); return false; }
  Totals stored{s->Int(0), s->Int(1), s->Int(2), s->Int(3)};
  Totals want = key_totals_;
  if (!opt_.leaf_key_sums) want.low = want.high = want.idx = 0;
  if (!(stored == want))
    return Fail("leaf keys", "chain_leaf_key holds " + std::to_string(stored.count) + " keys that do not add up to the " +
                                 std::to_string(key_totals_.count) + " it should");
  return true;
}

bool ChainWalker::ReadAhead() {
  // Leaves are read in runs of kReadAhead; their entries (decode, hash, signature) are checked
  // on two threads, then consumed one by one in order, so the first bad item is still the
  // one reported.
  ahead_.clear();
  ahead_at_ = 0;
  while (ahead_.size() < kReadAhead) {
    auto row = leaves_.Step();
    if (!row.ok()) { io_ = row.status(); return false; }
    if (!*row) break;
    LeafRow r;
    r.index = static_cast<uint64_t>(leaves_.Int(0));
    r.hash_ok = leaves_.BlobSize(1) == 32;
    if (r.hash_ok) std::memcpy(r.leaf.bytes.data(), leaves_.BlobData(1), 32);
    if (!leaves_.IsNull(2)) r.entry.emplace(leaves_.BlobData(2), leaves_.BlobData(2) + leaves_.BlobSize(2));
    ahead_.push_back(std::move(r));
  }
  auto check = [this](size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) {
      LeafRow& r = ahead_[i];
      if (!r.entry || !r.hash_ok) continue;
      auto entry = Entry::Decode(*r.entry);
      if (!entry.ok()) r.problem = "not a canonical entry envelope (" + entry.status().message() + ")";
      else if (LeafHash(*r.entry) != r.leaf) r.problem = "does not hash to its stored leaf hash";
      else if (opt_.entry_signatures && !entry->SignatureValid()) r.problem = "submitter signature does not verify";
    }
  };
  const size_t half = ahead_.size() / 2;
  if (half < 64) {
    check(0, ahead_.size());
  } else {
    auto other = std::async(std::launch::async, check, 0, half);
    check(half, ahead_.size());
    other.get();
  }
  return true;
}

bool ChainWalker::CheckLeaves(uint64_t end) {
  std::vector<Frontier::Completed> completed;
  while (frontier_.size() < end) {
    uint64_t index = frontier_.size();
    if (ahead_at_ == ahead_.size() && !ReadAhead()) return false;
    if (ahead_at_ == ahead_.size() || ahead_[ahead_at_].index != index)
      return Fail("leaf " + std::to_string(index), "missing from the leaf table");
    const LeafRow& r = ahead_[ahead_at_++];
    if (!r.hash_ok) return Fail("leaf " + std::to_string(index), "stored leaf hash is not 32 bytes");
    if (r.entry) {
      if (!r.problem.empty()) return Fail("entry " + std::to_string(index), r.problem);
      ++r_->entries_held;
    }
    if (!CheckLeafKey(index, r.leaf)) return false;
    completed.clear();
    frontier_.Append(r.leaf, &completed);
    for (const auto& c : completed)
      if (c.level >= kLowestStoredLevel && !CheckNode(c)) return false;
    ++r_->entries;
    if (opt_.progress && (index & 0x3fff) == 0) opt_.progress(index, total_leaves_);
  }
  return true;
}

bool ChainWalker::CheckBlock(uint64_t expected_height, const sql::Stmt& row, std::optional<BlockHeader>* prev) {
  std::string item = "block " + std::to_string(expected_height);
  if (static_cast<uint64_t>(row.Int(0)) != expected_height)
    return Fail(item, "missing (next stored block is " + std::to_string(row.Int(0)) + ")");
  auto h = BlockHeader::Decode(ByteView(row.BlobData(2), row.BlobSize(2)));
  if (!h.ok()) return Fail(item, "malformed header (" + h.status().message() + ")");
  SignedHeader sh{*h, {}};
  if (row.BlobSize(3) != 64) return Fail(item, "signature is not 64 bytes");
  std::memcpy(sh.signature.data(), row.BlobData(3), 64);
  if (!sh.SignatureValid(r_->authority_key)) return Fail(item, "authority signature does not verify");
  if (h->height != expected_height) return Fail(item, "header says height " + std::to_string(h->height));
  if (static_cast<uint64_t>(row.Int(1)) != h->tree_size) return Fail(item, "tree_size column disagrees with header");
  if (!*prev) {
    if (h->prev_hash != Hash{} || h->tree_size != 0 || h->tree_root != EmptyRoot())
      return Fail(item, "genesis block must have zero prev_hash and an empty tree");
  } else {
    const BlockHeader& p = **prev;
    if (h->prev_hash != p.BlockHash()) return Fail(item, "prev_hash does not match block " + std::to_string(p.height));
    if (h->time_ms < p.time_ms) return Fail(item, "time goes backwards");
    if (h->tree_size <= p.tree_size) return Fail(item, "seals no entries");
  }
  if (!CheckLeaves(h->tree_size)) return false;
  if (frontier_.Root() != h->tree_root) return Fail(item, "tree_root differs from the root of its entries");
  if (!key_problem_.empty()) return Fail(key_problem_, "missing from or wrong in chain_leaf_new");
  *prev = *h;
  r_->height = h->height;
  ++r_->blocks;
  return true;
}

Status ChainWalker::Run() {
  auto max_leaf = Count("SELECT coalesce(max(idx) + 1, 0) FROM chain_leaf");
  if (!max_leaf.ok()) return max_leaf.status();
  total_leaves_ = static_cast<uint64_t>(*max_leaf);
  auto leaves = db_->Prepare("SELECT idx, hash, entry FROM chain_leaf ORDER BY idx");
  auto blocks = db_->Prepare("SELECT height, tree_size, header, signature FROM chain_block ORDER BY height");
  if (!leaves.ok()) return leaves.status();
  if (!blocks.ok()) return blocks.status();
  leaves_ = std::move(*leaves);
  auto marks = LeafKeyIndex::ReadMarks(db_);
  if (!marks.ok()) return marks.status();
  marks_ = *marks;
  auto new_keys = db_->Prepare("SELECT idx, h64 FROM chain_leaf_new WHERE idx >= ?1 ORDER BY idx");
  if (!new_keys.ok()) return new_keys.status();
  new_keys_ = std::move(*new_keys);
  new_keys_.Bind(1, static_cast<int64_t>(marks_.keyed));
  r_->ok = true;
  std::optional<BlockHeader> prev;
  for (uint64_t height = 0;; ++height) {
    auto row = blocks->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    if (!CheckBlock(height, *blocks, &prev)) return io_;
  }
  if (!prev) {
    Fail("block 0", "the chain has no genesis block");
    return Status::Ok();
  }
  // Whatever lies beyond the last block was never sealed: a truncated or tampered store.
  auto extra = Count("SELECT count(*) FROM chain_leaf WHERE idx >= ?1", static_cast<int64_t>(prev->tree_size));
  if (!extra.ok()) return extra.status();
  if (*extra > 0) {
    Fail("leaf " + std::to_string(prev->tree_size),
         std::to_string(*extra) + " leaves lie beyond the last block " + std::to_string(prev->height) +
             " (a lost or truncated block)");
    return Status::Ok();
  }
  if (!CheckLeafKeyTotals()) return io_;
  if (auto row = new_keys_.Step(); !row.ok() || *row) {
    if (!row.ok()) return row.status();
    Fail("leaf key " + std::to_string(new_keys_.Int(0)), "in chain_leaf_new beyond the last block");
    return Status::Ok();
  }
  auto stale = Count("SELECT count(*) FROM chain_leaf_new WHERE idx < ?1", static_cast<int64_t>(marks_.keyed));
  if (!stale.ok()) return stale.status();
  if (*stale > 0) {
    Fail("leaf keys", "chain_leaf_new still holds keys below " + std::to_string(marks_.keyed));
    return Status::Ok();
  }
  auto nodes = Count("SELECT count(*) FROM chain_node");
  if (!nodes.ok()) return nodes.status();
  if (static_cast<uint64_t>(*nodes) != NodeCount(prev->tree_size))
    Fail("tree nodes", "the node table holds subtrees beyond the last block");
  if (opt_.progress) opt_.progress(r_->entries, total_leaves_);
  return Status::Ok();
}

// The size SQLite's header gives the file, if the header says it is current; a file shorter
// than that lost its end (a page that is lost while empty would otherwise read as empty).
// Read through the connection's own file handle (see sql::Db::ReadFileStart's WARNING).
std::optional<uint64_t> HeaderFileSize(sql::Db& db) {
  auto start = db.ReadFileStart(100);
  if (!start.ok() || start->size() < 100) return std::nullopt;
  const uint8_t* h = start->data();
  auto be = [&](int at, int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = v << 8 | h[at + i];
    return v;
  };
  uint64_t page = be(16, 2) == 1 ? 65536 : be(16, 2);
  if (be(24, 4) != be(92, 4)) return std::nullopt;  // the in-header size is not current
  return page * be(28, 4);
}

// Whether the WAL beside `path` holds frames. SQLite then reads the pages a checkpoint has
// not copied yet from there, and the file may be shorter than its header says: a checkpoint
// writes pages in order, page 1 (with the new size) before those that extend the file, so a
// node killed, or a file read, in the middle of one looks truncated though nothing is lost.
bool WalHasFrames(const std::string& path) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path + "-wal", ec);
  return !ec && size > 32;  // the WAL's own header is 32 bytes
}

}  // namespace

Result<VerifyReport> VerifyChain(const std::string& db_path, const VerifyOptions& options) {
  auto start = std::chrono::steady_clock::now();
  auto db = sql::Db::Open(db_path, sql::Db::Mode::kReadOnly);
  if (!db.ok()) return db.status();
  VerifyReport report;
  {
    auto key = (*db)->Prepare("SELECT value FROM chain_meta WHERE key = 'authority_key'");
    if (!key.ok()) return key.status();
    auto row = key->Step();
    if (!row.ok()) return row.status();
    if (!*row || !SuiteOfKey(key->Blob(0))) return Status::Corruption(db_path + " holds no authority key");
    report.authority_key = key->Blob(0);
    if (SuiteOfKey(report.authority_key) != ActiveSuite())
      return SuiteMismatch(db_path + "'s chain", *SuiteOfKey(report.authority_key));
  }
  if (options.authority_key) report.authority_key = *options.authority_key;
  if (auto want = HeaderFileSize(**db); want && !WalHasFrames(db_path)) {
    auto size = (*db)->FileSize();
    if (!size.ok()) return size.status();
    if (*size < *want) {
      report.bad_item = "file";
      report.problem = "truncated: " + std::to_string(*size) + " bytes of the " + std::to_string(*want) +
                       " its header gives";
      return report;
    }
  }
  // One read transaction for the whole walk: a consistent snapshot even if a node is writing.
  if (Status s = (*db)->Exec("BEGIN"); !s.ok()) return s;
  ChainWalker walker(db->get(), options, &report);
  Status s = walker.Run();
  (*db)->Exec("COMMIT");
  if (!s.ok()) return s;
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace ledger
