#include "app/base/logging.h"
#include "app/base/or_throw.h"
#include "app/replica/replicator.h"

#include <Poco/Logger.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <future>
#include <limits>
#include <sstream>

#include <Poco/JSON/Parser.h>

#include "app/chain/chain_json.h"
#include "ledger/merkle.h"

namespace app {
namespace {

Poco::Logger& Log() { return Poco::Logger::get("replica"); }

constexpr size_t kMaxWitnessState = 1 << 20;

}  // namespace

Replicator::Replicator(ledger::BlockStore& store, const PeerLink& authority, const NodeRequestSigner& signer)
    : store_(store), link_(authority), signer_(signer) {
  session_ = link_.NewSession(10000);
  prefetch_session_ = link_.NewSession(10000);
  for (auto* s : {session_.get(), prefetch_session_.get()}) s->setKeepAlive(true);
}

Replicator::~Replicator() { Stop(); }

void Replicator::SetFinality(FinalityPolicy policy, CosignedRecord* record, const std::string& ca_file) {
  policy_ = std::move(policy);
  record_ = record;
  witness_links_.clear();
  for (size_t i = 0; i < policy_.witnesses.size(); ++i) {
    const std::string url = i < policy_.urls.size() ? policy_.urls[i] : "";
    witness_links_.push_back(url.empty() ? nullptr : std::make_unique<PeerLink>(url, ca_file));
  }
  if (!record_) return;
  if (auto saved = record_->Load()) {
    auto c = CheckCosigned(saved->note, store_.authority_key(), policy_);
    if (c.ok()) {
      MutexLock lock(mu_);
      final_ = *c;
      final_size_ = c->checkpoint.size;
    }
  }
}

std::optional<CosignedCheckpoint> Replicator::final_checkpoint() {
  MutexLock lock(mu_);
  return final_;
}

std::string Replicator::Contradiction(const std::string& note) {
  const FinalityPolicy log_only;  // the authority's signature alone
  auto c = CheckCosigned(note, store_.authority_key(), log_only);
  if (!c.ok()) return "";  // not signed by the authority: no evidence against it
  const auto known = final_checkpoint();
  if (known && c->checkpoint.origin != known->checkpoint.origin)
    return "the authority's key signed a checkpoint of another log (" + c->checkpoint.origin + ")";
  auto head = store_.Head();
  if (!head.ok()) return "";
  const uint64_t size = c->checkpoint.size, mine = head->header.tree_size;
  if (size > mine || size == 0) return "";  // checked once this node holds that far
  bool consistent = c->checkpoint.root == head->header.tree_root;
  if (size < mine) {
    auto proof = store_.ConsistencyProof(size, mine);
    consistent = proof.ok() && ledger::VerifyConsistency(size, mine, c->checkpoint.root, head->header.tree_root, *proof);
  }
  return consistent ? "" : "the authority signed a checkpoint at tree size " + std::to_string(size) +
                               " that this node's chain contradicts";
}

void Replicator::CheckWitnesses() {
  for (size_t i = 0; i < witness_links_.size() && !alarm_; ++i) {
    if (!witness_links_[i]) continue;
    const std::string& name = policy_.witnesses[i].name;
    Poco::JSON::Object::Ptr state;
    try {
      auto session = witness_links_[i]->NewSession(2000);
      Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, "/witness/state", Poco::Net::HTTPMessage::HTTP_1_1);
      session->sendRequest(req);
      Poco::Net::HTTPResponse resp;
      std::istream& in = session->receiveResponse(resp);
      std::string body(kMaxWitnessState + 1, '\0');  // a witness's state is a few KiB: read no more than this
      in.read(body.data(), static_cast<std::streamsize>(body.size()));
      body.resize(static_cast<size_t>(in.gcount()));
      if (resp.getStatus() != 200 || body.size() > kMaxWitnessState) continue;
      state = Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
    } catch (const std::exception&) {
      continue;  // a witness that is down shows nothing; the others still do
    }
    // What the witness cosigned and what it refused, each held against this node's chain: a
    // refusal alone proves nothing (anyone may offer a checkpoint with a bad proof), a signed
    // checkpoint this chain contradicts does.
    for (const char* list : {"refused", "cosigned"}) {
      auto items = state->getArray(list);
      for (size_t k = 0; items && k < items->size() && !alarm_; ++k) {
        std::string note = std::string(list) == "refused" ? items->getObject(k)->optValue<std::string>("checkpoint", "")
                                                          : items->getElement<std::string>(k);
        std::string why = Contradiction(note);
        if (!why.empty())
          Alarm("split view: witness " + name + (std::string(list) == "refused" ? " refused" : " cosigned") +
                " a checkpoint of another history: " + why);
      }
    }
  }
}

