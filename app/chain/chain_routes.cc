// GET /healthz, /metrics, /v1/chain/head, /v1/chain/blocks, /v1/proofs/inclusion and
// /v1/proofs/consistency: what every node serves about its chain.
#include <Poco/JSON/Array.h>

#include <sstream>

#include "app/http/api_error.h"
#include "app/chain/chain_json.h"
#include "app/node/node.h"

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

std::string Node::HealthBody() {
  Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  auto head = store_->Head();
  std::string alarm = replicator_ && replicator_->alarm() ? replicator_->alarm_reason()
                      : authority_                        ? authority_->sealing_refused()
                                                          : std::string();
  o->set("status", !alarm.empty() ? "degraded" : head.ok() ? "ok" : "starting");
  if (!alarm.empty()) o->set("alarm", alarm);
  o->set("role", config_.role == Role::kAuthority ? "authority" : "taxpayer");
  o->set("name", config_.name);
  o->set("height", head.ok() ? head->header.height : 0);
  std::ostringstream out;
  o->stringify(out);
  return out.str();
}

void Node::AddHealthRoutes(Router& r) {
  r.Add("GET", "/healthz", [this](Exchange& ex) { ex.Send(200, "application/json", HealthBody()); });
  r.Add("GET", "/metrics", [this](Exchange& ex) {
    std::ostringstream out;
    out << metrics_.Prometheus();
    auto head = store_->Head();
    out << "# HELP einvoice_chain_height Height of the newest block this node holds.\n"
        << "# TYPE einvoice_chain_height gauge\n"
        << "einvoice_chain_height " << (head.ok() ? head->header.height : 0) << "\n"
        << "# HELP einvoice_chain_tree_size Entries sealed up to the newest block.\n"
        << "# TYPE einvoice_chain_tree_size gauge\n"
        << "einvoice_chain_tree_size " << (head.ok() ? head->header.tree_size : 0) << "\n";
    if (authority_)
      out << "# HELP einvoice_sealing_refused 1 when the chain is behind a head this authority signed and it seals nothing.\n"
          << "# TYPE einvoice_sealing_refused gauge\n"
          << "einvoice_sealing_refused " << (authority_->sealing_refused().empty() ? 0 : 1) << "\n"
          << "# HELP einvoice_audit_records_repeated_total Refusals and alarms folded into an earlier record of the same.\n"
          << "# TYPE einvoice_audit_records_repeated_total counter\n"
          << "einvoice_audit_records_repeated_total " << audit_->repeated() << "\n"
          << "# HELP einvoice_audit_records_dropped_total Refusals and alarms not recorded: over a taxpayer's hourly limit.\n"
          << "# TYPE einvoice_audit_records_dropped_total counter\n"
          << "einvoice_audit_records_dropped_total " << audit_->dropped() << "\n";
    if (replicator_) {
      out << "# HELP einvoice_split_view_alarm 1 when the authority showed this node a history that does not extend its own.\n"
          << "# TYPE einvoice_split_view_alarm gauge\n"
          << "einvoice_split_view_alarm " << (replicator_->alarm() ? 1 : 0) << "\n"
          << "# HELP einvoice_replicated_blocks_total Blocks applied to this node's replica.\n"
          << "# TYPE einvoice_replicated_blocks_total counter\n"
          << "einvoice_replicated_blocks_total " << replicator_->applied() << "\n";
    }
    if (merchant_) {
      Merchant::Counters c = merchant_->counters();
      out << "# HELP einvoice_invoices Invoices this node issued, by status.\n"
          << "# TYPE einvoice_invoices gauge\n"
          << "einvoice_invoices{status=\"sealed\"} " << c.sealed << "\n"
          << "einvoice_invoices{status=\"pending\"} " << c.pending << "\n"
          << "einvoice_invoices{status=\"rejected\"} " << c.rejected << "\n"
          << "# HELP einvoice_invoices_issued_total Invoices this node issued.\n"
          << "# TYPE einvoice_invoices_issued_total counter\n"
          << "einvoice_invoices_issued_total " << c.issued << "\n"
          << "# HELP einvoice_invoice_numbers_left Granted invoice numbers not used yet.\n"
          << "# TYPE einvoice_invoice_numbers_left gauge\n"
          << "einvoice_invoice_numbers_left " << merchant_->NumbersLeft() << "\n";
    }
    ex.Send(200, "text/plain; version=0.0.4", out.str());
  });
}

