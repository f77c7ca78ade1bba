// GET /v1/chain/head, /v1/chain/blocks, /v1/proofs/inclusion and /v1/proofs/consistency:
// what every node serves about its chain.
#include <Poco/JSON/Array.h>

#include <sstream>

#include "app/base/or_throw.h"
#include "app/chain/chain_json.h"
#include "app/chain/chain_routes.h"
#include "app/chain/node_request.h"
#include "app/http/api_error.h"
#include "ledger/tlog.h"

namespace app {

using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

constexpr uint64_t kMaxBlocksPerPage = 1000;

// One of at most `cap` long polls: false when the cap is reached. Released on destruction.
class LongPollSlot {
 public:
  LongPollSlot(std::atomic<int>& count, int cap) : count_(count), held_(++count_ <= cap) {
    if (!held_) --count_;
  }
  ~LongPollSlot() {
    if (held_) --count_;
  }
  explicit operator bool() const { return held_; }

 private:
  std::atomic<int>& count_;
  bool held_;
};

ledger::SignedHeader HeadOrUnavailable(ledger::BlockStore& store) {
  auto head = store.Head();
  if (!head.ok()) throw ApiError(503, "no_chain_yet", "this node holds no block yet");
  return *head;
}

uint64_t RequireUint(Exchange& ex, const std::string& name) {
  auto v = ex.QueryUint(name);
  if (!v) throw ApiError::BadRequest("missing_parameter", name + " is required", name);
  return *v;
}

Array::Ptr HexArray(const std::vector<ledger::Hash>& hashes) {
  Array::Ptr a = new Array;
  for (const auto& h : hashes) a->add(h.Hex());
  return a;
}

}  // namespace

ChainRoutes::ChainRoutes(Config config, ledger::BlockStore& store, Revealer revealer, HeightWait wait_for_height,
                         CheckpointSource checkpoint)
    : config_(config),
      store_(&store),
      revealer_(std::move(revealer)),
      wait_for_height_(std::move(wait_for_height)),
      checkpoint_(std::move(checkpoint)) {}

