#include "ledger/merkle.h"

#include <algorithm>
#include <bit>
#include <optional>

namespace ledger {
namespace {

// Largest power of two strictly less than n (n >= 2): the split point of RFC 9162 §2.1.1.
uint64_t SplitPoint(uint64_t n) { return std::bit_floor(n - 1); }

Result<std::vector<Hash>> Path(const NodeReader& read, uint64_t m, uint64_t lo, uint64_t hi) {
  std::vector<Hash> out;
  // Walk down from the root, collecting the sibling of each subtree holding m, then reverse
  // so the path runs leaf to root as RFC 9162 prescribes.
  while (hi - lo > 1) {
    uint64_t k = SplitPoint(hi - lo);
    Result<Hash> sibling = m < lo + k ? SubtreeHash(read, lo + k, hi) : SubtreeHash(read, lo, lo + k);
    if (!sibling.ok()) return sibling.status();
    out.push_back(*sibling);
    if (m < lo + k) hi = lo + k; else lo = lo + k;
  }
  return std::vector<Hash>(out.rbegin(), out.rend());
}

}  // namespace

bool VerifyInclusion(uint64_t index, uint64_t size, const Hash& leaf,
                     const std::vector<Hash>& proof, const Hash& root) {
  if (index >= size) return false;
  uint64_t fn = index, sn = size - 1;
  Hash r = leaf;
  for (const Hash& p : proof) {
    if (sn == 0) return false;
    if ((fn & 1) || fn == sn) {
      r = NodeHash(p, r);
      if (!(fn & 1)) {
        while (!(fn & 1) && fn != 0) { fn >>= 1; sn >>= 1; }
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

bool VerifyConsistency(uint64_t size1, uint64_t size2, const Hash& root1, const Hash& root2,
                       const std::vector<Hash>& proof) {
  if (size1 > size2 || size1 == 0) return false;  // a proof from the empty tree proves nothing
  if (size1 == size2) return proof.empty() && root1 == root2;
  if (proof.empty()) return false;
  std::vector<Hash> path;
  if (std::has_single_bit(size1)) path.push_back(root1);
  path.insert(path.end(), proof.begin(), proof.end());
  uint64_t fn = size1 - 1, sn = size2 - 1;
  while (fn & 1) { fn >>= 1; sn >>= 1; }
  Hash fr = path[0], sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    const Hash& c = path[i];
    if (sn == 0) return false;
    if ((fn & 1) || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      if (!(fn & 1)) {
        while (!(fn & 1) && fn != 0) { fn >>= 1; sn >>= 1; }
      }
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && fr == root1 && sr == root2;
}

namespace {

std::optional<std::vector<Hash>> ToHashes(const std::vector<Bytes>& in) {
  std::vector<Hash> out(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i].size() != 32) return std::nullopt;
    std::copy(in[i].begin(), in[i].end(), out[i].bytes.begin());
  }
  return out;
}

std::optional<Hash> ToHash(ByteView b) {
  if (b.size() != 32) return std::nullopt;
  Hash h;
  std::copy(b.begin(), b.end(), h.bytes.begin());
  return h;
}

}  // namespace

bool VerifyInclusionBytes(uint64_t index, uint64_t size, ByteView leaf, const std::vector<Bytes>& proof,
                          ByteView root) {
  auto l = ToHash(leaf), r = ToHash(root);
  auto p = ToHashes(proof);
  return l && r && p && VerifyInclusion(index, size, *l, *p, *r);
}

bool VerifyConsistencyBytes(uint64_t size1, uint64_t size2, ByteView root1, ByteView root2,
                            const std::vector<Bytes>& proof) {
  if (size1 > size2 || size1 == 0) return false;
  if (size1 == size2) return proof.empty() && std::equal(root1.begin(), root1.end(), root2.begin(), root2.end());
  auto r1 = ToHash(root1), r2 = ToHash(root2);
  auto p = ToHashes(proof);
  return r1 && r2 && p && VerifyConsistency(size1, size2, *r1, *r2, *p);
}

Result<Hash> SubtreeHash(const NodeReader& read, uint64_t begin, uint64_t end) {
  if (begin >= end) return Status::InvalidArgument("empty subtree");
  uint64_t n = end - begin;
  if (std::has_single_bit(n) && begin % n == 0) return read(std::countr_zero(n), begin / n);
  // A right-edge subtree: the left part is complete, the right part recurses.
  uint64_t k = SplitPoint(n);
  Result<Hash> left = SubtreeHash(read, begin, begin + k);
  if (!left.ok()) return left;
  Result<Hash> right = SubtreeHash(read, begin + k, end);
  if (!right.ok()) return right;
  return NodeHash(*left, *right);
}

Result<std::vector<Hash>> InclusionProof(const NodeReader& read, uint64_t index, uint64_t size) {
  if (index >= size) return Status::InvalidArgument("leaf index outside the tree");
  return Path(read, index, 0, size);
}

Result<std::vector<Hash>> ConsistencyProof(const NodeReader& read, uint64_t size1, uint64_t size2) {
  if (size1 == 0 || size1 > size2) return Status::InvalidArgument("need 0 < first <= second");
  // SUBPROOF(m, D[lo:hi], b), unrolled: collect siblings root-down, then reverse.
  std::vector<Hash> out;
  uint64_t m = size1, lo = 0, hi = size2;
  bool b = true;
  while (true) {
    uint64_t n = hi - lo;
    if (m == n) {
      if (!b) {
        Result<Hash> h = SubtreeHash(read, lo, hi);
        if (!h.ok()) return h.status();
        out.push_back(*h);
      }
      break;
    }
    uint64_t k = SplitPoint(n);
    if (m <= k) {
      Result<Hash> h = SubtreeHash(read, lo + k, hi);
      if (!h.ok()) return h.status();
      out.push_back(*h);
      hi = lo + k;
    } else {
      Result<Hash> h = SubtreeHash(read, lo, lo + k);
      if (!h.ok()) return h.status();
      out.push_back(*h);
      m -= k;
      lo += k;
      b = false;
    }
  }
  return std::vector<Hash>(out.rbegin(), out.rend());
}

void Frontier::Append(const Hash& leaf, std::vector<Completed>* completed) {
  Hash h = leaf;
  uint64_t index = size_;
  int level = 0;
  // Each trailing one bit of the old size is a complete subtree that merges with the new one.
  for (uint64_t s = size_; s & 1; s >>= 1) {
    h = NodeHash(stack_.back(), h);
    stack_.pop_back();
    ++level;
    index >>= 1;
    if (completed) completed->push_back({level, index, h});
  }
  stack_.push_back(h);
  ++size_;
}

Hash Frontier::Root() const {
  if (stack_.empty()) return EmptyRoot();
  Hash r = stack_.back();
  for (size_t i = stack_.size() - 1; i-- > 0;) r = NodeHash(stack_[i], r);
  return r;
}

Result<Frontier> Frontier::Load(const NodeReader& read, uint64_t size) {
  Frontier f;
  uint64_t begin = 0;
  for (int level = 63; level >= 0; --level) {
    if (!((size >> level) & 1)) continue;
    Result<Hash> h = read(level, begin >> level);
    if (!h.ok()) return h.status();
    f.stack_.push_back(*h);
    begin += uint64_t{1} << level;
  }
  f.size_ = size;
  return f;
}

Hash RootOf(const std::vector<Hash>& leaves) {
  Frontier f;
  for (const Hash& l : leaves) f.Append(l, nullptr);
  return f.Root();
}

}  // namespace ledger
