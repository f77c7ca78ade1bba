#include "ledger/verifier.h"

#include <chrono>
#include <cstring>
#include <map>

#include "ledger/block.h"
#include "ledger/block_store.h"
#include "ledger/entry.h"
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
  Result<int64_t> Count(const std::string& sql, std::optional<int64_t> arg = std::nullopt);

  sql::Db* db_;
  const VerifyOptions& opt_;
  VerifyReport* r_;
  sql::Stmt leaves_;
  std::map<int, sql::Stmt> node_cursors_;
  Frontier frontier_;
  uint64_t total_leaves_ = 0;
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

bool ChainWalker::CheckLeaves(uint64_t end) {
  std::vector<Frontier::Completed> completed;
  while (frontier_.size() < end) {
    uint64_t index = frontier_.size();
    auto row = leaves_.Step();
    if (!row.ok()) { io_ = row.status(); return false; }
    if (!*row || leaves_.Int(0) != static_cast<int64_t>(index))
      return Fail("leaf " + std::to_string(index), "missing from the leaf table");
    if (leaves_.BlobSize(1) != 32) return Fail("leaf " + std::to_string(index), "stored leaf hash is not 32 bytes");
    Hash leaf;
    std::memcpy(leaf.bytes.data(), leaves_.BlobData(1), 32);
    if (!leaves_.IsNull(2)) {
      ByteView bytes(leaves_.BlobData(2), leaves_.BlobSize(2));
      std::string item = "entry " + std::to_string(index);
      auto entry = Entry::Decode(bytes);
      if (!entry.ok()) return Fail(item, "not a canonical entry envelope (" + entry.status().message() + ")");
      if (LeafHash(bytes) != leaf) return Fail(item, "does not hash to its stored leaf hash");
      if (opt_.entry_signatures && !entry->SignatureValid()) return Fail(item, "submitter signature does not verify");
      ++r_->entries_held;
    }
    completed.clear();
    frontier_.Append(leaf, &completed);
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
  auto nodes = Count("SELECT count(*) FROM chain_node");
  if (!nodes.ok()) return nodes.status();
  if (static_cast<uint64_t>(*nodes) != NodeCount(prev->tree_size))
    Fail("tree nodes", "the node table holds subtrees beyond the last block");
  if (opt_.progress) opt_.progress(r_->entries, total_leaves_);
  return Status::Ok();
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
    if (!*row || key->BlobSize(0) != 32) return Status::Corruption(db_path + " holds no authority key");
    std::memcpy(report.authority_key.data(), key->BlobData(0), 32);
  }
  if (options.authority_key) report.authority_key = *options.authority_key;
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