RevealFn Node::EntryRevealer(Exchange& ex) {
  // Only the authority shows entries, and only to whom they concern.
  if (!authority_) return [](const ledger::LeafRecord&) { return false; };
  if (ex.request().has("Authorization")) {
    Authorize(ex, {TokenRole::kAuditor, TokenRole::kAdmin});
    return {};  // the bureau sees everything
  }
  if (auto node = SignedNodeCaller(ex))
    return [this, node = *node](const ledger::LeafRecord& l) { return authority_->MayRead(node, *l.entry); };
  return [](const ledger::LeafRecord&) { return false; };
}

std::optional<std::string> Node::SignedNodeCaller(Exchange& ex, std::string_view body, bool once) {
  const auto& req = ex.request();
  if (!NodeRequestVerifier::IsNodeRequest(req)) return std::nullopt;
  if (!node_requests_) throw ApiError(401, "unauthenticated", "this node takes no node-signed requests");
  NodeRequestVerifier::Caller caller = node_requests_->Verify(req.getMethod(), req.getURI(), req, body, once);
  if (caller.head && authority_) authority_->NoteReportedHead(*caller.head, caller.node_id);
  return caller.node_id;
}

std::string Node::RequireSignedNode(Exchange& ex, std::string_view body) {
  auto node = SignedNodeCaller(ex, body, /*once=*/true);
  if (!node) throw ApiError(401, "unauthenticated", "X-Node-Id must name a registered node and X-Node-Signature sign the request");
  return *node;
}

void Node::AddChainRoutes(Router& r) {
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
    RevealFn reveal = EntryRevealer(ex);
    uint64_t height = HeadOrUnavailable(*store_).header.height;
    if (from > height && wait_s > 0 && authority_) {
      // Long poll: answer as soon as block `from` is sealed, or empty after `wait` seconds.
      // Each holds a serving thread, so only registered nodes may wait, and only so many at once.
      if (!NodeRequestVerifier::IsNodeRequest(ex.request()))
        throw ApiError(401, "unauthenticated", "only node-signed requests may wait for new blocks", "wait");
      LongPollSlot slot(long_polls_, config_.max_long_polls);
      if (!slot) {
        ex.response().set("Retry-After", "1");
        throw ApiError(503, "busy", "too many requests are waiting for new blocks; poll again shortly");
      }
      authority_->WaitForHeight(from, static_cast<int>(wait_s * 1000));
      height = HeadOrUnavailable(*store_).header.height;
      if (from > height) return ex.Send(200, binary ? "application/octet-stream" : "application/x-ndjson", "");
    }
    if (from > height) throw ApiError::NotFound("no block at height " + std::to_string(from));
    if (binary) {
      std::string page;
      auto written = WriteBlocksBinary(*store_, from, limit, &page, reveal, kMaxEntriesPerPage);
      if (!written.ok()) throw std::runtime_error(written.status().ToString());
      return ex.Send(200, "application/octet-stream", page);
    }
    std::ostringstream out;
    auto written = WriteBlocks(*store_, from, limit, out, {}, reveal, kMaxEntriesPerPage);
    if (!written.ok()) throw std::runtime_error(written.status().ToString());
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
    if (!index.ok()) throw std::runtime_error(index.status().ToString());
    if (!*index || **index >= size) throw ApiError::NotFound("no such leaf in a tree of that size");
    auto proof = store_->InclusionProof(**index, size);
    if (!proof.ok()) throw std::runtime_error(proof.status().ToString());
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
    if (!proof.ok()) throw std::runtime_error(proof.status().ToString());
    Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("first", first);
    o->set("second", second);
    o->set("proof", HexArray(*proof));
    ex.Json(200, o);
  });
}

}  // namespace app
