#include "app/group/group.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>
#include <Poco/Net/HTTPRequest.h>

#include <algorithm>
#include <sstream>

#include "app/base/logging.h"
#include "app/chain/chain_json.h"
#include "app/http/api_error.h"

namespace app {
namespace {

Poco::Logger& Log() { return Poco::Logger::get("group"); }

using Clock = std::chrono::steady_clock;
constexpr size_t kMaxMessageBytes = size_t{64} << 20;  // a page of blocks with every entry
constexpr const char* kMemberPrefix = "group:";

uint64_t WallMs() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

std::string JsonLine(const Poco::JSON::Object& o) {
  std::ostringstream out;
  o.stringify(out);
  return out.str() + "\n";
}

// A message: one JSON line, then a binary page of blocks (app/chain/chain_json.h).
struct Message {
  Poco::JSON::Object::Ptr head;
  std::vector<BlockLine> blocks;
};
Message ParseMessage(const std::string& body) {
  size_t nl = body.find('\n');
  if (nl == std::string::npos) throw ApiError::BadRequest("malformed_message", "a group message starts with a JSON line");
  Message m;
  m.head = Poco::JSON::Parser().parse(body.substr(0, nl)).extract<Poco::JSON::Object::Ptr>();
  try {
    m.blocks = ParseBlocksBinary(std::string_view(body).substr(nl + 1));
  } catch (const std::invalid_argument& e) {
    throw ApiError::BadRequest("malformed_message", e.what());
  }
  return m;
}

}  // namespace

const char* Group::RoleName(Role r) {
  switch (r) {
    case Role::kLeader: return "leader";
    case Role::kCandidate: return "candidate";
    default: return "follower";
  }
}

Group::Group(GroupConfig config, ledger::BlockStore& store, const ledger::PrivateKey& key, const std::string& node_db,
             std::function<void()> on_applied)
    : config_(std::move(config)),
      store_(store),
      key_(key),
      on_applied_(std::move(on_applied)),
      etcd_(config_.etcd),
      signer_(kMemberPrefix + config_.self, key_, WallMs),
      verifier_(
          [this](const std::string& id) -> std::optional<ledger::PublicKeyBytes> {
            if (id.rfind(kMemberPrefix, 0) != 0) return std::nullopt;
            for (const auto& m : config_.members)
              if (kMemberPrefix + m.id == id) return key_.public_key();
            return std::nullopt;
          },
          WallMs),
      store_state_(GroupStorePath(node_db)) {
  bool self_listed = false;
  for (const auto& m : config_.members) {
    if (m.id == config_.self) {
      self_listed = true;
      continue;
    }
    auto p = std::make_unique<Peer>();
    p->member = m;
    p->link = std::make_unique<PeerLink>(m.url, config_.ca_file);
    peers_.push_back(std::move(p));
  }
  if (!self_listed) throw std::invalid_argument("authority.group.self (" + config_.self + ") is not in authority.group.members");
  if (config_.etcd.empty()) throw std::invalid_argument("authority.group.etcd lists no etcd endpoint");
  MutexLock lock(mu_);
  leader_ = store_state_.Promised().leader;
  if (auto voter = store_state_.Voter()) standing_ = *voter ? Standing::kVoter : Standing::kRecovering;
  // Restored from an older copy of the chain, or the chain lost its end: what it held is gone.
  const uint64_t height = Height();
  if (auto p = store_state_.pending(); standing_ == Standing::kVoter && p && p->height > height + 1)
    SetStanding(Standing::kRecovering, "its chain ends at block " + std::to_string(height) + ", before block " +
                                           std::to_string(p->height - 1) + " it held");
}

void Group::SetStanding(Standing s, const std::string& why) {
  if (standing_ == s) return;
  store_state_.SetVoter(s == Standing::kVoter);
  standing_ = s;
  if (s == Standing::kVoter) Log().information("member %s votes: %s", config_.self, why);
  else Log().warning("member %s does not vote until it has caught up with the group: %s", config_.self, why);
}

void Group::DecideStanding() {
  // The first leader of a group records "founded" before its first proposal; a new group
  // state before that has lost nothing.
  const bool founded = etcd_.Get(config_.prefix + "founded").has_value();
  MutexLock lock(mu_);
  if (standing_ != Standing::kUndecided) return;
  SetStanding(founded ? Standing::kRecovering : Standing::kVoter,
              founded ? "its group state is new, and the group has sealed blocks" : "a new group");
}

void Group::MaybeVote(uint64_t leader_height, uint64_t in_flight, int64_t epoch) {
  if (standing_ == Standing::kVoter || Height() < leader_height) return;
  if (store_state_.Promised().epoch != epoch) return;  // a newer leader spoke meanwhile: its word counts
  // The leader's proposal in flight may be one this member acknowledged before it lost it.
  if (in_flight != 0) {
    auto p = store_state_.pending();
    if (!p || p->height != in_flight || p->epoch != epoch) return;
  }
  SetStanding(Standing::kVoter, "it holds every block up to " + std::to_string(leader_height) + " again");
}

Group::~Group() { Stop(); }

void Group::Start() {
  stop_ = false;
  election_ = std::thread([this] { RunElection(); });
  lease_thread_ = std::thread([this] { KeepLease(); });
  folder_ = std::thread([this] { RunFolder(); });
  for (auto& p : peers_) p->pusher = std::thread([this, peer = p.get()] { RunPusher(peer); });
}

void Group::Stop() {
  if (stop_.exchange(true)) return;
  {
    MutexLock lock(mu_);
    StepDown("stopping");  // no proposal waits for pushers that are stopping; its lease is revoked below
    changed_.SignalAll();
    fold_wanted_cv_.SignalAll();
  }
  if (election_.joinable()) election_.join();
  if (lease_thread_.joinable()) lease_thread_.join();
  if (folder_.joinable()) folder_.join();
  for (auto& p : peers_)
    if (p->pusher.joinable()) p->pusher.join();
  int64_t lease = 0;
  {
    MutexLock lock(mu_);
    std::swap(lease, revoke_);  // also one a campaign won meanwhile
  }
  if (lease != 0) {  // a clean stop hands over at once, without waiting for the lease to run out
    try {
      etcd_.Revoke(lease);
    } catch (const std::exception&) {
    }
  }
}

uint64_t Group::Height() {
  auto head = store_.Head();
  return head.ok() ? head->header.height : 0;
}

bool Group::LeaseValid() {
  const auto margin = std::chrono::milliseconds(config_.lease_s * 100);  // a tenth of the lease, for clock rates
  return lease_id_ != 0 && Clock::now() + margin < lease_deadline_;
}

bool Group::leading() {
  MutexLock lock(mu_);
  return role_ == Role::kLeader && LeaseValid();
}

std::string Group::LeaderUrl() {
  MutexLock lock(mu_);
  if (role_ == Role::kLeader) return "";
  for (const auto& m : config_.members)
    if (m.id == leader_ && m.id != config_.self) return m.url;
  return "";
}

void Group::StepDown(const std::string& why) {
  if (role_ == Role::kFollower) return;
  Log().warning("member %s stops leading epoch %Ld: %s", config_.self, static_cast<long long>(epoch_), why);
  role_ = Role::kFollower;
  if (lease_id_ != 0) revoke_ = lease_id_;
  lease_id_ = 0;
  epoch_ = 0;
  proposal_.reset();
  changed_.SignalAll();
}

Group::State Group::state() {
  State s;
  s.height = Height();
  MutexLock lock(mu_);
  s.role = role_;
  s.epoch = role_ == Role::kFollower ? store_state_.Promised().epoch : epoch_;
  s.leader = role_ == Role::kLeader ? config_.self : leader_;
  s.leader_height = role_ == Role::kLeader ? s.height : std::max(leader_height_, s.height);
  s.majority = majority();
  s.voter = standing_ == Standing::kVoter;
  s.members = static_cast<int>(config_.members.size());
  s.failovers = failovers_;
  for (const auto& p : peers_) s.peers.push_back({p->member.id, p->committed < 0 ? 0 : static_cast<uint64_t>(p->committed), p->reachable, p->voter});
  s.commits = commits_;
  if (!commit_ms_.empty()) {
    std::vector<double> sorted = commit_ms_;
    std::sort(sorted.begin(), sorted.end());
    s.commit_p50_ms = sorted[sorted.size() / 2];
    s.commit_p99_ms = sorted[std::min(sorted.size() - 1, sorted.size() * 99 / 100)];
  }
  return s;
}

// ---- the election ----

void Group::RunElection() {
  const std::string key = config_.prefix + "leader";
  while (!stop_) {
    int64_t revoke = 0;
    Role role;
    Standing standing;
    {
      MutexLock lock(mu_);
      std::swap(revoke, revoke_);
      role = role_;
      standing = standing_;
    }
    try {
      if (revoke != 0) etcd_.Revoke(revoke);
      if (standing == Standing::kUndecided) DecideStanding();
      if (role == Role::kFollower) {
        auto kv = etcd_.Get(key);
        if (!kv) {
          if (standing == Standing::kVoter) Campaign();  // a recovering member's word on what it holds counts for nothing
        } else {
          MutexLock lock(mu_);
          leader_ = kv->value;
        }
      }
    } catch (const EtcdError& e) {
      Log().warning("etcd: %s", std::string(e.what()));
    } catch (const std::exception& e) {  // node.group.db could not record a promise or a standing
      Log().error("election: %s", Describe(e));
    }
    MutexLock lock(mu_);
    if (!stop_) changed_.WaitFor(mu_, std::chrono::milliseconds(100));
  }
}

void Group::Campaign() {
  const std::string key = config_.prefix + "leader";
  const auto sent = Clock::now();
  EtcdClient::Lease lease = etcd_.Grant(config_.lease_s);
  const int64_t epoch = etcd_.CreateIfAbsent(key, config_.self, lease.id);
  if (epoch == 0) {  // another member was quicker
    etcd_.Revoke(lease.id);
    return;
  }
  {
    MutexLock lock(mu_);
    if (stop_) {
      revoke_ = lease.id;
      return;
    }
    if (epoch <= store_state_.Promised().epoch) {  // cannot happen with one etcd cluster: revisions only grow
      Log().error("etcd gave epoch %Ld, not newer than the one this member follows", static_cast<long long>(epoch));
      revoke_ = lease.id;
      return;
    }
    store_state_.SetPromised({epoch, config_.self});
    role_ = Role::kCandidate;
    epoch_ = epoch;
    lease_id_ = lease.id;
    lease_deadline_ = sent + std::chrono::seconds(lease.ttl_s);
    leader_ = config_.self;
  }
  Log().information("member %s won epoch %Ld in etcd; asking the group", config_.self, static_cast<long long>(epoch));
  bool ok = false;
  try {
    ok = TakeOver(epoch);
  } catch (const std::exception& e) {
    Log().warning("taking over epoch %Ld failed: %s", static_cast<long long>(epoch), Describe(e));
  }
  MutexLock lock(mu_);
  if (!ok || epoch_ != epoch || stop_) {
    StepDown("no majority of the group answered in time");
    return;
  }
  role_ = Role::kLeader;
  ++failovers_;
  changed_.SignalAll();
  Log().information("member %s leads the group at epoch %Ld, height %Lu", config_.self, static_cast<long long>(epoch),
                    static_cast<unsigned long long>(Height()));
}

void Group::KeepLease() {
  const auto every = std::chrono::milliseconds(std::max(100, config_.lease_s * 1000 / 4));
  while (!stop_) {
    int64_t id = 0;
    {
      MutexLock lock(mu_);
      id = lease_id_;
      if (id != 0 && !LeaseValid()) StepDown("the lease ran out (etcd did not answer in time)");
      id = lease_id_;
    }
    if (id != 0) {
      const auto sent = Clock::now();
      try {
        int64_t ttl = etcd_.KeepAlive(id);
        MutexLock lock(mu_);
        if (lease_id_ == id) {
          if (ttl > 0) lease_deadline_ = sent + std::chrono::seconds(ttl);
          else StepDown("etcd says the lease is gone");
        }
      } catch (const EtcdError& e) {
        Log().warning("keeping the lease: %s", std::string(e.what()));
      }
    }
    MutexLock lock(mu_);
    // Until the next refresh, or the moment the lease stops being valid if that is sooner:
    // a leader cut off from etcd steps down then, not at its next refresh.
    auto wait = every;
    if (lease_id_ != 0) {
      const auto margin = std::chrono::milliseconds(config_.lease_s * 100);
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(lease_deadline_ - margin - Clock::now());
      wait = std::max(std::chrono::milliseconds(1), std::min(every, left + std::chrono::milliseconds(1)));
    }
    if (!stop_) changed_.WaitFor(mu_, wait);
  }
}

void Group::CheckEpoch(int64_t epoch, const std::string& leader) {
  GroupStore::Promise p = store_state_.Promised();
  if (epoch < p.epoch || (epoch == p.epoch && leader != p.leader))
    throw ApiError(409, "stale_epoch",
                   "epoch " + std::to_string(epoch) + " of " + leader + " is not the newest this member follows (" +
                       std::to_string(p.epoch) + " of " + p.leader + ")");
  if (epoch == p.epoch) return;
  std::optional<EtcdClient::KeyValue> kv;
  try {
    kv = etcd_.Get(config_.prefix + "leader");
  } catch (const EtcdError& e) {
    throw ApiError(503, "etcd_unavailable", std::string("cannot check the epoch in etcd: ") + e.what());
  }
  if (!kv || kv->create_revision != epoch || kv->value != leader)
    throw ApiError(409, "stale_epoch", "etcd does not name " + leader + " leader at epoch " + std::to_string(epoch));
  store_state_.SetPromised({epoch, leader});
  if (role_ != Role::kFollower && epoch_ < epoch) StepDown(leader + " leads at a newer epoch");
  leader_ = leader;
}

// ---- the leader's side ----

bool Group::TakeOver(int64_t epoch) {
  struct Answer {
    Peer* peer = nullptr;  // null: this member
    uint64_t height = 0;
    std::optional<GroupStore::Pending> pending;
  };
  std::vector<Answer> answers;
  {
    MutexLock lock(mu_);
    answers.push_back({nullptr, Height(), store_state_.pending()});
  }
  Poco::JSON::Object req;
  req.set("epoch", epoch);
  req.set("leader", config_.self);
  const std::string body = JsonLine(req);
  for (auto& p : peers_) {
    try {
      int status = 0;
      std::string answer = SendTo(*p, "POST", "/group/v1/prepare", body, 1000, &status);
      if (status == 409) return false;  // a newer epoch exists
      if (status != 200) {  // 503 recovering: a restored member that has not caught up does not vote
        Log().information("prepare: member %s answered %d: %s", p->member.id, status, answer.substr(0, 200));
        MutexLock lock(mu_);
        p->committed = -1;  // its height is learnt again before blocks are sent to it
        continue;
      }
      Message m = ParseMessage(answer);
      Answer a{p.get(), m.head->getValue<uint64_t>("height"), std::nullopt};
      if (!m.blocks.empty()) {
        std::string bytes;
        AppendBlockBinary(m.blocks[0].head, m.blocks[0].leaves, &bytes);
        a.pending = GroupStore::Pending{m.blocks[0].head.header.height, m.head->getValue<int64_t>("pending_epoch"), bytes};
      }
      MutexLock lock(mu_);
      p->committed = static_cast<int64_t>(a.height);
      p->reachable = true;
      answers.push_back(std::move(a));
    } catch (const std::exception& e) {
      Log().information("prepare: member %s did not answer: %s", p->member.id, Describe(e));
      MutexLock lock(mu_);
      p->committed = -1;
    }
  }
  if (static_cast<int>(answers.size()) < majority()) return false;
  // Every acknowledged block is held by a majority, so by one of these: first the longest
  // committed chain among them, then the proposal after it of the newest epoch.
  const Answer* longest = &answers[0];
  for (const Answer& a : answers)
    if (a.height > longest->height) longest = &a;
  if (longest->peer) CatchUpFrom(*longest->peer, longest->height);
  if (Height() < longest->height) return false;
  try {  // before the group's first proposal: a member whose state is new from now on has lost something
    etcd_.Put(config_.prefix + "founded", config_.self);
  } catch (const EtcdError& e) {
    Log().warning("etcd: %s", std::string(e.what()));
    return false;
  }
  const uint64_t next = Height() + 1;
  const GroupStore::Pending* best = nullptr;
  for (const Answer& a : answers)
    if (a.pending && a.pending->height == next && (!best || a.pending->epoch > best->epoch)) best = &*a.pending;
  if (!best) return true;
  std::vector<BlockLine> parsed = ParseBlocksBinary(best->block);
  auto head = store_.Head();
  if (parsed.size() != 1 || !head.ok() || parsed[0].head.header.prev_hash != head->header.BlockHash()) return true;
  Log().information("finishing block %Lu proposed at epoch %Ld", static_cast<unsigned long long>(next),
                    static_cast<long long>(best->epoch));
  return ProposeAndWait({std::move(parsed[0].head), std::move(parsed[0].leaves)}, best->block, epoch);
}

bool Group::ProposeAndWait(ledger::BlockStore::BlockWithLeaves block, const std::string& bytes, int64_t epoch) {
  const uint64_t height = block.head.header.height;
  const auto proposed = Clock::now();
  {
    MutexLock lock(mu_);
    if (epoch_ != epoch) return false;
    store_state_.SetPending({height, epoch, bytes});
    proposal_ = Proposal{height, epoch, bytes, {config_.self}};
    changed_.SignalAll();
    const auto deadline = Clock::now() + std::chrono::milliseconds(config_.commit_timeout_ms);
    while (true) {
      if (epoch_ != epoch || !proposal_ || proposal_->height != height) return false;
      if (!LeaseValid()) {
        StepDown("the lease ran out before a majority held block " + std::to_string(height));
        return false;
      }
      if (static_cast<int>(proposal_->acks.size()) >= majority()) {
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - proposed).count();
        if (commit_ms_.size() < kCommitSamples) commit_ms_.push_back(ms);
        else commit_ms_[commits_ % kCommitSamples] = ms;
        ++commits_;
        break;
      }
      if (Clock::now() > deadline) {
        // A proposal may not be replaced by another at its height in the same epoch: the
        // next leader, at a newer epoch, finishes or drops it.
        StepDown("no majority held block " + std::to_string(height) + " in time");
        return false;
      }
      changed_.WaitFor(mu_, std::chrono::milliseconds(20));
    }
  }
  ledger::Status s;
  {
    MutexLock apply(apply_mu_);
    s = store_.ApplyBlock(block.head, block.leaves);
  }
  MutexLock lock(mu_);
  if (!s.ok()) {
    Log().critical("block %Lu is held by a majority but cannot be written here: %s", static_cast<unsigned long long>(height),
                   s.ToString());
    StepDown("writing a committed block failed");
    return false;
  }
  proposal_.reset();
  changed_.SignalAll();
  return true;
}

