// The chain store (block_store.h). One file, longer than most, because its parts share one
// transaction discipline and one cached frontier: opening and migrating the tables, sealing
// a block, applying the authority's blocks on a replica, and reading leaves and proofs back.
// Split, each part would need the frontier's and the statements' invariants restated.
#include "ledger/block_store.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <unordered_map>

#include "ledger/entry.h"
#include "ledger/leaf_keys.h"

namespace ledger {
namespace {

constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS chain_meta(key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS chain_block(
  height INTEGER PRIMARY KEY, tree_size INTEGER NOT NULL, header BLOB NOT NULL, signature BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS chain_block_tree_size ON chain_block(tree_size);
CREATE TABLE IF NOT EXISTS chain_leaf(idx INTEGER PRIMARY KEY, hash BLOB NOT NULL, entry BLOB);
CREATE TABLE IF NOT EXISTS chain_node(id INTEGER PRIMARY KEY, hash BLOB NOT NULL);
)";

Result<Hash> HashFromBlob(const sql::Stmt& s, int col, const char* what) {
  if (s.BlobSize(col) != 32) return Status::Corruption(std::string(what) + ": stored hash is not 32 bytes");
  Hash h;
  std::memcpy(h.bytes.data(), s.BlobData(col), 32);
  return h;
}

Result<SignedHeader> HeaderFromRow(const sql::Stmt& s, int header_col, int sig_col) {
  Result<BlockHeader> h = BlockHeader::Decode(ByteView(s.BlobData(header_col), s.BlobSize(header_col)));
  if (!h.ok()) return h.status();
  SignedHeader out{*h, {}};
  if (s.BlobSize(sig_col) != 64) return Status::Corruption("block signature is not 64 bytes");
  std::memcpy(out.signature.data(), s.BlobData(sig_col), 64);
  return out;
}

}  // namespace

int64_t LeafKey(const Hash& h) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | h.bytes[i];
  return static_cast<int64_t>(v);
}

Result<std::unique_ptr<BlockStore>> BlockStore::Open(const std::string& path, const PublicKeyBytes& key) {
  if (std::optional<Suite> suite = SuiteOfKey(key); !suite || *suite != ActiveSuite())
    return suite ? SuiteMismatch("the authority key", *suite) : Status::InvalidArgument("the authority key is malformed");
  auto db = sql::Db::Open(path, sql::Db::Mode::kReadWrite);
  if (!db.ok()) return db.status();
  if (Status s = (*db)->Exec(kSchema); !s.ok()) return s;
  if (Status s = (*db)->Exec(LeafKeyIndex::Schema()); !s.ok()) return s;
  // 32 MB of page cache (SQLite's default is 2 MB): the upper levels of the leaf and node
  // B-trees stay in memory, so a proof at 10M entries reads about one page per hash.
  if (Status s = (*db)->Exec("PRAGMA cache_size = -32768"); !s.ok()) return s;
  auto get = (*db)->Prepare("SELECT value FROM chain_meta WHERE key = 'authority_key'");
  if (!get.ok()) return get.status();
  auto row = get->Step();
  if (!row.ok()) return row.status();
  if (*row) {
    if (std::optional<Suite> stored = SuiteOfKey(get->Blob(0)); stored && *stored != ActiveSuite())
      return SuiteMismatch(path + "'s chain", *stored);
    if (get->Blob(0) != Bytes(key.begin(), key.end()))
      return Status::InvalidArgument(path + " belongs to another authority key");
  } else {
    auto put = (*db)->Prepare("INSERT INTO chain_meta(key, value) VALUES ('authority_key', ?1)");
    if (!put.ok()) return put.status();
    if (Status s = put->Bind(1, ByteView(key)).Run(); !s.ok()) return s;
  }
  get = sql::Stmt();
  std::unique_ptr<BlockStore> store(new BlockStore(std::move(*db), key));
  if (Status s = store->Prepare(); !s.ok()) return s;
  return store;
}

namespace {

// The authority key an existing store was created with (any suite's).
Result<PublicKeyBytes> StoredAuthorityKey(const std::string& path) {
  auto db = sql::Db::Open(path, sql::Db::Mode::kReadOnly);
  if (!db.ok()) return db.status();
  auto get = (*db)->Prepare("SELECT value FROM chain_meta WHERE key = 'authority_key'");
  if (!get.ok()) return get.status();
  auto row = get->Step();
  if (!row.ok()) return row.status();
  if (!*row || !SuiteOfKey(get->Blob(0))) return Status::NotFound(path + " holds no chain");
  return get->Blob(0);
}

}  // namespace

Result<Suite> BlockStore::SuiteOf(const std::string& path) {
  auto key = StoredAuthorityKey(path);
  if (!key.ok()) return key.status();
  return *SuiteOfKey(*key);
}

Result<std::unique_ptr<BlockStore>> BlockStore::OpenExisting(const std::string& path) {
  auto key = StoredAuthorityKey(path);
  if (!key.ok()) return key.status();
  if (SuiteOfKey(*key) != ActiveSuite()) return SuiteMismatch(path + "'s chain", *SuiteOfKey(*key));
  return Open(path, *key);
}

Status BlockStore::Prepare() {
  Status prepared = db_->PrepareAll({
      {&read_leaf_, "SELECT hash FROM chain_leaf WHERE idx = ?1"},
      {&read_node_, "SELECT hash FROM chain_node WHERE id = ?1"},
      {&insert_leaf_, "INSERT INTO chain_leaf(idx, hash, entry) VALUES (?1, ?2, ?3)"},
      {&read_leaves_, "SELECT idx, hash FROM chain_leaf WHERE idx >= ?1 AND idx < ?2 ORDER BY idx"},
      {&insert_node_, "INSERT INTO chain_node(id, hash) VALUES (?1, ?2)"},
      {&insert_block_, "INSERT INTO chain_block(height, tree_size, header, signature) VALUES (?1, ?2, ?3, ?4)"},
      {&read_block_, "SELECT header, signature FROM chain_block WHERE height = ?1"},
      {&last_block_, "SELECT header, signature FROM chain_block ORDER BY height DESC LIMIT 1"},
  });
  if (!prepared.ok()) return prepared;
  if (Status s = MigrateLocked(); !s.ok()) return s;
  auto head = HeadLocked();
  if (!head.ok() && head.status().code() != Status::Code::kNotFound) return head.status();
  uint64_t size = head.ok() ? head->header.tree_size : 0;
  // Leaves are written in the same transaction as their block, so leaves beyond the head
  // mean the store was truncated or edited: refuse to extend it.
  auto beyond = db_->Prepare("SELECT count(*) FROM chain_leaf WHERE idx >= ?1");
  if (!beyond.ok()) return beyond.status();
  auto row = beyond->Bind(1, static_cast<int64_t>(size)).Step();
  if (!row.ok()) return row.status();
  if (beyond->Int(0) != 0)
    return Status::Corruption("leaves beyond the last block (a truncated or edited store); run `einvoice chain verify`");
  if (Status s = keys_.Open(db_.get(), size); !s.ok()) return s;
  if (!head.ok()) return Status::Ok();
  auto f = Frontier::Load([this](int l, uint64_t i) { return ReadNode(l, i); }, head->header.tree_size);
  if (!f.ok()) return f.status();
  frontier_ = std::move(*f);
  if (frontier_.Root() != head->header.tree_root)
    return Status::Corruption("stored tree does not match the head's root; run `einvoice chain verify`");
  return Status::Ok();
}

Status BlockStore::MigrateLocked() {
  // Stores written before leaf keys had their own index (ledger/leaf_keys.h) kept them in
  // chain_leaf, and stored every subtree: move the keys over and drop the subtrees below
  // kLowestStoredLevel, once.
  auto old = db_->Prepare("SELECT 1 FROM pragma_table_info('chain_leaf') WHERE name = 'h64'");
  if (!old.ok()) return old.status();
  auto row = old->Step();
  if (!row.ok()) return row.status();
  old = sql::Stmt();
  if (!*row) return Status::Ok();
  sql::Transaction tx(db_.get());
  if (!tx.begin_status().ok()) return tx.begin_status();
  if (Status s = db_->Exec("INSERT OR IGNORE INTO chain_leaf_key(h64, idx) SELECT h64, idx FROM chain_leaf ORDER BY h64;"
                           "DROP INDEX IF EXISTS chain_leaf_h64; ALTER TABLE chain_leaf DROP COLUMN h64;"
                           "DELETE FROM chain_node WHERE id < " + std::to_string(NodeKey(kLowestStoredLevel, 0)) + ";"
                           "DELETE FROM chain_leaf_new; DELETE FROM chain_meta WHERE key LIKE 'leaf_sweep_%';"
                           "INSERT OR REPLACE INTO chain_meta(key, value) "
                           "SELECT 'leaf_keys', coalesce(max(idx) + 1, 0) FROM chain_leaf");
      !s.ok())
    return s;
  return tx.Commit();
}

Result<Hash> BlockStore::ReadNode(int level, uint64_t index) {
  if (level > 0 && level < kLowestStoredLevel) {
    // Not stored: hashed from its 2..8 leaves, one range read.
    const uint64_t begin = index << level, end = (index + 1) << level;
    read_leaves_.Bind(1, static_cast<int64_t>(begin)).Bind(2, static_cast<int64_t>(end));
    std::vector<Hash> leaves;
    while (true) {
      auto row = read_leaves_.Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      auto h = HashFromBlob(read_leaves_, 1, "leaf");
      if (!h.ok()) {
        read_leaves_.Reset();
        return h.status();
      }
      leaves.push_back(*h);
    }
    read_leaves_.Reset();
    if (leaves.size() != end - begin)
      return Status::Corruption("missing leaves under tree node level " + std::to_string(level) + " index " +
                                std::to_string(index));
    return RootOf(leaves);
  }
  sql::Stmt& s = level == 0 ? read_leaf_ : read_node_;
  s.Bind(1, level == 0 ? static_cast<int64_t>(index) : NodeKey(level, index));
  auto row = s.Step();
  if (!row.ok()) return row.status();
  if (!*row) {
    s.Reset();
    return Status::Corruption("missing tree node level " + std::to_string(level) + " index " + std::to_string(index));
  }
  auto h = HashFromBlob(s, 0, "tree node");
  s.Reset();
  return h;
}

Result<SignedHeader> BlockStore::HeadLocked() {
  if (head_) return *head_;
  auto row = last_block_.Step();
  if (!row.ok()) return row.status();
  if (!*row) {
    last_block_.Reset();
    return Status::NotFound("the chain has no blocks yet");
  }
  auto h = HeaderFromRow(last_block_, 0, 1);
  last_block_.Reset();
  if (h.ok()) head_ = *h;
  return h;
}

Result<SignedHeader> BlockStore::Head() {
  std::lock_guard lock(mu_);
  return HeadLocked();
}

bool BlockStore::WaitForHeight(uint64_t height, int timeout_ms) {
  std::unique_lock lock(mu_);
  return grown_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] {
    auto head = HeadLocked();
    return head.ok() && head->header.height >= height;
  });
}