void ChainRoutes::Add(Router& r) {
  // c2sp.org/tlog-tiles: the tree's hashes, 256 to a full tile, for any tlog client. A tile
  // never changes once it exists (a partial one is a different path), so it may be cached
  // for ever; one the tree does not reach yet is 404.
  r.Add("GET", "/tile/([^?]{1,64})", [this](Exchange& ex) {
    auto tile = ledger::tlog::ParseTilePath("tile/" + ex.Param(0));
    if (!tile.ok()) throw ApiError::BadRequest("invalid_tile", tile.status().message(), "path");
    if (tile->entries) throw ApiError::NotFound("entry bundles are not served: entries are read through /v1/audit");
    auto hashes = store_->TileHashes(tile->level, tile->index, tile->width);
    if (!hashes.ok()) {
      if (hashes.status().code() == ledger::Status::Code::kNotFound || hashes.status().code() == ledger::Status::Code::kInvalidArgument)
        throw ApiError::NotFound("the tree does not reach " + ledger::tlog::TilePath(*tile) + " yet");
      OrThrow(hashes.status());
    }
    std::string body;
    body.reserve(hashes->size() * 32);
    for (const ledger::Hash& h : *hashes) body.append(reinterpret_cast<const char*>(h.bytes.data()), h.bytes.size());
    ex.response().set("Cache-Control", "public, max-age=31536000, immutable");
    ex.Send(200, "application/octet-stream", body);
  });

  if (checkpoint_) {
    // c2sp.org/tlog-checkpoint: the newest head as a signed note; changes with every block.
    r.Add("GET", "/checkpoint", [this](Exchange& ex) {
      std::string note = checkpoint_();
      ex.response().set("Cache-Control", "no-cache");
      ex.Send(200, "text/plain; charset=utf-8", note);
    });
  }

  r.Add("GET", "/v1/chain/head", [this](Exchange& ex) {
    Object::Ptr o = HeadJson(HeadOrUnavailable(*store_));
    o->set("authority_public_key", ledger::ToHex(store_->authority_key()));
    ex.Json(200, o);
  });
  r.Add("GET", "/v1/chain/blocks", [this](Exchange& ex) {
    uint64_t from = ex.QueryUint("from").value_or(0);
    uint64_t limit = ex.QueryUint("limit").value_or(100);
    uint64_t wait_s = ex.QueryUint("wait").value_or(0);
    if (limit == 0 || limit > kMaxBlocksPerPage)
      throw ApiError::BadRequest("invalid_parameter", "limit must be 1..1000", "limit");
    if (wait_s > 30) throw ApiError::BadRequest("invalid_parameter", "wait is at most 30 seconds", "wait");
    std::string format = ex.Query("format").value_or("jsonl");
    if (format != "jsonl" && format != "binary")
      throw ApiError::BadRequest("invalid_parameter", "format is jsonl or binary", "format");
    const bool binary = format == "binary";
    RevealFn reveal = revealer_(ex);
    uint64_t height = HeadOrUnavailable(*store_).header.height;
    if (from > height && wait_s > 0 && wait_for_height_) {
      // Long poll: answer as soon as block `from` is sealed, or empty after `wait` seconds.
      // Each holds a serving thread, so only registered nodes may wait, and only so many at once.
      if (!NodeRequestVerifier::IsNodeRequest(ex.request()))
        throw ApiError(401, "unauthenticated", "only node-signed requests may wait for new blocks", "wait");
      LongPollSlot slot(long_polls_, config_.max_long_polls);
      if (!slot) {
        ex.response().set("Retry-After", "1");
        throw ApiError(503, "busy", "too many requests are waiting for new blocks; poll again shortly");
      }
      wait_for_height_(from, static_cast<int>(wait_s * 1000));
      height = HeadOrUnavailable(*store_).header.height;
      if (from > height) return ex.Send(200, binary ? "application/octet-stream" : "application/x-ndjson", "");
    }
    if (from > height) throw ApiError::NotFound("no block at height " + std::to_string(from));
    if (binary) {
      std::string page;
      auto written = WriteBlocksBinary(*store_, from, limit, &page, reveal, kMaxEntriesPerPage);
      OrThrow(written);
      return ex.Send(200, "application/octet-stream", page);
    }
    std::ostringstream out;
    auto written = WriteBlocks(*store_, from, limit, out, {}, reveal, kMaxEntriesPerPage);
    OrThrow(written);
    ex.Send(200, "application/x-ndjson", out.str());
  });
  r.Add("GET", "/v1/proofs/inclusion", [this](Exchange& ex) {
    auto leaf_hex = ex.Query("leaf_hash");
    if (!leaf_hex) throw ApiError::BadRequest("missing_parameter", "leaf_hash is required", "leaf_hash");
    auto leaf = ledger::HashFromHex(*leaf_hex);
    if (!leaf) throw ApiError::BadRequest("invalid_parameter", "leaf_hash must be 64 hex digits", "leaf_hash");
    ledger::SignedHeader head = HeadOrUnavailable(*store_);
    uint64_t size = ex.QueryUint("tree_size").value_or(head.header.tree_size);
    if (size > head.header.tree_size)
      throw ApiError::BadRequest("invalid_parameter", "tree_size is beyond the head", "tree_size");
    auto index = store_->FindLeaf(*leaf);
    OrThrow(index);
    if (!*index || **index >= size) throw ApiError::NotFound("no such leaf in a tree of that size");
    auto proof = store_->InclusionProof(**index, size);
    OrThrow(proof);
    Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("leaf_index", **index);
    o->set("tree_size", size);
    o->set("leaf_hash", leaf->Hex());
    o->set("proof", HexArray(*proof));
    ex.Json(200, o);
  });
  r.Add("GET", "/v1/proofs/consistency", [this](Exchange& ex) {
    uint64_t first = RequireUint(ex, "first"), second = RequireUint(ex, "second");
    uint64_t size = HeadOrUnavailable(*store_).header.tree_size;
    if (first == 0 || first > second)
      throw ApiError::BadRequest("invalid_parameter", "need 0 < first <= second", "first");
    if (second > size) throw ApiError::BadRequest("invalid_parameter", "second is beyond the head", "second");
    auto proof = store_->ConsistencyProof(first, second);
    OrThrow(proof);
    Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("first", first);
    o->set("second", second);
    o->set("proof", HexArray(*proof));
    ex.Json(200, o);
  });
}

}  // namespace app