ledger::Result<ledger::SealedBlock> Group::Commit(const std::vector<ledger::Bytes>& entries, uint64_t time_ms,
                                                  const ledger::BlockHeader& on) {
  int64_t epoch = 0;
  {
    MutexLock lock(mu_);
    if (role_ != Role::kLeader || !LeaseValid())
      throw ApiError(503, "not_leader", "this authority member does not lead the group now");
    epoch = epoch_;
  }
  auto p = store_.Propose(entries, time_ms, key_);
  if (!p.ok()) return p.status();
  ledger::SealedBlock out{p->block.head, p->placements};
  if (p->block.leaves.empty()) return out;
  // The chain moved since the entries were checked (blocks of another leader written here,
  // while this member led no more, before it led again): they are checked again.
  if (out.head.header.height != on.height + 1 || out.head.header.prev_hash != on.BlockHash())
    throw ApiError(503, "not_leader", "the chain moved while this batch was checked; try again");
  std::string bytes;
  AppendBlockBinary(p->block.head, p->block.leaves, &bytes);
  if (!ProposeAndWait(std::move(p->block), bytes, epoch))
    throw ApiError(503, "not_leader", "this authority member stopped leading before a majority held block " +
                                          std::to_string(out.head.header.height));
  return out;
}

void Group::RunPusher(Peer* peer) {
  while (!stop_) {
    int64_t epoch = 0;
    int64_t known = -1;
    std::string proposal;
    uint64_t proposal_height = 0, in_flight = 0;
    bool leading = false;
    {
      MutexLock lock(mu_);
      auto has_work = [&]() REQUIRES(mu_) {
        if (role_ == Role::kFollower) return false;
        if (peer->committed < 0) return true;
        if (static_cast<uint64_t>(peer->committed) < Height()) return true;
        return proposal_ && proposal_->epoch == epoch_ && !proposal_->acks.count(peer->member.id);
      };
      // A heartbeat every 300 ms tells a follower the leader's height; work wakes it at once.
      if (!has_work()) changed_.WaitFor(mu_, std::chrono::milliseconds(role_ == Role::kFollower ? 200 : 300));
      if (stop_ || role_ == Role::kFollower) continue;
      epoch = epoch_;
      known = peer->committed;
      leading = role_ == Role::kLeader;
      if (proposal_ && proposal_->epoch == epoch_) in_flight = proposal_->height;
      if (proposal_ && proposal_->epoch == epoch_ && !proposal_->acks.count(peer->member.id)) {
        proposal = proposal_->block;
        proposal_height = proposal_->height;
      }
    }
    const uint64_t height = Height();
    std::string page;
    uint64_t sent_to = known < 0 ? 0 : static_cast<uint64_t>(known);
    if (known >= 0 && static_cast<uint64_t>(known) < height) {
      auto n = WriteBlocksBinary(store_, known + 1, 64, &page, {}, kMaxEntriesPerPage);
      if (!n.ok()) {
        Log().error("reading blocks for %s: %s", peer->member.id, n.status().ToString());
        MutexLock lock(mu_);
        changed_.WaitFor(mu_, std::chrono::milliseconds(500));
        continue;
      }
      sent_to = known + *n;
    }
    const bool with_proposal = known >= 0 && !proposal.empty() && sent_to + 1 == proposal_height;
    if (with_proposal) page += proposal;
    Poco::JSON::Object head;
    head.set("epoch", epoch);
    head.set("leader", config_.self);
    head.set("height", height);
    head.set("proposal", with_proposal);
    head.set("leading", leading);      // the candidate's takeover is done: its height holds every acknowledged block
    head.set("in_flight", in_flight);  // the height of its proposal not yet held by a majority (0: none)
    try {
      int status = 0;
      std::string answer = SendTo(*peer, "POST", "/group/v1/append", JsonLine(head) + page, 5000, &status);
      auto o = Poco::JSON::Parser().parse(answer).extract<Poco::JSON::Object::Ptr>();
      MutexLock lock(mu_);
      peer->reachable = true;
      Poco::JSON::Object::Ptr error = o->getObject("error");
      const std::string code = error ? error->optValue<std::string>("code", "") : "";
      if (status == 409 && code == "stale_epoch") {
        if (epoch_ == epoch) StepDown(peer->member.id + ": " + error->optValue<std::string>("message", "a newer epoch"));
        continue;
      }
      if (status != 200) {
        Log().warning("append to %s: %d %s", peer->member.id, status, answer.substr(0, 200));
        peer->committed = -1;  // e.g. 409 conflict: it was wiped meanwhile; learn its height again
        changed_.WaitFor(mu_, std::chrono::milliseconds(200));
        continue;
      }
      peer->committed = o->getValue<int64_t>("height");
      peer->voter = o->optValue<bool>("voter", true);
      if (with_proposal && o->getValue<uint64_t>("pending") == proposal_height && proposal_ && proposal_->epoch == epoch &&
          proposal_->height == proposal_height) {
        proposal_->acks.insert(peer->member.id);
        changed_.SignalAll();
      } else if (with_proposal) {
        changed_.WaitFor(mu_, std::chrono::milliseconds(50));  // not held (its chain moved meanwhile): not in a tight loop
      }
    } catch (const std::exception& e) {
      MutexLock lock(mu_);
      if (peer->reachable) Log().warning("member %s unreachable: %s", peer->member.id, Describe(e));
      peer->reachable = false;
      peer->committed = -1;  // learn it again when it answers (it may come back wiped)
      changed_.WaitFor(mu_, std::chrono::milliseconds(200));
    }
  }
}