Result<SignedHeader> BlockStore::InitGenesis(const PrivateKey& authority, uint64_t time_ms) {
  std::lock_guard lock(mu_);
  if (auto head = HeadLocked(); head.ok() || head.status().code() != Status::Code::kNotFound) return head;
  if (authority.public_key() != authority_key_) return Status::InvalidArgument("not this chain's authority key");
  BlockHeader h{0, Hash{}, time_ms, 0, EmptyRoot()};
  SignedHeader sh = SignHeader(h, authority);
  sql::Transaction tx(db_.get());
  if (!tx.begin_status().ok()) return tx.begin_status();
  if (Status s = InsertBlockLocked(sh); !s.ok()) return s;
  if (Status s = tx.Commit(); !s.ok()) return s;
  head_ = sh;
  grown_.notify_all();
  return sh;
}

Result<std::optional<uint64_t>> BlockStore::FindLeafLocked(const Hash& leaf_hash) {
  // The key (8 bytes of the hash) narrows it down; the stored hash decides.
  auto candidates = keys_.Candidates(LeafKey(leaf_hash));
  if (!candidates.ok()) return candidates.status();
  for (uint64_t idx : *candidates) {
    auto h = ReadNode(0, idx);
    if (!h.ok()) return h.status();
    if (*h == leaf_hash) return std::optional<uint64_t>(idx);
  }
  return std::optional<uint64_t>();
}

