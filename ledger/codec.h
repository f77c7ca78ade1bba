// Big-endian writer and bounds-checked reader for the chain's binary formats.
#pragma once

#include <cstdint>
#include <cstring>

#include "ledger/hash.h"

namespace ledger {

class Writer {
 public:
  explicit Writer(Bytes* out) : out_(out) {}
  void Raw(ByteView b) { out_->insert(out_->end(), b.begin(), b.end()); }
  void U8(uint8_t v) { out_->push_back(v); }
  void U32(uint32_t v) { for (int s = 24; s >= 0; s -= 8) out_->push_back(static_cast<uint8_t>(v >> s)); }
  void U64(uint64_t v) { for (int s = 56; s >= 0; s -= 8) out_->push_back(static_cast<uint8_t>(v >> s)); }

 private:
  Bytes* out_;
};

class Reader {
 public:
  explicit Reader(ByteView in) : in_(in) {}
  bool Raw(size_t n, uint8_t* dst) {
    if (in_.size() - pos_ < n) return false;
    if (n) std::memcpy(dst, in_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  bool U8(uint8_t* v) { return Raw(1, v); }
  bool U32(uint32_t* v) {
    uint8_t b[4];
    if (!Raw(4, b)) return false;
    *v = uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | b[3];
    return true;
  }
  bool U64(uint64_t* v) {
    uint8_t b[8];
    if (!Raw(8, b)) return false;
    *v = 0;
    for (uint8_t x : b) *v = *v << 8 | x;
    return true;
  }
  size_t remaining() const { return in_.size() - pos_; }

 private:
  ByteView in_;
  size_t pos_ = 0;
};

}  // namespace ledger