uint64_t Replicator::FinalSize(Poco::Net::HTTPClientSession& session, uint64_t want) {
  if (want <= final_size_) return final_size_;
  NodeAnswer answer = GetAnswer(session, "/checkpoint", 10);
  if (answer.status == 503) return final_size_;  // nothing cosigned by the quorum yet
  if (answer.status != 200)
    throw std::runtime_error("the authority answered " + std::to_string(answer.status) + " to /checkpoint");
  const std::string& note = answer.body;
  auto c = CheckCosigned(note, store_.authority_key(), policy_);
  if (!c.ok()) {
    if (c.status().code() == ledger::Status::Code::kNotFound) return final_size_;  // not cosigned enough yet
    Alarm("the authority's checkpoint: " + c.status().message());
    return 0;
  }
  const uint64_t size = c->checkpoint.size;
  if (size <= final_size_) return final_size_;
  // A checkpoint at a size this node holds must have its root there.
  auto head = store_.Head();
  if (head.ok() && head->header.tree_size == size && head->header.tree_root != c->checkpoint.root) {
    Alarm("split view: the cosigned checkpoint at tree size " + std::to_string(size) +
          " has another root than this node's chain");
    return 0;
  }
  if (record_) record_->Save(size, note);
  {
    MutexLock lock(mu_);
    final_ = *c;
  }
  final_size_ = size;
  return size;
}

std::string Replicator::alarm_reason() {
  MutexLock lock(mu_);
  return alarm_reason_;
}

void Replicator::Alarm(const std::string& reason) {
  {
    MutexLock lock(mu_);
    if (alarm_reason_.empty()) alarm_reason_ = reason;
  }
  alarm_ = true;
  Log().critical("SPLIT-VIEW ALARM: %s; no more blocks are applied from %s", reason, link_.Describe());
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
    auto session = link_.NewSession(5000);
    NodeAnswer answer = SendSigned(*session, signer_, Poco::Net::HTTPRequest::HTTP_POST, "/v1/alarms", text);
    Log().information("split-view alarm reported to the authority: %d", answer.status);
  } catch (const std::exception& e) {
    Log().warning("the split-view alarm could not be reported: %s", Describe(e));
  }
}

NodeAnswer Replicator::GetAnswer(Poco::Net::HTTPClientSession& session, const std::string& uri, int timeout_s) {
  session.setTimeout(Poco::Timespan(timeout_s, 0));
  for (int attempt = 0;; ++attempt) {
    try {
      return SendSigned(session, signer_, Poco::Net::HTTPRequest::HTTP_GET, uri, "", /*keep_alive=*/true);
    } catch (const Poco::Exception&) {
      // The authority may have closed the kept-alive connection meanwhile: one fresh try.
      session.reset();
      if (attempt > 0) throw;
    }
  }
}

std::string Replicator::Get(Poco::Net::HTTPClientSession& session, const std::string& uri, int timeout_s) {
  NodeAnswer answer = GetAnswer(session, uri, timeout_s);
  if (answer.status != 200)
    throw std::runtime_error("the authority answered " + std::to_string(answer.status) + " to " + uri + ": " +
                             answer.body.substr(0, 200));
  return std::move(answer.body);
}