Result<std::optional<uint64_t>> BlockStore::FindLeaf(const Hash& leaf_hash) {
  std::lock_guard lock(mu_);
  return FindLeafLocked(leaf_hash);
}

Result<SealedBlock> BlockStore::Seal(const std::vector<Bytes>& entries, uint64_t time_ms,
                                     const PrivateKey& authority) {
  std::lock_guard lock(mu_);
  Proposal p;
  if (Status s = ProposeLocked(entries, time_ms, authority, &p); !s.ok()) return s;
  SealedBlock out{p.block.head, std::move(p.placements)};
  if (p.block.leaves.empty()) return out;
  keys_.Begin();
  Frontier next = frontier_;  // committed only after the transaction is
  sql::Transaction tx(db_.get());
  if (!tx.begin_status().ok()) return tx.begin_status();
  for (const LeafRecord& l : p.block.leaves)
    if (Status s = AppendLeafLocked(&next, l.leaf_hash, ByteView(*l.entry)); !s.ok()) return s;
  if (Status s = InsertBlockLocked(out.head); !s.ok()) return s;
  if (Status s = keys_.Sweep(frontier_.size()); !s.ok()) return s;
  if (Status s = tx.Commit(); !s.ok()) return s;
  frontier_ = std::move(next);
  head_ = out.head;
  keys_.Committed();
  grown_.notify_all();
  return out;
}

