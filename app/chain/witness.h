// A taxpayer node's witness (c2sp.org/tlog-witness): it cosigns a checkpoint of the
// authority's log only if it is consistent with the newest one it cosigned before, so that
// an authority showing two histories is caught by the nodes it shows them to.
//
// POST /add-checkpoint takes "old <size>\n", the consistency proof from that size (one base64
// hash a line), a blank line, and the checkpoint as a signed note; the witness checks the
// authority's signature (the pinned key, under the checkpoint's origin), that `old` is the
// size it cosigned last (409, body "<size>\n" as text/x.tlog.size, otherwise), and the proof
// (422); it records the new checkpoint durably, then answers 200 with its cosignature line
// (c2sp.org/tlog-cosignature, its own Ed25519 key under witness.name). One check-and-update
// at a time. app/README.md, "Witnesses".
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "app/base/mutex.h"
#include "app/http/http.h"
#include "ledger/hash.h"
#include "ledger/keys.h"
#include "ledger/sqlite_db.h"

namespace app {

class Witness {
 public:
  using Clock = std::function<uint64_t()>;  // Unix ms
  // `name`: the witness's key name (witness.name); `log_key`: the authority's pinned key.
  Witness(const std::string& db_path, std::string name, const ledger::PrivateKey& key, ledger::PublicKeyBytes log_key,
          Clock clock);

  const std::string& name() const { return name_; }
  // "<name>+<key ID>+<base64(0x04 || key)>": what a verifier of its cosignatures is given.
  std::string VerifierKey() const;

  struct Answer {
    int status = 200;
    std::string body, content_type = "text/plain; charset=utf-8";
  };
  Answer AddCheckpoint(std::string_view request) EXCLUDES(mu_);
  // Once `halted` returns a reason (its node's split-view alarm), the witness cosigns
  // nothing more (403 naming it). Set before use.
  void SetHalted(std::function<std::string()> halted) { halted_ = std::move(halted); }
  // GET /witness/state: {"name", "key", "halted"?, "cosigned": [the checkpoint it cosigned
  // last, per origin], "refused": [{"checkpoint", "reason", "time_s"}, newest first, 10]}.
  // A refused checkpoint the authority signed is evidence that it showed two histories;
  // every node with the witness list reads this (Replicator) and raises its alarm.
  std::string StateJson() EXCLUDES(mu_);

  void Add(Router& r);  // POST /add-checkpoint, GET /witness/state

 private:
  const std::string name_;
  const ledger::PrivateKey& key_;
  const ledger::PublicKeyBytes log_key_;
  const Clock clock_;
  std::function<std::string()> halted_;
  Mutex mu_;  // one check-and-update at a time
  std::unique_ptr<ledger::sql::Db> db_ PT_GUARDED_BY(mu_);
};

}  // namespace app
