#include "app/replicator.h"

#include <Poco/Logger.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <limits>
#include <sstream>

#include <Poco/JSON/Parser.h>

#include "app/chain_json.h"

namespace app {
namespace {

Poco::Logger& Log() { return Poco::Logger::get("replica"); }

}  // namespace

Replicator::Replicator(ledger::BlockStore& store, std::string authority_url, std::string node_id,
                       const ledger::PrivateKey& key, Clock clock)
    : store_(store), node_id_(std::move(node_id)), key_(key), clock_(std::move(clock)) {
  Poco::URI uri(authority_url);
  host_ = uri.getHost();
  port_ = uri.getPort();
}

Replicator::~Replicator() { Stop(); }

std::string Replicator::alarm_reason() {
  std::lock_guard lock(mu_);
  return alarm_reason_;
}

void Replicator::Alarm(const std::string& reason) {
  {
    std::lock_guard lock(mu_);
    if (alarm_reason_.empty()) alarm_reason_ = reason;
  }
  alarm_ = true;
  Log().critical("SPLIT-VIEW ALARM: %s; no more blocks are applied from %s:%hu", reason, host_, port_);
  // Report it to the bureau's audit (POST /v1/alarms, signed with the node key). Best effort:
  // the alarm stands on this node's /healthz and /metrics either way.
  try {
    Poco::JSON::Object o;
    o.set("reason", reason);
    auto head = store_.Head();
    if (head.ok()) {
      o.set("local_height", head->header.height);
      o.set("local_block_hash", head->header.BlockHash().Hex());
    }
    std::ostringstream body;
    o.stringify(body);
    std::string text = body.str();
    Poco::Net::HTTPClientSession session(host_, port_);
    session.setTimeout(Poco::Timespan(5, 0));
    Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, "/v1/alarms", Poco::Net::HTTPMessage::HTTP_1_1);
    req.setContentType("application/json");
    req.setContentLength64(static_cast<Poco::Int64>(text.size()));
    req.set("X-Node-Id", node_id_);
    req.set("X-Node-Signature", ledger::ToHex(key_.Sign(ledger::AsBytes(text))));
    session.sendRequest(req) << text;
    Poco::Net::HTTPResponse resp;
    session.receiveResponse(resp).ignore(std::numeric_limits<std::streamsize>::max());
    Log().information("split-view alarm reported to the authority: %d", static_cast<int>(resp.getStatus()));
  } catch (const std::exception& e) {
    Log().warning("the split-view alarm could not be reported: %s", std::string(e.what()));
  }
}

std::string Replicator::Get(const std::string& uri, int timeout_s) {
  std::string time = std::to_string(clock_());
  Poco::Net::HTTPClientSession session(host_, port_);
  session.setTimeout(Poco::Timespan(timeout_s, 0));
  Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, uri, Poco::Net::HTTPMessage::HTTP_1_1);
  req.set("X-Node-Id", node_id_);
  req.set("X-Node-Time", time);
  req.set("X-Node-Signature", ledger::ToHex(key_.Sign(ledger::AsBytes("GET\n" + uri + "\n" + time))));
  session.sendRequest(req);
  Poco::Net::HTTPResponse resp;
  std::string body;
  Poco::StreamCopier::copyToString(session.receiveResponse(resp), body);
  if (resp.getStatus() != 200)
    throw std::runtime_error("the authority answered " + std::to_string(resp.getStatus()) + " to " + uri + ": " +
                             body.substr(0, 200));
  return body;
}

bool Replicator::CheckHead(uint64_t* authority_height) {
  // Every signed head the authority shows must verify and must agree with what this node
  // holds at that height; anything else is shown to nobody honestly.
  Poco::JSON::Object::Ptr o = Poco::JSON::Parser().parse(Get("/v1/chain/head", 10)).extract<Poco::JSON::Object::Ptr>();
  auto header = ledger::FromHex(o->optValue<std::string>("header", ""));
  auto sig = ledger::FromHex(o->optValue<std::string>("signature", ""));
  auto decoded = header ? ledger::BlockHeader::Decode(*header) : ledger::Result<ledger::BlockHeader>(ledger::Status::Corruption(""));
  ledger::SignedHeader head;
  if (decoded.ok() && sig && sig->size() == 64) {
    head.header = *decoded;
    std::copy(sig->begin(), sig->end(), head.signature.begin());
  }
  if (!decoded.ok() || !sig || sig->size() != 64 || !head.SignatureValid(store_.authority_key())) {
    Alarm("the authority's head carries no valid signature");
    return false;
  }
  *authority_height = head.header.height;
  auto mine = store_.BlockAt(head.header.height);
  if (mine.ok() && !(mine->header == head.header)) {
    Alarm("split view: the authority's signed head at height " + std::to_string(head.header.height) +
          " differs from the block this node holds there");
    return false;
  }
  return true;
}

uint64_t Replicator::SyncOnce(int wait_s, uint64_t limit) {
  if (alarm_) return 0;
  uint64_t authority_height = 0;
  if (!CheckHead(&authority_height)) return 0;
  auto head = store_.Head();
  uint64_t from = head.ok() ? head->header.height + 1 : 0;
  int wait = from > authority_height ? wait_s : 0;  // long-poll only when level with the authority
  std::string body = Get("/v1/chain/blocks?format=binary&from=" + std::to_string(from) + "&limit=" +
                             std::to_string(limit) + "&wait=" + std::to_string(wait),
                         wait + 10);
  std::vector<ledger::BlockStore::BlockWithLeaves> blocks;
  try {
    for (BlockLine& b : ParseBlocksBinary(body)) blocks.push_back({std::move(b.head), std::move(b.leaves)});
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(std::string("unreadable blocks from the authority: ") + e.what());
  }
  // The whole page in one transaction, up to the first block that does not apply.
  size_t applied = 0;
  ledger::Status s = store_.ApplyBlocks(blocks, &applied);
  applied_ += applied;
  for (size_t k = 0; k < applied; ++k)
    if (blocks[k].head.header.height % 1000 == 0)
      Log().information("replicated to height %s", std::to_string(blocks[k].head.header.height));
  if (s.code() == ledger::Status::Code::kConflict || s.code() == ledger::Status::Code::kCorruption) {
    Alarm(s.message());
    return applied;
  }
  if (!s.ok()) throw std::runtime_error(s.ToString());
  return applied;
}

void Replicator::Start() {
  thread_ = std::thread([this] {
    int backoff_ms = 0;
    while (!stop_ && !alarm_) {
      try {
        // Catch up in big pages; once level with the authority, long-poll for the next block.
        uint64_t n = SyncOnce(2, 1000);
        if (n == 1000) Log().information("catching up: %s blocks applied so far", std::to_string(applied_.load()));
        backoff_ms = 0;
      } catch (const std::exception& e) {
        backoff_ms = std::min(backoff_ms ? backoff_ms * 2 : 500, 30000);
        Log().warning("replication: %s (retrying in %d ms)", std::string(e.what()), backoff_ms);
        for (int waited = 0; waited < backoff_ms && !stop_; waited += 100)
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
  });
}

void Replicator::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

}  // namespace app