bool Replicator::CheckHead(uint64_t* authority_height) {
  // Every signed head the authority shows must verify and must agree with what this node
  // holds at that height; anything else is shown to nobody honestly.
  Poco::JSON::Object::Ptr o = Poco::JSON::Parser().parse(Get(*session_, "/v1/chain/head", 10)).extract<Poco::JSON::Object::Ptr>();
  auto header = ledger::FromHex(o->optValue<std::string>("header", ""));
  auto sig = ledger::FromHex(o->optValue<std::string>("signature", ""));
  auto decoded = header ? ledger::BlockHeader::Decode(*header) : ledger::Result<ledger::BlockHeader>(ledger::Status::Corruption(""));
  if (!decoded.ok() && header) {  // e.g. a chain of the other suite: the message names both
    Alarm("the authority's head is refused: " + decoded.status().message());
    return false;
  }
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

Replicator::Page Replicator::Fetch(Poco::Net::HTTPClientSession& session, uint64_t from, uint64_t limit, int wait_s) {
  std::string body = Get(session, "/v1/chain/blocks?format=binary&from=" + std::to_string(from) + "&limit=" +
                                      std::to_string(limit) + "&wait=" + std::to_string(wait_s),
                         wait_s + 10);
  Page page;
  try {
    for (BlockLine& b : ParseBlocksBinary(body)) page.push_back({std::move(b.head), std::move(b.leaves)});
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(std::string("unreadable blocks from the authority: ") + e.what());
  }
  return page;
}

uint64_t Replicator::Apply(Page& page) {
  if (policy_.enabled() && !page.empty()) {
    // Only what a cosigned checkpoint covers; a block ending at its size must have its root.
    const uint64_t final_size = FinalSize(*session_, page.back().head.header.tree_size);
    if (alarm_) return 0;
    size_t keep = 0;
    while (keep < page.size() && page[keep].head.header.tree_size <= final_size) {
      const auto& h = page[keep].head.header;
      if (h.tree_size == final_size) {
        auto c = final_checkpoint();
        if (c && c->checkpoint.size == final_size && c->checkpoint.root != h.tree_root) {
          Alarm("split view: block " + std::to_string(h.height) + " ends at the cosigned checkpoint's tree size " +
                std::to_string(final_size) + " with another root");
          return 0;
        }
      }
      ++keep;
    }
    if (keep < page.size()) {  // kept for the next round, which asks only for a newer checkpoint
      pending_.assign(std::make_move_iterator(page.begin() + static_cast<std::ptrdiff_t>(keep)),
                      std::make_move_iterator(page.end()));
      page.resize(keep);
    }
    if (page.empty()) return 0;
  }
  // The whole page in one transaction, up to the first block that does not apply.
  size_t applied = 0;
  ledger::Status s = store_.ApplyBlocks(page, &applied);
  applied_ += applied;
  for (size_t k = 0; k < applied; ++k)
    if (page[k].head.header.height % 1000 == 0)
      Log().information("replicated to height %s", std::to_string(page[k].head.header.height));
  if (s.code() == ledger::Status::Code::kConflict || s.code() == ledger::Status::Code::kCorruption) {
    Alarm(s.message());
    return applied;
  }
  OrThrow(s);
  return applied;
}

uint64_t Replicator::SyncOnce(int wait_s, uint64_t limit) { return Sync(wait_s, limit, true, true); }

uint64_t Replicator::CatchUp(uint64_t limit) { return Sync(0, limit, false, true); }

uint64_t Replicator::Sync(int wait_s, uint64_t limit, bool one_page, bool check_head) {
  if (alarm_) return 0;
  // The signed head (a GET, two signature checks) guards against a split view the blocks
  // alone would not show: a different block at a height this node already holds. Following
  // the chain, it is checked when a poll comes back empty and at least once a second, not
  // before every page: each block applied is checked against the chain anyway.
  auto now = std::chrono::steady_clock::now();
  check_head = check_head || now - last_head_check_ >= std::chrono::seconds(1);
  uint64_t authority_height = std::numeric_limits<uint64_t>::max();
  if (check_head) {
    if (!CheckHead(&authority_height)) return 0;
    last_head_check_ = now;
  }
  if (policy_.enabled() && now - last_witness_check_ >= std::chrono::seconds(1)) {  // a round: once a second
    CheckWitnesses();
    last_witness_check_ = now;
    if (alarm_) return 0;
  }
  auto head = store_.Head();
  uint64_t from = head.ok() ? head->header.height + 1 : 0;
  int wait = from > authority_height || !check_head ? wait_s : 0;  // long-poll only when level with the authority
  Page page;
  if (!pending_.empty() && pending_.front().head.header.height == from) {
    page = std::move(pending_);  // fetched before, waiting for its cosignatures
  } else {
    page = Fetch(*session_, from, limit, wait);
  }
  pending_.clear();
  if (page.empty() && !check_head) {
    if (!CheckHead(&authority_height)) return 0;
    last_head_check_ = std::chrono::steady_clock::now();
  }
  uint64_t applied = 0;
  while (!page.empty()) {
    // A full page means more are waiting. Fetching one (the authority reads and sends it) and
    // applying one (SQLite writes) take about as long as each other, so the next page is on
    // its way while this one is applied.
    size_t leaves = 0;
    for (const auto& b : page) leaves += b.leaves.size();
    const bool more = !one_page && (page.size() >= limit || leaves >= kMaxEntriesPerPage);
    std::future<Page> next;
    const uint64_t next_from = page.back().head.header.height + 1;
    if (more) next = std::async(std::launch::async, [&] { return Fetch(*prefetch_session_, next_from, limit, 0); });
    uint64_t n = 0;
    const size_t fetched = page.size();
    try {
      n = Apply(page);
    } catch (...) {
      if (next.valid()) next.wait();  // it uses this object: let it finish before unwinding
      throw;
    }
    applied += n;
    // Blocks not final yet wait for their cosignatures (the witnesses answer in milliseconds).
    if (n < fetched && !alarm_ && policy_.enabled()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (!more) break;
    Page following = next.get();
    if (n < fetched || alarm_ || stop_) break;  // a block did not apply, or is not final: again from the local head
    page = std::move(following);
  }
  return applied;
}

void Replicator::Start() {
  thread_ = std::thread([this] {
    int backoff_ms = 0;
    while (!stop_ && !alarm_) {
      try {
        // Catch up in big pages; once level with the authority, long-poll for the next block.
        if (Sync(2, 1000, false, false) >= 1000)
          Log().information("catching up: %s blocks applied so far", std::to_string(applied_.load()));
        backoff_ms = 0;
      } catch (const std::exception& e) {
        backoff_ms = std::min(backoff_ms ? backoff_ms * 2 : 500, 5000);  // back within 5 s of the authority
        if (link_.size() > 1) {  // an authority group: the next member serves the same chain
          link_.Failover();
          session_ = link_.NewSession(10000);
          prefetch_session_ = link_.NewSession(10000);
          for (auto* s : {session_.get(), prefetch_session_.get()}) s->setKeepAlive(true);
          backoff_ms = 200;
        }
        Log().warning("replication: %s (retrying in %d ms at %s)", Describe(e), backoff_ms, link_.Describe());
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
