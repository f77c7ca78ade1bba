// What every node serves about its chain: GET /v1/chain/head, /v1/chain/blocks (JSON Lines
// or binary pages, a long poll for the next block at the authority), /v1/proofs/inclusion
// and /v1/proofs/consistency, the tree as C2SP tiles (GET /tile/<L>/<N>[.p/<W>]), and at the
// authority its newest checkpoint (GET /checkpoint, c2sp.org/tlog-checkpoint).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>

#include "app/chain/chain_json.h"
#include "app/chain/checkpoint.h"
#include "app/http/http.h"
#include "ledger/block_store.h"

namespace app {

class ChainRoutes {
 public:
  struct Config {
    int max_long_polls = 8;  // http.max_long_polls
  };
  // Who may see full entries in a page of blocks (the authority's disclosure rule; nobody
  // on a taxpayer node).
  using Revealer = std::function<RevealFn(Exchange&)>;
  // Waits up to `timeout_ms` for block `height` (the authority's; none on a taxpayer node,
  // which takes no long polls).
  using HeightWait = std::function<void(uint64_t height, int timeout_ms)>;

  // The note GET /checkpoint serves (the authority's; none on a taxpayer node): the newest
  // head signed, or the newest one cosigned by the witnesses' quorum. Throws ApiError.
  using CheckpointSource = std::function<std::string()>;
  ChainRoutes(Config config, ledger::BlockStore& store, Revealer revealer, HeightWait wait_for_height = {},
              CheckpointSource checkpoint = {});
  void Add(Router& r);

 private:
  const Config config_;
  ledger::BlockStore* store_;
  Revealer revealer_;
  HeightWait wait_for_height_;
  CheckpointSource checkpoint_;
  std::atomic<int> long_polls_{0};  // GET /v1/chain/blocks waiting for a block
};

}  // namespace app
