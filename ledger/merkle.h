// RFC 9162 (Certificate Transparency v2) Merkle tree: the verifiers (pure functions over
// hashes), proof generation over any store of complete subtree hashes, and the compact
// "frontier" that appends a leaf in amortised O(1) without reading the tree back.
//
// A complete subtree is named (level, index): it covers leaves [index << level,
// (index + 1) << level); level 0 is the leaf hash itself.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "ledger/hash.h"
#include "ledger/status.h"

namespace ledger {

// RFC 9162 §2.1.3.2. True only if `proof` proves `leaf` at `index` in the tree of `size`
// whose root is `root`.
bool VerifyInclusion(uint64_t index, uint64_t size, const Hash& leaf,
                     const std::vector<Hash>& proof, const Hash& root);

// RFC 9162 §2.1.4.2. True only if the tree of size `size2` and root `root2` extends the one
// of size `size1` and root `root1`. size1 == 0 is refused (it proves nothing).
bool VerifyConsistency(uint64_t size1, uint64_t size2, const Hash& root1, const Hash& root2,
                       const std::vector<Hash>& proof);

// The same checks over hashes as they arrive from outside (JSON, files): any hash that is
// not 32 bytes fails, except that equal sizes with byte-equal roots need no hashing at all.
bool VerifyInclusionBytes(uint64_t index, uint64_t size, ByteView leaf, const std::vector<Bytes>& proof,
                          ByteView root);
bool VerifyConsistencyBytes(uint64_t size1, uint64_t size2, ByteView root1, ByteView root2,
                            const std::vector<Bytes>& proof);

// The hash of a complete subtree (level, index), read from wherever the tree is stored.
using NodeReader = std::function<Result<Hash>(int level, uint64_t index)>;

// MTH(D[begin:end]) computed from complete subtrees: O(log(end - begin)) reads.
Result<Hash> SubtreeHash(const NodeReader& read, uint64_t begin, uint64_t end);
// RFC 9162 §2.1.3.1 PATH(index, D[0:size]).
Result<std::vector<Hash>> InclusionProof(const NodeReader& read, uint64_t index, uint64_t size);
// RFC 9162 §2.1.4.1 PROOF(size1, D[0:size2]).
Result<std::vector<Hash>> ConsistencyProof(const NodeReader& read, uint64_t size1, uint64_t size2);

// The right edge of a growing tree: one complete-subtree hash per set bit of size().
// Append() reports every complete subtree it finishes, so a store can persist them.
// Not thread-safe.
class Frontier {
 public:
  struct Completed { int level; uint64_t index; Hash hash; };

  uint64_t size() const { return size_; }
  // Appends a leaf hash; `completed` receives the subtrees of level >= 1 it finishes.
  void Append(const Hash& leaf, std::vector<Completed>* completed);
  Hash Root() const;  // MTH of all leaves so far; EmptyRoot() when empty
  // Rebuilds the frontier of a tree of `size` leaves from stored complete subtrees.
  static Result<Frontier> Load(const NodeReader& read, uint64_t size);

 private:
  uint64_t size_ = 0;
  std::vector<Hash> stack_;  // largest (leftmost) subtree first
};

// MTH over a list of leaf hashes, the plain recursive definition (tests and small trees).
Hash RootOf(const std::vector<Hash>& leaves);

}  // namespace ledger
