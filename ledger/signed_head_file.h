// The newest block header the authority signed, kept durably in a small file of its own
// beside the chain's database. Defence in depth: a database restored from a backup, or one
// that lost committed blocks (a WAL deleted under the node), is caught here before the
// authority signs a second, different block at a height it has signed before.
//
// File format: two 512-byte slots written alternately, each
//   magic "EIH1" | seq u64 BE | header (format::kHeaderLen) | signature[64]
//   | SHA-256 of every byte before it in the slot
// The slot with a valid checksum and the higher seq is current, so a write torn by a crash
// leaves the other slot intact. Not thread-safe: its owner (the sealer) serialises use.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "ledger/block.h"
#include "ledger/status.h"

namespace ledger {

class SignedHeadFile {
 public:
  // Opens `path`, creating it (empty, fsync'd with its folder) if it does not exist.
  // Corruption if the file exists but neither slot holds a valid record.
  static Result<std::unique_ptr<SignedHeadFile>> Open(const std::string& path);
  ~SignedHeadFile();
  SignedHeadFile(const SignedHeadFile&) = delete;
  SignedHeadFile& operator=(const SignedHeadFile&) = delete;

  // The newest head recorded, if any.
  const std::optional<SignedHeader>& last() const { return last_; }
  // Records `head` durably (written and fdatasync'd before it returns). A head lower than
  // the one recorded is not recorded (the file never goes back); Ok either way.
  Status Record(const SignedHeader& head);
  const std::string& path() const { return path_; }

 private:
  SignedHeadFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_ = -1;
  uint64_t seq_ = 0;  // of the current slot; the next write goes to the other one
  std::optional<SignedHeader> last_;
};

}  // namespace ledger
