#include "app/chain/checkpoint.h"

#include "ledger/tlog.h"

namespace app {

Checkpointer::Checkpointer(std::string origin, const ledger::PrivateKey& key) : origin_(std::move(origin)), key_(key) {}

std::string Checkpointer::VerifierKey() const { return ledger::tlog::FormatVerifierKey(origin_, key_.public_key()); }

std::string Checkpointer::Signed(const ledger::SignedHeader& head) {
  MutexLock lock(mu_);
  if (cached_size_ != head.header.tree_size) {
    const std::string text = ledger::tlog::FormatCheckpoint({origin_, head.header.tree_size, head.header.tree_root, {}});
    cached_ = ledger::tlog::SignNote(text, origin_, key_);
    cached_size_ = head.header.tree_size;
  }
  return cached_;
}

std::string DefaultOrigin(const std::string& public_url) {
  std::string o = public_url;
  if (size_t p = o.find("://"); p != std::string::npos) o = o.substr(p + 3);
  while (!o.empty() && o.back() == '/') o.pop_back();
  return o;
}

}  // namespace app
