// The durable chain: blocks, leaves (with the full entry where this node holds it) and
// the complete Merkle subtrees from level kLowestStoredLevel up, in one SQLite file (WAL,
// synchronous=FULL).
//
// Seal() is the authority's group commit: many entries become one block in one
// transaction, and it returns only after that transaction is on disk. Proofs read a
// handful of stored subtree hashes and at most 15 leaf hashes. Thread-safe: one internal lock
// serialises access to the connection.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "ledger/block.h"
#include "ledger/leaf_keys.h"
#include "ledger/merkle.h"
#include "ledger/sqlite_db.h"

namespace ledger {

struct LeafRecord {
  uint64_t index = 0;
  Hash leaf_hash;
  std::optional<Bytes> entry;  // absent on a replica that does not hold this entry
};

struct SealedBlock {
  SignedHeader head;
  // For each input entry, in order: its leaf index, and whether this block sealed it
  // (false: the same entry was already on the chain, at that index).
  std::vector<std::pair<uint64_t, bool>> placements;
};

class BlockStore {
 public:
  // Opens the store, creating the tables if needed. A new store is bound to
  // `authority_key`; an existing one must already be bound to the same key.
  static Result<std::unique_ptr<BlockStore>> Open(const std::string& path,
                                                  const PublicKeyBytes& authority_key);
  // Opens an existing store with the authority key it was created with.
  static Result<std::unique_ptr<BlockStore>> OpenExisting(const std::string& path);
  // The suite of an existing store's chain (by its authority key), without opening it for
  // writing: what a tool calls UseSuite() with before it reads the chain.
  static Result<Suite> SuiteOf(const std::string& path);

  const PublicKeyBytes& authority_key() const { return authority_key_; }

  // Writes the genesis block (height 0, empty tree) if the chain is empty.
  Result<SignedHeader> InitGenesis(const PrivateKey& authority, uint64_t time_ms);
  // Seals canonical entries into one new block, durably. Entries already on the chain are
  // not sealed again. `time_ms` is clamped to the previous block's time if earlier. An
  // empty batch of new entries seals nothing and returns the current head.
  Result<SealedBlock> Seal(const std::vector<Bytes>& entries, uint64_t time_ms, const PrivateKey& authority);

  // Replicas: appends a block the authority sealed, after checking that it extends this
  // chain: its signature, height, prev_hash and time, every held entry against its leaf hash,
  // and the root over the whole tree. `leaves` are the block's leaves in order, each with its
  // entry where this replica may hold it. Returns Conflict for a block that belongs to
  // another history (a split view), Corruption for bad data, Ok for a block already held.
  Status ApplyBlock(const SignedHeader& block, const std::vector<LeafRecord>& leaves);
  // Several consecutive blocks in one transaction: applies them in order up to the first
  // that fails (whose status is returned); `applied` says how many were applied.
  struct BlockWithLeaves {
    SignedHeader head;
    std::vector<LeafRecord> leaves;
  };
  Status ApplyBlocks(const std::vector<BlockWithLeaves>& blocks, size_t* applied);

  // An authority group's leader (app/group/README.md): the block Seal would make of `entries`
  // now, signed, with its leaves in full, written nowhere. It is written (ApplyBlock) once a
  // majority of the group holds it. `placements` as Seal's; with no new entry, `block` is
  // the head and has no leaves.
  struct Proposal {
    BlockWithLeaves block;
    std::vector<std::pair<uint64_t, bool>> placements;
  };
  Result<Proposal> Propose(const std::vector<Bytes>& entries, uint64_t time_ms, const PrivateKey& authority);

  Result<SignedHeader> Head();
  // Waits up to `timeout_ms` until this store holds block `height` (sealed here or applied
  // from the authority); whether it does. The one wait for a height: the authority's long
  // polls and a taxpayer's wait for its replica both use it.
  bool WaitForHeight(uint64_t height, int timeout_ms);
  Result<SignedHeader> BlockAt(uint64_t height);
  Result<std::vector<LeafRecord>> Leaves(uint64_t begin, uint64_t end);
  Result<std::optional<uint64_t>> FindLeaf(const Hash& leaf_hash);
  Result<std::vector<Hash>> InclusionProof(uint64_t index, uint64_t tree_size);
  Result<std::vector<Hash>> ConsistencyProof(uint64_t first, uint64_t second);
  // The hashes of a C2SP tile (ledger/tlog.h): at tile level `level` (tree level 8 x level),
  // the `width` nodes from index 256 x `index`, each the root of a complete subtree; NotFound
  // when the tree does not hold them all yet.
  Result<std::vector<Hash>> TileHashes(int level, uint64_t index, uint32_t width);
  // The height of the block that sealed leaf `index`.
  Result<uint64_t> HeightOfLeaf(uint64_t index);

 private:
  BlockStore(std::unique_ptr<sql::Db> db, PublicKeyBytes key) : db_(std::move(db)), authority_key_(key) {}
  Status Prepare();
  Result<Hash> ReadNode(int level, uint64_t index);
  Result<std::optional<uint64_t>> FindLeafLocked(const Hash& leaf_hash);
  Result<SignedHeader> HeadLocked();
  Status AppendLeafLocked(Frontier* next, const Hash& leaf, std::optional<ByteView> entry);
  Status MigrateLocked();
  Status InsertBlockLocked(const SignedHeader& block);
  // The next block of `entries` (Propose), computed from the committed tree; writes nothing.
  Status ProposeLocked(const std::vector<Bytes>& entries, uint64_t time_ms, const PrivateKey& authority,
                       Proposal* proposal);
  // Checks `block` against `head` and appends it (leaves, nodes, block row) to `next` and
  // the open transaction; on success `head` becomes the block.
  Status ApplyBlockLocked(const SignedHeader& block, const std::vector<LeafRecord>& leaves, Frontier* next,
                          std::optional<SignedHeader>* head);
  Result<SignedHeader> BlockAtLocked(uint64_t height);

  std::mutex mu_;
  std::condition_variable grown_;  // notified when head_ moves on (with mu_)
  std::unique_ptr<sql::Db> db_;
  PublicKeyBytes authority_key_;
  std::optional<SignedHeader> head_;  // cached, matches the last committed block
  Frontier frontier_;                 // right edge of the tree after head_
  sql::Stmt read_leaf_, read_node_, insert_leaf_, read_leaves_, insert_node_, insert_block_, read_block_, last_block_;
  LeafKeyIndex keys_;  // finds leaves by hash
};

// Subtrees below this level are not stored: a proof hashes them from their (at most 8)
// leaves, and the node table has about one row per 8 leaves instead of one per leaf.
constexpr int kLowestStoredLevel = 4;

// The integer key of a complete subtree in the node table: level in the high bits.
inline int64_t NodeKey(int level, uint64_t index) {
  return static_cast<int64_t>((static_cast<uint64_t>(level) << 40) | index);
}
// The first 8 bytes of a leaf hash as the (non-unique) lookup key of ledger/leaf_keys.h.
int64_t LeafKey(const Hash& h);

}  // namespace ledger