Result<BlockStore::Proposal> BlockStore::Propose(const std::vector<Bytes>& entries, uint64_t time_ms,
                                                 const PrivateKey& authority) {
  std::lock_guard lock(mu_);
  Proposal out;
  if (Status s = ProposeLocked(entries, time_ms, authority, &out); !s.ok()) return s;
  return out;
}

Status BlockStore::ProposeLocked(const std::vector<Bytes>& entries, uint64_t time_ms, const PrivateKey& authority,
                                 Proposal* proposal) {
  if (authority.public_key() != authority_key_) return Status::InvalidArgument("not this chain's authority key");
  auto head = HeadLocked();
  if (!head.ok()) return head.status();
  Proposal& out = *proposal;
  Frontier next = frontier_;
  std::unordered_map<std::string, uint64_t> in_batch;  // leaf hash -> index, duplicates within the batch
  std::vector<Frontier::Completed> completed;
  for (const Bytes& e : entries) {
    Hash leaf = LeafHash(e);
    std::string key(leaf.bytes.begin(), leaf.bytes.end());
    if (auto it = in_batch.find(key); it != in_batch.end()) {
      out.placements.emplace_back(it->second, false);
      continue;
    }
    auto existing = FindLeafLocked(leaf);
    if (!existing.ok()) return existing.status();
    if (*existing) {
      out.placements.emplace_back(**existing, false);
      continue;
    }
    uint64_t index = next.size();
    completed.clear();
    next.Append(leaf, &completed);
    out.block.leaves.push_back(LeafRecord{index, leaf, e});
    in_batch.emplace(std::move(key), index);
    out.placements.emplace_back(index, true);
  }
  if (out.block.leaves.empty()) {
    out.block.head = *head;
    return Status::Ok();
  }
  BlockHeader h{head->header.height + 1, head->header.BlockHash(), std::max(time_ms, head->header.time_ms),
                next.size(), next.Root()};
  out.block.head = SignHeader(h, authority);
  return Status::Ok();
}

Status BlockStore::AppendLeafLocked(Frontier* next, const Hash& leaf, std::optional<ByteView> entry) {
  uint64_t index = next->size();
  std::vector<Frontier::Completed> completed;
  next->Append(leaf, &completed);
  insert_leaf_.Bind(1, static_cast<int64_t>(index)).Bind(2, leaf.View());
  if (entry) insert_leaf_.Bind(3, *entry);
  else insert_leaf_.BindNull(3);
  if (Status s = insert_leaf_.Run(); !s.ok()) return s;
  if (Status s = keys_.Add(LeafKey(leaf), index); !s.ok()) return s;
  for (const auto& c : completed) {
    if (c.level < kLowestStoredLevel) continue;
    if (Status s = insert_node_.Bind(1, NodeKey(c.level, c.index)).Bind(2, c.hash.View()).Run(); !s.ok()) return s;
  }
  return Status::Ok();
}

Status BlockStore::InsertBlockLocked(const SignedHeader& block) {
  const BlockHeader& h = block.header;
  return insert_block_.Bind(1, static_cast<int64_t>(h.height)).Bind(2, static_cast<int64_t>(h.tree_size))
      .Bind(3, ByteView(h.Encode())).Bind(4, ByteView(block.signature)).Run();
}

Status BlockStore::ApplyBlock(const SignedHeader& block, const std::vector<LeafRecord>& leaves) {
  size_t applied = 0;
  return ApplyBlocks({{block, leaves}}, &applied);
}

