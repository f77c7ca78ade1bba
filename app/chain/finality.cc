#include "app/chain/finality.h"

#include <stdexcept>

namespace app {

FinalityPolicy ParseWitnessList(std::string_view text, int quorum) {
  FinalityPolicy p;
  int n = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++n;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    auto key = ledger::tlog::ParseVerifierKey(line);
    if (!key.ok() || key->type != ledger::tlog::CosignatureType())
      throw std::invalid_argument("line " + std::to_string(n) + " is not a witness's verifier key (name+id+key) of " + std::string(ledger::SuiteName(ledger::ActiveSuite())));
    p.witnesses.push_back(*key);
  }
  const int listed = static_cast<int>(p.witnesses.size());
  p.quorum = quorum < 0 ? listed : quorum;
  if (p.quorum > listed)
    throw std::invalid_argument("a quorum of " + std::to_string(p.quorum) + " needs at least that many witnesses; " +
                                std::to_string(listed) + " listed");
  return p;
}

ledger::Result<CosignedCheckpoint> CheckCosigned(std::string_view note, const ledger::PublicKeyBytes& authority,
                                                 const FinalityPolicy& policy) {
  using ledger::Status;
  auto parsed = ledger::tlog::ParseNote(note);
  if (!parsed.ok()) return Status::InvalidArgument("the checkpoint is not a signed note: " + parsed.status().message());
  auto c = ledger::tlog::ParseCheckpoint(parsed->text);
  if (!c.ok()) return Status::InvalidArgument("the note is not a checkpoint: " + c.status().message());
  auto log = ledger::tlog::ParseVerifierKey(ledger::tlog::FormatVerifierKey(c->origin, authority));
  if (!log.ok()) return Status::InvalidArgument("the checkpoint's origin is not a key name");
  auto signed_by = ledger::tlog::VerifiedBy(*parsed, *log);
  if (!signed_by.ok() || !*signed_by) return Status::Corruption("the checkpoint is not signed by the authority's key");
  CosignedCheckpoint out{*c, {}};
  for (const auto& w : policy.witnesses) {
    auto t = ledger::tlog::CosignatureTime(*parsed, w);
    if (!t.ok()) return Status::Corruption("the cosignature of " + w.name + " does not verify");
    if (t->has_value()) out.cosigners.push_back(w.name);
  }
  if (static_cast<int>(out.cosigners.size()) < policy.quorum)
    return Status::NotFound("the checkpoint of tree size " + std::to_string(c->size) + " has " +
                            std::to_string(out.cosigners.size()) + " of the " + std::to_string(policy.quorum) +
                            " cosignatures the policy needs");
  return out;
}

std::string DescribeFinality(const CosignedCheckpoint& c, const FinalityPolicy& policy) {
  std::string names;
  for (const auto& n : c.cosigners) names += (names.empty() ? "" : ", ") + n;
  return "tree size " + std::to_string(c.checkpoint.size) + ", cosigned by " + std::to_string(c.cosigners.size()) + " of " +
         std::to_string(policy.witnesses.size()) + (names.empty() ? "" : " (" + names + ")") + ", " +
         std::to_string(policy.quorum) + " needed";
}

}  // namespace app