std::string Group::SendTo(Peer& peer, const std::string& method, const std::string& uri, const std::string& body,
                          int timeout_ms, int* status) {
  auto session = peer.link->NewSession(timeout_ms);
  NodeAnswer a = SendSigned(*session, signer_, method, uri, body);
  *status = a.status;
  return std::move(a.body);
}

// ---- the follower's side ----

ledger::Status Group::ApplyCommitted(std::vector<ledger::BlockStore::BlockWithLeaves>& blocks) {
  if (blocks.empty()) return ledger::Status::Ok();
  size_t applied = 0;
  ledger::Status s;
  {
    MutexLock apply(apply_mu_);
    s = store_.ApplyBlocks(blocks, &applied);
  }
  if (applied > 0) {
    MutexLock lock(mu_);
    fold_wanted_ = true;
    fold_wanted_cv_.Signal();
  }
  if (!s.ok()) Log().critical("a committed block from the group does not extend this member's chain: %s", s.ToString());
  return s;
}

void Group::RunFolder() {
  while (!stop_) {
    {
      MutexLock lock(mu_);
      while (!fold_wanted_ && !stop_) fold_wanted_cv_.WaitFor(mu_, std::chrono::milliseconds(500));
      if (stop_) return;
      fold_wanted_ = false;
    }
    if (on_applied_) on_applied_();
  }
}