Status BlockStore::ApplyBlocks(const std::vector<BlockWithLeaves>& blocks, size_t* applied) {
  *applied = 0;
  if (blocks.empty()) return Status::Ok();
  // SQLite's write lock is taken without waiting while mu_ is held. Another connection of
  // this node (merchant, company) may hold it while waiting for mu_ to read this store;
  // waiting for it here would deadlock both until the busy timeout. So: on busy, let go of
  // mu_, wait a little, try again (for up to about 10 s).
  std::unique_lock lock(mu_);
  std::optional<sql::Transaction> tx;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (true) {
    tx.emplace(db_.get(), sql::Transaction::NoWait{});
    if (tx->begin_status().ok()) break;
    if (!tx->busy() || std::chrono::steady_clock::now() > give_up) return tx->begin_status();
    tx.reset();
    lock.unlock();
    db_->AwaitWriterEnd(std::chrono::milliseconds(1));
    lock.lock();
  }
  auto current = HeadLocked();
  if (!current.ok() && current.status().code() != Status::Code::kNotFound) return current.status();
  std::optional<SignedHeader> head;
  if (current.ok()) head = *current;
  keys_.Begin();
  Frontier next = frontier_;
  // One transaction for the lot (a commit per block would cost an fsync each); each block
  // in its own savepoint, so that the first bad one is undone alone and those before it stay.
  Status failure = Status::Ok();
  size_t good = 0;
  for (const auto& b : blocks) {
    if (Status s = db_->Exec("SAVEPOINT block"); !s.ok()) return s;
    Frontier before = next;
    const size_t keys_before = keys_.added();
    Status s = ApplyBlockLocked(b.head, b.leaves, &next, &head);
    if (!s.ok()) {
      next = std::move(before);
      keys_.Forget(keys_before);
      if (Status r = db_->Exec("ROLLBACK TO block; RELEASE block"); !r.ok()) return r;
      failure = s;
      break;
    }
    if (Status r = db_->Exec("RELEASE block"); !r.ok()) return r;
    ++good;
  }
  if (good == 0) return failure;
  if (Status s = keys_.Sweep(frontier_.size()); !s.ok()) return s;
  if (Status s = tx->Commit(); !s.ok()) return s;
  frontier_ = std::move(next);
  head_ = head;
  keys_.Committed();
  grown_.notify_all();
  *applied = good;
  return failure;
}

Status BlockStore::ApplyBlockLocked(const SignedHeader& block, const std::vector<LeafRecord>& leaves, Frontier* next,
                                    std::optional<SignedHeader>* head) {
  const BlockHeader& h = block.header;
  std::string at = "block " + std::to_string(h.height) + ": ";
  if (!block.SignatureValid(authority_key_)) return Status::Corruption(at + "the authority's signature does not verify");
  if (!*head) {
    if (h.height != 0 || h.prev_hash != Hash{} || h.tree_size != 0 || h.tree_root != EmptyRoot() || !leaves.empty())
      return Status::InvalidArgument(at + "an empty replica starts with the genesis block");
  } else {
    const BlockHeader& p = (*head)->header;
    if (h.height <= p.height) {
      // Already held: the same block again is fine; a different one is a second history.
      auto mine = BlockAtLocked(h.height);
      if (!mine.ok()) return mine.status();
      if (mine->header == h) return Status::Ok();
      return Status::Conflict(at + "the authority signed a different block at this height (split view)");
    }
    if (h.height != p.height + 1) return Status::InvalidArgument(at + "does not follow block " + std::to_string(p.height));
    if (h.prev_hash != p.BlockHash())
      return Status::Conflict(at + "prev_hash does not link to block " + std::to_string(p.height) + " (split view)");
    if (h.time_ms < p.time_ms) return Status::Corruption(at + "time goes backwards");
    if (h.tree_size <= p.tree_size || h.tree_size - p.tree_size != leaves.size())
      return Status::Corruption(at + "the leaves do not match its tree size");
  }
  for (const LeafRecord& l : leaves) {
    if (l.index != next->size()) return Status::Corruption(at + "leaf " + std::to_string(l.index) + " is out of order");
    if (l.entry) {
      if (!Entry::Decode(*l.entry).ok()) return Status::Corruption(at + "entry " + std::to_string(l.index) + " is malformed");
      if (LeafHash(*l.entry) != l.leaf_hash)
        return Status::Corruption(at + "entry " + std::to_string(l.index) + " does not hash to its leaf hash");
    }
    std::optional<ByteView> entry;
    if (l.entry) entry = ByteView(*l.entry);
    if (Status s = AppendLeafLocked(next, l.leaf_hash, entry); !s.ok()) return s;
  }
  // The root over the old tree plus these leaves: a block that rewrote history cannot match.
  if (next->Root() != h.tree_root)
    return Status::Conflict(at + "its tree root does not extend this replica's tree (split view)");
  if (Status s = InsertBlockLocked(block); !s.ok()) return s;
  *head = block;
  return Status::Ok();
}

