// The authority's side of witnessing (c2sp.org/tlog-witness): after each block it offers the
// newest checkpoint to every listed witness (POST /add-checkpoint with the consistency proof
// from the size that witness cosigned last), keeps the cosignatures that verify with the
// witness's key, and knows the newest checkpoint that `quorum` witnesses cosigned: the one
// GET /checkpoint serves. A witness that refuses (403, 422) is counted and its answer kept:
// an honest authority is never refused, so a refusal means two histories were shown.
// Thread-safe; one thread offers.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "app/base/mutex.h"
#include "app/chain/checkpoint.h"
#include "app/chain/cosigned_record.h"
#include "app/http/peer_link.h"
#include "ledger/block_store.h"
#include "ledger/tlog.h"

namespace app {

struct WitnessPeer {
  ledger::tlog::VerifierKey key;  // type 0x04, the witness's cosigning key
  std::string url;                // where it answers POST /add-checkpoint
};

class Cosigner {
 public:
  // `record`: where the newest cosigned checkpoint is kept (loaded here, saved on change).
  Cosigner(std::vector<WitnessPeer> witnesses, int quorum, Checkpointer& checkpoints, ledger::BlockStore& store,
           CosignedRecord& record, const std::string& ca_file);
  ~Cosigner();

  void Start();
  void Stop();
  // Offers the newest checkpoint to every witness that has not cosigned it yet.
  void RunOnce() EXCLUDES(run_mu_, mu_);

  int quorum() const { return quorum_; }
  // The newest checkpoint with at least `quorum` cosignatures, as a note with them.
  std::optional<std::string> Cosigned() EXCLUDES(mu_);
  struct State {
    std::string name;
    uint64_t size = 0;       // what it cosigned last
    uint64_t refusals = 0;   // 403/422 answers
    std::string last_error;  // the newest failure, if any
  };
  std::vector<State> states() EXCLUDES(mu_);
  uint64_t cosigned_size() EXCLUDES(mu_);
  uint64_t last_latency_ms() EXCLUDES(mu_);  // from a block's time to its quorum of cosignatures

 private:
  struct Peer {
    WitnessPeer w;
    std::unique_ptr<PeerLink> link;
    State state;
  };
  // One offer to one witness: its cosignature line, or nullopt.
  std::optional<std::string> Offer(Peer& p, const std::string& note, uint64_t size) REQUIRES(run_mu_);

  const int quorum_;
  Checkpointer& checkpoints_;
  ledger::BlockStore& store_;
  CosignedRecord& record_;
  // Lock order: run_mu_ (one round at a time, held over the network), then mu_ (what readers see).
  Mutex run_mu_ ACQUIRED_BEFORE(mu_);
  std::vector<Peer> peers_ GUARDED_BY(run_mu_);
  uint64_t offered_size_ GUARDED_BY(run_mu_) = UINT64_MAX;
  std::map<std::string, std::string> lines_ GUARDED_BY(run_mu_);  // witness name -> its line over offered_size_
  Mutex mu_;
  std::vector<State> states_ GUARDED_BY(mu_);
  std::optional<std::string> cosigned_ GUARDED_BY(mu_);
  uint64_t cosigned_size_ GUARDED_BY(mu_) = 0;
  uint64_t latency_ms_ GUARDED_BY(mu_) = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace app