void Group::CatchUpFrom(Peer& peer, uint64_t height) {
  while (!stop_ && Height() < height) {
    int status = 0;
    std::string page = SendTo(peer, "GET", "/group/v1/blocks?from=" + std::to_string(Height() + 1) + "&limit=256", "", 30000,
                              &status);
    if (status != 200) throw std::runtime_error("member " + peer.member.id + " answered " + std::to_string(status));
    std::vector<ledger::BlockStore::BlockWithLeaves> blocks;
    for (BlockLine& b : ParseBlocksBinary(page)) blocks.push_back({std::move(b.head), std::move(b.leaves)});
    if (blocks.empty()) return;
    ledger::Status s = ApplyCommitted(blocks);
    if (!s.ok()) throw std::runtime_error(s.ToString());
  }
}

void Group::Add(Router& r) {
  // The caller must name itself a member (X-Node-Id "group:<id>") before its body is read;
  // then the signature over the body must verify with the group's key.
  auto member = [this](Exchange& ex) {
    const std::string id = ex.request().get("X-Node-Id", "");
    for (const auto& m : config_.members)
      if (kMemberPrefix + m.id == id) return;
    throw ApiError(401, "unauthenticated", "authority group members only");
  };
  auto verify = [this](Exchange& ex, const std::string& body) {
    verifier_.Verify(ex.request().getMethod(), ex.request().getURI(), ex.request(), body, false);
  };
  r.Add("POST", "/group/v1/prepare", [this, member, verify](Exchange& ex) {
    member(ex);
    std::string body = ex.Body();
    verify(ex, body);
    Message m = ParseMessage(body);
    Poco::JSON::Object out;
    std::string page;
    {
      MutexLock lock(mu_);
      CheckEpoch(m.head->getValue<int64_t>("epoch"), m.head->getValue<std::string>("leader"));
      if (standing_ != Standing::kVoter)
        throw ApiError(503, "recovering", "this member's state was restored and it has not yet caught up with the group: it does not vote");
      out.set("height", Height());
      if (auto p = store_state_.pending()) {
        out.set("pending_epoch", p->epoch);
        page = p->block;
      }
    }
    ex.Send(200, "application/octet-stream", JsonLine(out) + page);
  });
  r.Add("POST", "/group/v1/append", [this, member, verify](Exchange& ex) {
    member(ex);
    std::string body = ex.Body(kMaxMessageBytes);
    verify(ex, body);
    Message m = ParseMessage(body);
    const int64_t epoch = m.head->getValue<int64_t>("epoch");
    const std::string leader = m.head->getValue<std::string>("leader");
    const bool with_proposal = m.head->optValue<bool>("proposal", false);
    if (with_proposal && m.blocks.empty()) throw ApiError::BadRequest("malformed_message", "the proposal is missing");
    {
      MutexLock lock(mu_);
      CheckEpoch(epoch, leader);
      leader_ = leader;
      leader_height_ = m.head->getValue<uint64_t>("height");
    }
    std::vector<ledger::BlockStore::BlockWithLeaves> committed;
    for (size_t i = 0; i + (with_proposal ? 1 : 0) < m.blocks.size(); ++i)
      committed.push_back({std::move(m.blocks[i].head), std::move(m.blocks[i].leaves)});
    ledger::Status s = ApplyCommitted(committed);
    if (!s.ok()) throw ApiError(409, "conflict", s.message());
    uint64_t pending = 0;
    if (with_proposal) {
      const BlockLine& b = m.blocks.back();
      auto head = store_.Head();
      // Held only if it extends this member's chain: an acknowledgement says the block can be written here.
      if (head.ok() && b.head.header.height == head->header.height + 1 && b.head.header.prev_hash == head->header.BlockHash() &&
          b.head.SignatureValid(store_.authority_key())) {
        std::string bytes;
        AppendBlockBinary(b.head, b.leaves, &bytes);
        MutexLock lock(mu_);
        CheckEpoch(epoch, leader);  // no newer promise since
        store_state_.SetPending({b.head.header.height, epoch, bytes});
        pending = b.head.header.height;
      }
    }
    Poco::JSON::Object out;
    {
      MutexLock lock(mu_);
      if (m.head->optValue<bool>("leading", false))
        MaybeVote(m.head->getValue<uint64_t>("height"), m.head->optValue<uint64_t>("in_flight", 0), epoch);
      out.set("voter", standing_ == Standing::kVoter);
    }
    out.set("height", Height());
    out.set("pending", pending);
    ex.Json(200, new Poco::JSON::Object(out));
  });
  r.Add("GET", "/group/v1/blocks", [this, member, verify](Exchange& ex) {
    member(ex);
    verify(ex, "");
    uint64_t from = ex.QueryUint("from").value_or(0);
    uint64_t limit = std::min<uint64_t>(ex.QueryUint("limit").value_or(256), 256);
    std::string page;
    auto n = WriteBlocksBinary(store_, from, limit, &page, {}, kMaxEntriesPerPage);
    if (!n.ok()) throw ApiError(503, "unavailable", n.status().message());
    ex.Send(200, "application/octet-stream", page);
  });
}

}  // namespace app