Result<SignedHeader> BlockStore::BlockAt(uint64_t height) {
  std::lock_guard lock(mu_);
  return BlockAtLocked(height);
}

Result<SignedHeader> BlockStore::BlockAtLocked(uint64_t height) {
  read_block_.Bind(1, static_cast<int64_t>(height));
  auto row = read_block_.Step();
  if (!row.ok()) return row.status();
  if (!*row) {
    read_block_.Reset();
    return Status::NotFound("no block at height " + std::to_string(height));
  }
  auto h = HeaderFromRow(read_block_, 0, 1);
  read_block_.Reset();
  return h;
}

Result<std::vector<LeafRecord>> BlockStore::Leaves(uint64_t begin, uint64_t end) {
  std::lock_guard lock(mu_);
  auto s = db_->Prepare("SELECT idx, hash, entry FROM chain_leaf WHERE idx >= ?1 AND idx < ?2 ORDER BY idx");
  if (!s.ok()) return s.status();
  s->Bind(1, static_cast<int64_t>(begin)).Bind(2, static_cast<int64_t>(end));
  std::vector<LeafRecord> out;
  while (true) {
    auto row = s->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    auto h = HashFromBlob(*s, 1, "leaf");
    if (!h.ok()) return h.status();
    LeafRecord r{static_cast<uint64_t>(s->Int(0)), *h, std::nullopt};
    if (!s->IsNull(2)) r.entry = s->Blob(2);
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::vector<Hash>> BlockStore::InclusionProof(uint64_t index, uint64_t tree_size) {
  std::lock_guard lock(mu_);
  if (tree_size > frontier_.size()) return Status::InvalidArgument("tree_size beyond the head");
  sql::ReadTransaction read(db_.get());
  return ledger::InclusionProof([this](int l, uint64_t i) { return ReadNode(l, i); }, index, tree_size);
}

Result<std::vector<Hash>> BlockStore::TileHashes(int level, uint64_t index, uint32_t width) {
  if (level < 0 || level > 7 || width == 0 || width > 256 || index >= (uint64_t{1} << 48))
    return Status::InvalidArgument("no such tile");
  std::lock_guard lock(mu_);
  const int tree_level = 8 * level;
  const uint64_t first = index * 256, end = first + width;
  if (end > (frontier_.size() >> tree_level)) return Status::NotFound("the tree does not reach this tile yet");
  sql::ReadTransaction read(db_.get());
  std::vector<Hash> out;
  out.reserve(width);
  for (uint64_t i = first; i < end; ++i) {
    auto h = ReadNode(tree_level, i);
    if (!h.ok()) return h.status();
    out.push_back(*h);
  }
  return out;
}

Result<std::vector<Hash>> BlockStore::ConsistencyProof(uint64_t first, uint64_t second) {
  std::lock_guard lock(mu_);
  if (second > frontier_.size()) return Status::InvalidArgument("second beyond the head");
  sql::ReadTransaction read(db_.get());
  return ledger::ConsistencyProof([this](int l, uint64_t i) { return ReadNode(l, i); }, first, second);
}

Result<uint64_t> BlockStore::HeightOfLeaf(uint64_t index) {
  std::lock_guard lock(mu_);
  auto s = db_->Prepare("SELECT height FROM chain_block WHERE tree_size > ?1 ORDER BY tree_size LIMIT 1");
  if (!s.ok()) return s.status();
  auto row = s->Bind(1, static_cast<int64_t>(index)).Step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::NotFound("leaf " + std::to_string(index) + " is not sealed");
  return static_cast<uint64_t>(s->Int(0));
}

}  // namespace ledger
