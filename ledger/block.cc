#include "ledger/block.h"

#include <algorithm>

#include "ledger/codec.h"
#include "ledger/format.h"

namespace ledger {

Bytes BlockHeader::Encode() const {
  Bytes out;
  out.reserve(format::kHeaderLen);
  Writer w(&out);
  w.Raw(ByteView(format::BlockMagic(ActiveSuite()), 4));
  w.U64(height);
  w.Raw(prev_hash.View());
  w.U64(time_ms);
  w.U64(tree_size);
  w.Raw(tree_root.View());
  return out;
}

Hash BlockHeader::BlockHash() const { return ChainHash(Encode()); }

Result<BlockHeader> BlockHeader::Decode(ByteView bytes) {
  if (bytes.size() != format::kHeaderLen) return Status::Corruption("header: wrong length");
  Reader r(bytes);
  uint8_t magic[4];
  BlockHeader h;
  r.Raw(4, magic);
  std::optional<Suite> suite = format::SuiteOfMagic(magic, format::kBlockMagic);
  if (!suite) return Status::Corruption("header: bad magic");
  if (*suite != ActiveSuite()) return Status::Corruption("header: " + SuiteMismatch("the block", *suite).message());
  r.U64(&h.height);
  r.Raw(32, h.prev_hash.bytes.data());
  r.U64(&h.time_ms);
  r.U64(&h.tree_size);
  r.Raw(32, h.tree_root.bytes.data());
  return h;
}

bool SignedHeader::SignatureValid(const PublicKeyBytes& authority) const {
  return VerifySignature(authority, header.Encode(), signature);
}

SignedHeader SignHeader(const BlockHeader& header, const PrivateKey& authority) {
  return SignedHeader{header, authority.Sign(header.Encode())};
}

}  // namespace ledger
