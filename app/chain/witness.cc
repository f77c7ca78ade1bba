#include "app/chain/witness.h"

#include "app/base/or_throw.h"
#include "app/http/api_error.h"
#include "ledger/merkle.h"
#include "ledger/tlog.h"

namespace app {
namespace {

constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS witness_checkpoint(origin TEXT PRIMARY KEY, size INTEGER NOT NULL, root BLOB NOT NULL,
  note TEXT NOT NULL, time_s INTEGER NOT NULL);
)";
constexpr size_t kMaxRequest = 64 * 1024;
constexpr size_t kMaxProof = 63;

Witness::Answer Text(int status, std::string body) { return {status, std::move(body), "text/plain; charset=utf-8"}; }

}  // namespace

Witness::Witness(const std::string& db_path, std::string name, const ledger::PrivateKey& key,
                 ledger::PublicKeyBytes log_key, Clock clock)
    : name_(std::move(name)), key_(key), log_key_(log_key), clock_(std::move(clock)) {
  MutexLock lock(mu_);
  auto db = ledger::sql::Db::Open(db_path, ledger::sql::Db::Mode::kReadWrite);
  OrThrow(db);
  db_ = std::move(db).value();
  OrThrow(db_->Exec(kSchema));
}

std::string Witness::VerifierKey() const {
  return ledger::tlog::FormatVerifierKey(name_, key_.public_key(), ledger::tlog::kCosignatureV1);
}

Witness::Answer Witness::AddCheckpoint(std::string_view request) {
  if (request.size() > kMaxRequest) return Text(400, "the request is larger than 64 KiB\n");
  // "old <size>\n", proof lines, "\n", the signed checkpoint.
  size_t blank = request.find("\n\n");
  if (request.substr(0, 4) != "old " || blank == std::string_view::npos) return Text(400, "expected \"old <size>\", proof lines, a blank line, a checkpoint\n");
  std::string_view head = request.substr(0, blank + 1);
  std::string_view signed_note = request.substr(blank + 2);
  std::vector<std::string_view> lines;
  for (std::string_view rest = head; !rest.empty();) {
    size_t nl = rest.find('\n');
    lines.push_back(rest.substr(0, nl));
    rest.remove_prefix(nl + 1);
  }
  auto old = ledger::tlog::ParseTreeSize(lines[0].substr(4));
  if (!old) return Text(400, "old is a tree size in decimal\n");
  if (lines.size() - 1 > kMaxProof) return Text(400, "a consistency proof has at most 63 hashes\n");
  std::vector<ledger::Hash> proof;
  for (size_t i = 1; i < lines.size(); ++i) {
    auto h = ledger::FromBase64(lines[i]);
    if (!h || h->size() != 32) return Text(400, "each proof line is a base64 hash\n");
    ledger::Hash hash;
    std::copy(h->begin(), h->end(), hash.bytes.begin());
    proof.push_back(hash);
  }
  auto note = ledger::tlog::ParseNote(signed_note);
  if (!note.ok()) return Text(400, "the checkpoint is not a signed note: " + note.status().message() + "\n");
  auto checkpoint = ledger::tlog::ParseCheckpoint(note->text);
  if (!checkpoint.ok()) return Text(400, "not a checkpoint: " + checkpoint.status().message() + "\n");
  if (!ledger::tlog::ValidKeyName(checkpoint->origin)) return Text(404, "unknown origin\n");
  ledger::tlog::VerifierKey log{checkpoint->origin, ledger::tlog::KeyId(checkpoint->origin, ledger::tlog::kEd25519, log_key_),
                                ledger::tlog::kEd25519, ledger::Bytes(log_key_.begin(), log_key_.end())};
  auto signed_by_log = ledger::tlog::VerifiedBy(*note, log);
  if (!signed_by_log.ok() || !*signed_by_log) return Text(403, "the checkpoint is not signed by the authority's key\n");
  const uint64_t old_size = *old, size = checkpoint->size;
  if (old_size > size) return Text(400, "old is larger than the checkpoint's size\n");

  MutexLock lock(mu_);
  ledger::sql::Transaction tx(db_.get());
  OrThrow(tx.begin_status());
  auto s = ValueOrThrow(db_->Prepare("SELECT size, root FROM witness_checkpoint WHERE origin = ?1"));
  s.Bind(1, checkpoint->origin);
  uint64_t latest = 0;
  ledger::Hash latest_root = ledger::EmptyRoot();
  if (ValueOrThrow(s.Step())) {
    latest = static_cast<uint64_t>(s.Int(0));
    ledger::Bytes r = s.Blob(1);
    std::copy(r.begin(), r.end(), latest_root.bytes.begin());
  }
  s = ledger::sql::Stmt();
  if (old_size != latest) return {409, std::to_string(latest) + "\n", "text/x.tlog.size"};
  if (latest == 0) {
    if (!proof.empty()) return Text(422, "no proof from size 0\n");
    if (size == 0 && checkpoint->root != ledger::EmptyRoot()) return Text(422, "the empty tree's root is SHA-256 of nothing\n");
  } else if (size == latest) {
    if (checkpoint->root != latest_root) return Text(422, "another root at the size cosigned last\n");
  } else if (!ledger::VerifyConsistency(latest, size, latest_root, checkpoint->root, proof)) {
    return Text(422, "the checkpoint is not consistent with the one cosigned last\n");
  }
  const uint64_t now_s = clock_() / 1000;
  auto up = ValueOrThrow(db_->Prepare("INSERT OR REPLACE INTO witness_checkpoint(origin, size, root, note, time_s) "
                                      "VALUES (?1, ?2, ?3, ?4, ?5)"));
  up.Bind(1, checkpoint->origin).Bind(2, static_cast<int64_t>(size)).Bind(3, checkpoint->root.View());
  up.Bind(4, std::string(signed_note)).Bind(5, static_cast<int64_t>(now_s));
  OrThrow(up.Step());
  up = ledger::sql::Stmt();
  OrThrow(tx.Commit());  // durable before the cosignature leaves
  return Text(200, ledger::tlog::CosignatureLine(note->text, name_, key_, now_s));
}

void Witness::Add(Router& r) {
  r.Add("POST", "/add-checkpoint", [this](Exchange& ex) {
    Answer a = AddCheckpoint(ex.Body());
    ex.Send(a.status, a.content_type, a.body);
  });
}

}  // namespace app
