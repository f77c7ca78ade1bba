// Helpers for ledger tests: deterministic keys and a chain of signed entries on disk.
#pragma once

#include <filesystem>
#include <string>
#include <unistd.h>

#include "ledger/block_store.h"
#include "ledger/entry.h"

namespace ledger::testing {

inline PrivateKey KeyFromByte(uint8_t b) {
  std::array<uint8_t, 32> seed{};
  seed.fill(b);
  return *PrivateKey::FromSeed(seed);
}

inline Bytes MakeEntry(const PrivateKey& key, const std::string& payload, const std::string& kind = "issue") {
  return Entry::Make(kind, "91440300MA5F000001", Bytes(payload.begin(), payload.end()), key)->Encode();
}

// A fresh folder under the test temp dir, removed on destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "einvoice-test-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string File(const std::string& name) const { return (std::filesystem::path(path_) / name).string(); }

 private:
  std::string path_;
};

// Writes a chain of `blocks` blocks (plus genesis) holding `per_block` entries each; the
// payloads start with `prefix`, so two prefixes give two different histories.
inline void BuildChain(const std::string& path, int blocks, int per_block, const std::string& prefix = "payload") {
  PrivateKey authority = KeyFromByte(1), node = KeyFromByte(2);
  auto store = BlockStore::Open(path, authority.public_key());
  (*store)->InitGenesis(authority, 1000);
  for (int b = 0; b < blocks; ++b) {
    std::vector<Bytes> entries;
    for (int i = 0; i < per_block; ++i) entries.push_back(MakeEntry(node, prefix + " " + std::to_string(b) + "/" + std::to_string(i)));
    (*store)->Seal(entries, 2000 + b, authority);
  }
}

}  // namespace ledger::testing
