#include "app/chain/witness.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <sstream>

#include "app/base/or_throw.h"
#include "app/http/api_error.h"
#include "ledger/merkle.h"
#include "ledger/tlog.h"

namespace app {
namespace {

constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS witness_checkpoint(origin TEXT PRIMARY KEY, size INTEGER NOT NULL, root BLOB NOT NULL,
  note TEXT NOT NULL, time_s INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS witness_refusal(id INTEGER PRIMARY KEY, origin TEXT NOT NULL, size INTEGER NOT NULL,
  note TEXT NOT NULL, reason TEXT NOT NULL, time_s INTEGER NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS witness_refusal_note ON witness_refusal(note);
)";
constexpr int kRefusalsShown = 10;
// Refusals that prove equivocation by themselves (only the authority's key can make them: a
// second root at a size it signed, a second log name) against the rest (a bad proof, an old
// checkpoint: anyone can replay one), which readers must check against their chains. The
// former are shown first and never trimmed, so a client replaying checkpoints cannot push
// them out of sight.
constexpr const char* kProves = "(reason LIKE 'another root%' OR reason LIKE 'the authority''s key signs%')";
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
  return ledger::tlog::FormatVerifierKey(name_, key_.public_key(), ledger::tlog::CosignatureType());
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
  ledger::tlog::VerifierKey log{checkpoint->origin, ledger::tlog::KeyId(checkpoint->origin, ledger::tlog::LogSignatureType(), log_key_),
                                ledger::tlog::LogSignatureType(), log_key_};
  auto signed_by_log = ledger::tlog::VerifiedBy(*note, log);
  if (!signed_by_log.ok() || !*signed_by_log) return Text(403, "the checkpoint is not signed by the authority's key\n");
  if (halted_) {
    if (std::string why = halted_(); !why.empty())
      return Text(403, "this witness has stopped cosigning: its node raised the split-view alarm (" + why + ")\n");
  }
  const uint64_t old_size = *old, size = checkpoint->size;

  MutexLock lock(mu_);
  ledger::sql::Transaction tx(db_.get());
  OrThrow(tx.begin_status());
  // The witness follows one log: the pinned key's, under the first origin it cosigned.
  auto s = ValueOrThrow(db_->Prepare("SELECT origin, size, root FROM witness_checkpoint ORDER BY size DESC LIMIT 1"));
  uint64_t latest = 0;
  ledger::Hash latest_root = ledger::EmptyRoot();
  std::string log_origin = checkpoint->origin;
  if (ValueOrThrow(s.Step())) {
    log_origin = s.Text(0);
    latest = static_cast<uint64_t>(s.Int(1));
    ledger::Bytes r = s.Blob(2);
    std::copy(r.begin(), r.end(), latest_root.bytes.begin());
  }
  s = ledger::sql::Stmt();
  std::string refused;
  if (log_origin != checkpoint->origin) {
    refused = "the authority's key signs the log " + log_origin + ", not another one";
  } else if (size < latest) {  // a log never shrinks: kept, so that nodes holding that size can check it
    refused = "the checkpoint is older than the one cosigned last (tree size " + std::to_string(latest) + ")";
  } else if (old_size > size) {
    return Text(400, "old is larger than the checkpoint's size\n");
  } else if (old_size != latest) {
    return {409, std::to_string(latest) + "\n", "text/x.tlog.size"};
  } else if (latest == 0) {
    if (!proof.empty()) refused = "no proof from size 0";
    if (size == 0 && checkpoint->root != ledger::EmptyRoot()) refused = "the empty tree's root is SHA-256 of nothing";
  } else if (size == latest) {
    if (checkpoint->root != latest_root) refused = "another root at the size cosigned last";
  } else if (!ledger::VerifyConsistency(latest, size, latest_root, checkpoint->root, proof)) {
    refused = "the checkpoint is not consistent with the one cosigned last";
  }
  const uint64_t now_s = clock_() / 1000;
  if (!refused.empty()) {
    // The authority signed a checkpoint of another history than the one cosigned: kept as
    // evidence, served at GET /witness/state for every node to see. Once per checkpoint: the
    // same one offered again (a retry, or a client replaying it) writes nothing.
    auto r = ValueOrThrow(db_->Prepare(
        "INSERT OR IGNORE INTO witness_refusal(origin, size, note, reason, time_s) VALUES (?1, ?2, ?3, ?4, ?5)"));
    r.Bind(1, checkpoint->origin).Bind(2, static_cast<int64_t>(size)).Bind(3, std::string(signed_note));
    r.Bind(4, refused).Bind(5, static_cast<int64_t>(now_s));
    OrThrow(r.Step());
    r = ledger::sql::Stmt();
    // The newest 100 are enough evidence; a client replaying bad offers fills no disk.
    auto trim = ValueOrThrow(db_->Prepare(std::string("DELETE FROM witness_refusal WHERE id <= (SELECT max(id) FROM witness_refusal) - 100 ") +
                                          "AND NOT " + kProves));
    OrThrow(trim.Step());
    trim = ledger::sql::Stmt();
    OrThrow(tx.Commit());
    return Text(422, refused + "\n");
  }
  auto up = ValueOrThrow(db_->Prepare("INSERT OR REPLACE INTO witness_checkpoint(origin, size, root, note, time_s) "
                                      "VALUES (?1, ?2, ?3, ?4, ?5)"));
  up.Bind(1, checkpoint->origin).Bind(2, static_cast<int64_t>(size)).Bind(3, checkpoint->root.View());
  up.Bind(4, std::string(signed_note)).Bind(5, static_cast<int64_t>(now_s));
  OrThrow(up.Step());
  up = ledger::sql::Stmt();
  OrThrow(tx.Commit());  // durable before the cosignature leaves
  return Text(200, ledger::tlog::CosignatureLine(note->text, name_, key_, now_s));
}

std::string Witness::StateJson() {
  Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
  o.set("name", name_);
  o.set("key", VerifierKey());
  if (halted_) {
    if (std::string why = halted_(); !why.empty()) o.set("halted", why);
  }
  Poco::JSON::Array::Ptr cosigned = new Poco::JSON::Array, refusals = new Poco::JSON::Array;
  {
    MutexLock lock(mu_);
    auto s = ValueOrThrow(db_->Prepare("SELECT note FROM witness_checkpoint ORDER BY origin"));
    while (ValueOrThrow(s.Step())) cosigned->add(s.Text(0));
    auto r = ValueOrThrow(db_->Prepare(std::string("SELECT note, reason, time_s FROM witness_refusal ORDER BY ") + kProves +
                                       " DESC, id DESC LIMIT ?1"));
    r.Bind(1, static_cast<int64_t>(kRefusalsShown));
    while (ValueOrThrow(r.Step())) {
      Poco::JSON::Object::Ptr x = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
      x->set("checkpoint", r.Text(0));
      x->set("reason", r.Text(1));
      x->set("time_s", r.Int(2));
      refusals->add(x);
    }
  }
  o.set("cosigned", cosigned);
  o.set("refused", refusals);
  std::ostringstream out;
  o.stringify(out);
  return out.str();
}

void Witness::Add(Router& r) {
  r.Add("POST", "/add-checkpoint", [this](Exchange& ex) {
    Answer a = AddCheckpoint(ex.Body());
    ex.Send(a.status, a.content_type, a.body);
  });
  r.Add("GET", "/witness/state", [this](Exchange& ex) { ex.Send(200, "application/json", StateJson()); });
}

}  // namespace app
