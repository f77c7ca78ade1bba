#include "ledger/signed_head_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "ledger/codec.h"
#include "ledger/format.h"

namespace ledger {
namespace {

constexpr uint8_t kMagic[4] = {'E', 'I', 'H', '1'};
constexpr size_t kSlotSize = 512;
constexpr size_t kBodyLen = 4 + 8 + format::kHeaderLen + format::kSignatureLen;
static_assert(kBodyLen + 32 <= kSlotSize);

Status Errno(const std::string& what, const std::string& path) {
  return Status::IOError(what + " " + path + ": " + std::strerror(errno));
}

struct Slot {
  uint64_t seq = 0;
  SignedHeader head;
};

std::optional<Slot> ParseSlot(const uint8_t* p) {
  Hash sum = Sha256(ByteView(p, kBodyLen));
  if (!std::equal(sum.bytes.begin(), sum.bytes.end(), p + kBodyLen) || !std::equal(kMagic, kMagic + 4, p))
    return std::nullopt;
  Reader r(ByteView(p + 4, kBodyLen - 4));
  Slot s;
  r.U64(&s.seq);
  Bytes header(format::kHeaderLen);
  r.Raw(header.size(), header.data());
  r.Raw(format::kSignatureLen, s.head.signature.data());
  auto decoded = BlockHeader::Decode(header);
  if (!decoded.ok()) return std::nullopt;
  s.head.header = *decoded;
  return s;
}

}  // namespace

Result<std::unique_ptr<SignedHeadFile>> SignedHeadFile::Open(const std::string& path) {
  bool existed = std::filesystem::exists(path);
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("cannot open", path);
  std::unique_ptr<SignedHeadFile> f(new SignedHeadFile(path, fd));
  if (!existed) {
    // The new file's name must survive a crash too: sync the folder that holds it.
    std::string dir = std::filesystem::path(path).parent_path().string();
    int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return Errno("cannot open the folder of", path);
    int rc = ::fsync(dfd);
    ::close(dfd);
    if (rc != 0) return Errno("cannot sync the folder of", path);
    return f;
  }
  uint8_t buf[2 * kSlotSize] = {};
  ssize_t n = ::pread(fd, buf, sizeof buf, 0);
  if (n < 0) return Errno("cannot read", path);
  if (n == 0) return f;  // created, but nothing recorded before a crash
  std::optional<Slot> best;
  for (size_t at : {size_t{0}, kSlotSize}) {
    if (static_cast<size_t>(n) < at + kBodyLen + 32) break;
    if (auto s = ParseSlot(buf + at); s && (!best || s->seq > best->seq)) best = s;
  }
  if (!best) return Status::Corruption(path + " holds no valid signed head (both slots are damaged)");
  f->seq_ = best->seq;
  f->last_ = best->head;
  return f;
}

SignedHeadFile::~SignedHeadFile() {
  if (fd_ >= 0) ::close(fd_);
}

Status SignedHeadFile::Record(const SignedHeader& head) {
  if (last_ && head.header.height <= last_->header.height) return Status::Ok();
  uint8_t slot[kSlotSize] = {};
  Bytes body;
  body.reserve(kBodyLen);
  Writer w(&body);
  w.Raw(ByteView(kMagic, 4));
  w.U64(seq_ + 1);
  w.Raw(head.header.Encode());
  w.Raw(ByteView(head.signature.data(), head.signature.size()));
  Hash sum = Sha256(body);
  std::memcpy(slot, body.data(), body.size());
  std::memcpy(slot + body.size(), sum.bytes.data(), sum.bytes.size());
  off_t at = static_cast<off_t>(((seq_ + 1) % 2) * kSlotSize);
  if (::pwrite(fd_, slot, sizeof slot, at) != static_cast<ssize_t>(sizeof slot)) return Errno("cannot write", path_);
  if (::fdatasync(fd_) != 0) return Errno("cannot sync", path_);
  ++seq_;
  last_ = head;
  return Status::Ok();
}

}  // namespace ledger
