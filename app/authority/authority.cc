#include "app/base/logging.h"
#include "app/authority/authority.h"
#include "app/base/or_throw.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/Logger.h>

#include <sstream>
#include <stdexcept>

#include "app/http/api_error.h"
#include "app/authority/audit.h"
#include "app/chain/chain_events.h"
#include "invoice/admission.h"
#include "invoice/disclosure.h"
#include "invoice/event_codec.h"
#include "ledger/entry.h"

namespace app {

using invoice::Refusal;
using invoice::Verdict;

namespace {

Verdict Refuse(Refusal r, std::string message, std::string field = "") {
  return Verdict{r, std::move(message), std::move(field), std::nullopt};
}

}  // namespace

std::string SignedHeadPath(const std::string& node_db) {
  const std::string ext = ".db";
  if (node_db.size() > ext.size() && node_db.compare(node_db.size() - ext.size(), ext.size(), ext) == 0)
    return node_db.substr(0, node_db.size() - ext.size()) + ".head";
  return node_db + ".head";
}

Authority::Authority(ledger::BlockStore& store, const ledger::PrivateKey& key, const std::string& lifecycle_db,
                     const std::string& signed_head_file)
    : commit_([this](const std::vector<Commit::Slot*>& batch) { SealSubmissions(batch); }, kMaxBlockEntries,
              [](const Submission& s) { return s.entries.size(); }),
      store_(store),
      key_(key) {
  lifecycle_store_ = std::make_unique<LifecycleStore>(lifecycle_db, store_);
  auto head = ledger::SignedHeadFile::Open(signed_head_file);
  OrThrow(head);
  signed_head_ = std::move(*head);
}

void Authority::Replay() {
  MutexLock lock(mu_);
  ReplayLocked();
  auto head = store_.Head();
  OrThrow(head);
  if (signed_head_->last()) CheckSignedHeadLocked(*signed_head_->last(), signed_head_->path());
  else OrThrow(signed_head_->Record(*head));
}

std::string Authority::sealing_refused() {
  MutexLock lock(mu_);
  return sealing_refused_;
}

void Authority::RefuseSealingLocked(const std::string& why) {
  if (!sealing_refused_.empty()) return;
  sealing_refused_ = why;
  Poco::Logger::get("authority").critical("SEALING REFUSED: %s. Nothing more is signed until an operator restores a "
                                          "database that holds every block this authority signed.",
                                          why);
}

void Authority::CheckSignedHeadLocked(const ledger::SignedHeader& signed_head, const std::string& source) {
  auto head = store_.Head();
  OrThrow(head);
  const uint64_t h = signed_head.header.height;
  if (h > head->header.height && group_sealer_) return;  // a group member behind: the group brings the blocks
  if (h > head->header.height) {
    RefuseSealingLocked("the chain (height " + std::to_string(head->header.height) +
                        ") is behind the head this authority signed at height " + std::to_string(h) + " (" + source + ")");
    return;
  }
  auto mine = store_.BlockAt(h);
  OrThrow(mine);
  if (!(mine->header == signed_head.header)) {
    RefuseSealingLocked("the chain's block at height " + std::to_string(h) +
                        " differs from the one this authority signed there (" + source + ")");
    return;
  }
  // The chain may be ahead of the record (a crash between a commit and its record).
  OrThrow(signed_head_->Record(*head));
}

void Authority::NoteReportedHead(const ledger::SignedHeader& head, const std::string& reporter) {
  // The common case, without the sealing lock: the node holds a block this chain holds.
  auto own = store_.Head();
  if (!own.ok()) return;
  if (head.header == own->header) return;
  if (head.header.height <= own->header.height) {
    auto mine = store_.BlockAt(head.header.height);
    if (mine.ok() && mine->header == head.header) return;
  }
  if (!head.SignatureValid(key_.public_key())) return;  // not ours: proves nothing
  MutexLock lock(mu_);
  own = store_.Head();
  if (!own.ok()) return;
  if (head.header.height > own->header.height) {
    if (auto s = signed_head_->Record(head); !s.ok())
      Poco::Logger::get("authority").error("recording a reported head failed: %s", s.ToString());
  }
  CheckSignedHeadLocked(head, "held by taxpayer node " + reporter);
}

void Authority::ReplayLocked() {
  ReplayReport report;
  auto fold = [&](const ChainEvent& e) REQUIRES(mu_) {
    Verdict v = lifecycle_.Apply(e.submitter, e.event, e.place);
    if (!v.ok())
      throw std::runtime_error("replay: entry " + std::to_string(e.place.leaf_index) + " breaks the rules: " + v.message);
  };
  report.from_height = lifecycle_store_->Restore(lifecycle_, &report.rebuilt);
  report.to_height = lifecycle_store_->CatchUp(lifecycle_, report.from_height, fold, &report.entries, "authority");
  last_replay_ = report;
  lifecycle_height_ = report.to_height;
}

void Authority::CatchUpLifecycle() {
  MutexLock lock(mu_);
  CatchUpLocked();
}

void Authority::CatchUpLocked() {
  auto head = store_.Head();
  OrThrow(head);
  if (head->header.height <= lifecycle_height_) return;
  auto fold = [&](const ChainEvent& e) REQUIRES(mu_) {
    Verdict v = lifecycle_.Apply(e.submitter, e.event, e.place);
    if (!v.ok())
      throw std::runtime_error("catch-up: entry " + std::to_string(e.place.leaf_index) + " breaks the rules: " + v.message);
  };
  uint64_t entries = 0;
  lifecycle_height_ = lifecycle_store_->CatchUp(lifecycle_, lifecycle_height_, fold, &entries, "authority");
}

bool Authority::SaveLocked(const ledger::SignedHeader& head) {
  try {
    lifecycle_store_->SaveAt(lifecycle_, head.header.height);
  } catch (const std::exception& e) {
    // The chain has the block; the changes stay pending in memory and are saved with the
    // next block, or replayed from the chain at the next start.
    Poco::Logger::get("authority").error("saving the lifecycle at block %Lu failed: %s",
                                         static_cast<uint64_t>(head.header.height), Describe(e));
    return false;
  }
  return true;
}

std::optional<invoice::NumberRange> Authority::GrantOfEntry(const DecodedEntry& entry) const {
  const invoice::Event* ev = entry.Event();
  const auto* apply = ev ? std::get_if<invoice::ApplyEvent>(ev) : nullptr;
  if (!apply) return std::nullopt;
  return lifecycle_.GrantOf(apply->seller, apply->meta.event_id);
}

Verdict Authority::CheckEntry(const DecodedEntry& decoded, invoice::Lifecycle& scratch, const invoice::Place& place,
                              std::vector<tax::Difference>* differences) {
  const std::optional<ledger::Entry>& entry = decoded.envelope;
  if (!entry) return Refuse(Refusal::kInvalid, "not a canonical entry envelope: " + decoded.envelope_problem, "entry");
  // WARNING: the submitter key inside the entry proves nothing by itself; it must be the
  // key registered for the submitter, or anyone could sign events in a taxpayer's name.
  if (entry->submitter == invoice::kAuthoritySubmitter) {
    if (entry->submitter_key != key_.public_key())
      return Refuse(Refusal::kNotAuthorised, "only the authority key signs as authority", "entry");
  } else {
    const invoice::RegisterEvent* reg = scratch.FindTaxpayer(entry->submitter);
    if (!reg) return Refuse(Refusal::kUnknownTaxpayer, entry->submitter + " is not registered", "entry");
    if (reg->node_key != ledger::ToHex(entry->submitter_key))
      return Refuse(Refusal::kNotAuthorised, "the entry is not signed with " + entry->submitter + "'s node key", "entry");
  }
  if (!decoded.signature_ok) return Refuse(Refusal::kNotAuthorised, "the entry's signature does not verify", "entry");
  if (auto* p = std::get_if<invoice::Problem>(&*decoded.event)) return Refuse(Refusal::kInvalid, p->message, p->field);
  const invoice::Event& ev = *decoded.Event();
  if (auto late = invoice::CheckEventTime(ev, place.time_ms, time_limits_)) return *late;
  if (auto* r = std::get_if<invoice::ReimburseEvent>(&ev); r && final_size_ && r->action != invoice::ReimburseAction::kRelease) {
    // Decided only on a final invoice: one a checkpoint with the quorum's cosignatures covers.
    const invoice::InvoiceState* st = scratch.FindInvoice(r->invoice_no);
    if (st && !st->invoice.invoice_no.empty() && st->issued.leaf_index >= final_size_())
      return Refuse(Refusal::kNotFinal,
                    r->invoice_no + " is not final yet: no checkpoint with the witnesses' cosignatures covers it",
                    "invoice_no");
  }
  if (auto* f = std::get_if<invoice::FileEvent>(&ev)) {
    // A return is sealed only if it is the chain's: recompute it and compare every figure.
    Verdict v = scratch.Check(entry->submitter, ev);
    if (!v.ok()) return v;
    *differences = tax::CompareFigures(f->figures, tax::ReturnFromLifecycle(scratch, f->seller, f->period));
    if (!differences->empty())
      return Refuse(Refusal::kFilingMismatch,
                    std::to_string(differences->size()) + " filed figures differ from the chain's for " + f->period,
                    "figures");
  }
  return scratch.Apply(entry->submitter, ev, place);
}

std::vector<EntryOutcome> Authority::Submit(const std::vector<ledger::Bytes>& entries, uint64_t now_ms) {
  return Submit(DecodedEntry::DecodeAll(entries), now_ms);
}

std::vector<EntryOutcome> Authority::Submit(std::vector<DecodedEntry> entries, uint64_t now_ms) {
  return commit_.Submit(Submission{std::move(entries), now_ms});
}

void Authority::SealSubmissions(const std::vector<Commit::Slot*>& batch) {
  // One block for the whole batch, at the leader's time.
  std::vector<const DecodedEntry*> all;
  for (const Commit::Slot* s : batch)
    for (const DecodedEntry& e : s->item.entries) all.push_back(&e);
  std::vector<EntryOutcome> outcomes = SealUnderLock(all, batch.front()->item.now_ms);
  size_t at = 0;
  for (Commit::Slot* s : batch) {
    s->outcome.assign(outcomes.begin() + at, outcomes.begin() + at + s->item.entries.size());
    at += s->item.entries.size();
  }
}

std::vector<EntryOutcome> Authority::SealUnderLock(const std::vector<const DecodedEntry*>& entries, uint64_t now_ms) {
  MutexLock lock(mu_);
  if (lifecycle_lost_) throw std::runtime_error("the authority's lifecycle could not be rebuilt after a failure; restart the node");
  if (!sealing_refused_.empty()) throw ApiError(503, "sealing_refused", "this authority does not seal: " + sealing_refused_);
  if (group_sealer_) CatchUpLocked();  // blocks the group wrote here while another member led
  // A head sealed but not recorded (the record failed after the commit) is recorded first.
  if (auto head = store_.Head(); head.ok() && (!signed_head_->last() || signed_head_->last()->header.height < head->header.height))
    OrThrow(signed_head_->Record(*head), "recording the signed head failed");
  // Accepted events go straight into the lifecycle (copying it per batch costs O(chain));
  // should anything fail before their block is on disk, the lifecycle is rebuilt from the
  // chain, which never saw them.
  bool applied = false;
  try {
    return SealBatchLocked(entries, now_ms, &applied);
  } catch (...) {
    if (applied) {
      try {
        ReplayLocked();
      } catch (const std::exception& e) {
        lifecycle_lost_ = true;  // never check entries against a partial lifecycle
        Poco::Logger::get("authority").fatal("rebuilding the lifecycle failed: %s", std::string(e.what()));
      }
    }
    throw;
  }
}

std::vector<EntryOutcome> Authority::SealBatchLocked(const std::vector<const DecodedEntry*>& entries, uint64_t now_ms,
                                                     bool* applied) {
  std::vector<EntryOutcome> out(entries.size());
  std::vector<ledger::Bytes> accepted;
  std::vector<size_t> accepted_at;
  invoice::Lifecycle& scratch = lifecycle_;
  std::map<std::string, size_t> first_in_batch;  // leaf hash -> first position in this batch
  std::vector<std::pair<size_t, size_t>> copies;  // (duplicate, original)
  auto head = store_.Head();
  OrThrow(head);
  // A group member: the group may have written blocks since the lifecycle caught up (it does
  // not take this lock); the entries would be checked against a lifecycle without them.
  if (group_sealer_ && head->header.height != lifecycle_height_)
    throw ApiError(503, "not_leader", "the chain moved while this batch was checked; try again");
  // Where an accepted entry will be sealed: the next block, after those accepted before it.
  invoice::Place place{head->header.height + 1, 0, "", std::max(now_ms, head->header.time_ms)};
  // The saved lifecycle's lookups (number used? payment invoiced?) in one read transaction.
  auto reads = lifecycle_store_->Reads();
  for (size_t i = 0; i < entries.size(); ++i) {
    ledger::Hash leaf = ledger::LeafHash(entries[i]->bytes);
    out[i].leaf_hash = leaf.Hex();
    if (auto [it, fresh] = first_in_batch.emplace(out[i].leaf_hash, i); !fresh) {
      copies.emplace_back(i, it->second);
      continue;
    }
    // Already sealed: the same bytes again (a retry) are acknowledged, not refused.
    auto existing = store_.FindLeaf(leaf);
    OrThrow(existing);
    if (*existing) {
      auto height = store_.HeightOfLeaf(**existing);
      OrThrow(height);
      out[i].sealed = true;
      out[i].leaf_index = **existing;
      out[i].height = *height;
      out[i].verdict.granted = GrantOfEntry(*entries[i]);  // a retried apply learns its range again
      continue;
    }
    place.leaf_index = head->header.tree_size + accepted.size();
    place.leaf_hash = out[i].leaf_hash;
    *applied = true;  // from here on the lifecycle may hold this batch's events
    out[i].verdict = CheckEntry(*entries[i], scratch, place, &out[i].differences);
    if (!out[i].verdict.ok()) continue;
    accepted.push_back(entries[i]->bytes);
    accepted_at.push_back(i);
  }
  auto finish = [&]() REQUIRES(mu_) {
    for (auto [dup, orig] : copies) out[dup] = out[orig];
    if (audit_)
      for (size_t i = 0; i < out.size(); ++i)
        if (!out[i].sealed && !out[i].verdict.ok()) RecordRefusal(*entries[i], out[i], now_ms);
    return out;
  };
  reads.reset();  // before the save that follows the seal
  if (accepted.empty()) return finish();
  auto sealed = group_sealer_ ? group_sealer_(accepted, now_ms, head->header) : store_.Seal(accepted, now_ms, key_);
  OrThrow(sealed, "sealing failed");
  for (size_t k = 0; k < accepted.size(); ++k) {
    EntryOutcome& o = out[accepted_at[k]];
    o.sealed = true;
    o.leaf_index = sealed->placements[k].first;
    o.height = sealed->head.header.height;
    // The lifecycle recorded each event at the place predicted before sealing.
    if (o.leaf_index != head->header.tree_size + k || o.height != head->header.height + 1)
      throw std::runtime_error("sealing placed an entry elsewhere than the lifecycle recorded");
  }
  lifecycle_height_ = sealed->head.header.height;
  SaveLocked(sealed->head);
  // Before anyone is answered: the signed head is recorded apart from the chain.
  if (auto s = signed_head_->Record(sealed->head); !s.ok())
    throw std::runtime_error("recording the signed head failed: " + s.ToString());
  return finish();
}

void Authority::RecordRefusal(const DecodedEntry& decoded, const EntryOutcome& o, uint64_t now_ms) {
  const std::optional<ledger::Entry>& entry = decoded.envelope;
  if (!entry) return;  // not even an envelope: nothing to attribute
  AuditRecord r;
  r.time_ms = now_ms;
  r.taxpayer = entry->submitter;
  r.code = std::string(invoice::RefusalCode(o.verdict.refusal));
  static const std::map<std::string, std::string> kKinds = {{"reimburse", "refused_claim"}, {"issue", "refused_issue"},
                                                           {"file", "refused_filing"}, {"confirm", "refused_confirm"},
                                                           {"apply", "refused_apply"}};
  auto kind = kKinds.find(entry->kind);
  r.kind = kind == kKinds.end() ? "refused_" + entry->kind : kind->second;
  Poco::JSON::Object detail(Poco::JSON_PRESERVE_KEY_ORDER);
  detail.set("leaf_hash", o.leaf_hash);
  if (const invoice::Event* ev = decoded.Event()) {
    if (auto* i = std::get_if<invoice::IssueEvent>(ev)) r.invoice_no = i->invoice.invoice_no;
    if (auto* c = std::get_if<invoice::ReimburseEvent>(ev)) {
      r.invoice_no = c->invoice_no;
      detail.set("event_id", c->meta.event_id);
      if (r.kind == "refused_claim" && c->action != invoice::ReimburseAction::kClaim) r.kind = "refused_reimburse";
    }
    if (auto* c = std::get_if<invoice::ConfirmEvent>(ev)) r.invoice_no = c->invoice_no;
    if (auto* f = std::get_if<invoice::FileEvent>(ev)) {
      detail.set("filing_id", f->filing_id);
      detail.set("period", f->period);
    }
  }
  if (o.verdict.conflict_height) detail.set("winning_claim_height", o.verdict.conflict_height);
  if (!o.differences.empty()) detail.set("differences", DifferencesJson(o.differences));
  std::ostringstream text;
  detail.stringify(text);
  r.detail = text.str();
  try {
    audit_->Record(r);
  } catch (const std::exception&) {
    // The audit trail is best effort; the refusal itself is already the submitter's answer.
  }
}

bool Authority::MayRead(const std::string& tax_id, const ledger::Bytes& bytes) {
  auto entry = ledger::Entry::Decode(bytes);
  if (!entry.ok()) return false;
  if (entry->submitter == tax_id) return true;
  auto decoded = invoice::DecodeEvent(entry->kind, std::string(entry->payload.begin(), entry->payload.end()));
  MutexLock lock(mu_);
  return invoice::MayRead(lifecycle_, tax_id, entry->submitter, std::get_if<invoice::Event>(&decoded));
}

std::optional<uint64_t> Authority::LeafOfInvoice(const std::string& no) {
  MutexLock lock(mu_);
  const invoice::InvoiceState* st = lifecycle_.FindInvoice(no);
  if (!st || st->invoice.invoice_no.empty()) return std::nullopt;
  return st->issued.leaf_index;
}

EntryOutcome Authority::Register(const invoice::RegisterEvent& event, uint64_t now_ms) {
  std::string payload = invoice::EncodeEvent(event);
  auto entry = ledger::Entry::Make("register", std::string(invoice::kAuthoritySubmitter),
                                   ledger::Bytes(payload.begin(), payload.end()), key_);
  OrThrow(entry);
  return Submit({entry->Encode()}, now_ms).at(0);
}

}  // namespace app
