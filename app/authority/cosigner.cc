#include "app/authority/cosigner.h"

#include <Poco/Logger.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>

#include <chrono>
#include <sstream>

namespace app {
namespace {

Poco::Logger& Log() { return Poco::Logger::get("cosigner"); }

uint64_t NowMs() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

}  // namespace

Cosigner::Cosigner(std::vector<WitnessPeer> witnesses, int quorum, Checkpointer& checkpoints, ledger::BlockStore& store,
                   CosignedRecord& record, const std::string& ca_file)
    : quorum_(quorum), checkpoints_(checkpoints), store_(store), record_(record) {
  if (auto saved = record_.Load()) {  // what was cosigned before a restart stays final
    MutexLock lock(mu_);
    cosigned_ = saved->note;
    cosigned_size_ = saved->size;
  }
  MutexLock run(run_mu_);
  for (auto& w : witnesses) {
    Peer p;
    p.link = std::make_unique<PeerLink>(w.url, ca_file);
    p.state.name = w.key.name;
    p.w = std::move(w);
    peers_.push_back(std::move(p));
  }
}

Cosigner::~Cosigner() { Stop(); }

void Cosigner::Start() {
  stop_ = false;
  thread_ = std::thread([this] {
    uint64_t height = 0;
    while (!stop_) {
      try {
        RunOnce();
        auto head = store_.Head();
        if (head.ok()) height = head->header.height;
      } catch (const std::exception& e) {
        Log().warning("offering the checkpoint: %s", std::string(e.what()));
      }
      // The next block, or a second (to retry witnesses that did not answer).
      store_.WaitForHeight(height + 1, 1000);
    }
  });
}

void Cosigner::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::optional<std::string> Cosigner::Offer(Peer& p, const std::string& note, uint64_t size) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::string body = "old " + std::to_string(p.state.size) + "\n";
    if (p.state.size > 0 && p.state.size < size) {
      auto proof = store_.ConsistencyProof(p.state.size, size);
      if (!proof.ok()) throw std::runtime_error(proof.status().message());
      for (const ledger::Hash& h : *proof) body += ledger::ToBase64(h.View()) + "\n";
    }
    body += "\n" + note;
    auto session = p.link->NewSession(5000);
    Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, "/add-checkpoint", Poco::Net::HTTPMessage::HTTP_1_1);
    req.setContentType("text/plain; charset=utf-8");
    req.setContentLength(static_cast<std::streamsize>(body.size()));
    session->sendRequest(req) << body;
    Poco::Net::HTTPResponse resp;
    std::istream& in = session->receiveResponse(resp);
    std::string answer(4096, '\0');  // a witness answers a line or two: read no more than this
    in.read(answer.data(), static_cast<std::streamsize>(answer.size()));
    answer.resize(static_cast<size_t>(in.gcount()));
    const int status = resp.getStatus();
    if (status == 409) {  // its size: offer again from there
      try {
        p.state.size = std::stoull(answer);
      } catch (const std::exception&) {
        p.state.last_error = "409 without a size";
        return std::nullopt;
      }
      continue;
    }
    if (status != 200) {
      if (status == 403 || status == 422) ++p.state.refusals;
      std::string error = std::to_string(status) + " " + answer.substr(0, answer.find('\n'));
      if (error != p.state.last_error)  // once, not on every retry
        Log().error("witness %s refused the checkpoint of size %s: %s", p.state.name, std::to_string(size), error);
      p.state.last_error = std::move(error);
      return std::nullopt;
    }
    // Keep the line of its key that verifies over this checkpoint.
    std::istringstream lines(answer);
    for (std::string line; std::getline(lines, line);) {
      auto cosigned = ledger::tlog::ParseNote(note + line + "\n");
      if (!cosigned.ok()) continue;
      auto t = ledger::tlog::CosignatureTime(*cosigned, p.w.key);
      if (t.ok() && t->has_value()) {
        p.state.size = size;
        p.state.last_error.clear();
        return line + "\n";
      }
    }
    p.state.last_error = "200 without a cosignature of its key";
    return std::nullopt;
  }
  p.state.last_error = "409 twice";
  return std::nullopt;
}

void Cosigner::RunOnce() {
  auto head = store_.Head();
  if (!head.ok()) return;
  const uint64_t size = head->header.tree_size;
  const std::string note = checkpoints_.Signed(*head);
  MutexLock run(run_mu_);
  if (size != offered_size_) {
    offered_size_ = size;
    lines_.clear();
  }
  for (Peer& p : peers_) {
    if (lines_.count(p.state.name)) continue;
    try {
      if (auto line = Offer(p, note, size)) lines_[p.state.name] = *line;
    } catch (const std::exception& e) {
      if (p.state.last_error != e.what()) Log().warning("witness %s: %s", p.state.name, std::string(e.what()));
      p.state.last_error = e.what();
    }
  }
  MutexLock lock(mu_);
  states_.clear();
  for (const Peer& p : peers_) states_.push_back(p.state);
  if (static_cast<int>(lines_.size()) < quorum_) return;  // what is cosigned stays served
  if (!cosigned_ || cosigned_size_ != size) {  // the quorum, for this size, now
    const uint64_t now = NowMs();
    latency_ms_ = now > head->header.time_ms ? now - head->header.time_ms : 0;
  }
  std::string cosigned = note;  // with every cosignature it has (more may come for the same size)
  for (const auto& [name, line] : lines_) cosigned += line;
  if (cosigned_ == cosigned) return;
  record_.Save(size, cosigned);  // kept before it is served
  cosigned_ = std::move(cosigned);
  cosigned_size_ = size;
}

std::optional<std::string> Cosigner::Cosigned() {
  MutexLock lock(mu_);
  return cosigned_;
}

std::vector<Cosigner::State> Cosigner::states() {
  MutexLock lock(mu_);
  return states_;
}

uint64_t Cosigner::cosigned_size() {
  MutexLock lock(mu_);
  return cosigned_size_;
}

uint64_t Cosigner::last_latency_ms() {
  MutexLock lock(mu_);
  return latency_ms_;
}

}  // namespace app
