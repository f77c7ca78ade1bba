// An authority group (app/group/README.md): several authority processes that hold every
// entry in full and keep one chain. One leader, elected through etcd (a key bound to a
// lease), seals; a block is acknowledged (answered, written, served) only once a majority
// of the group holds it durably. The key's create revision is the leader's epoch: a member
// promises to follow the newest epoch it has checked in etcd and refuses every message of an
// older one, so a deposed leader can gain no acknowledgement, and a new leader first learns
// from a majority every block that may have been acknowledged before it seals its own.
//
// Followers write only committed blocks to their chain, so every read they serve (blocks,
// proofs, checks, tiles) is of acknowledged blocks. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "app/base/mutex.h"
#include "app/chain/node_request.h"
#include "app/group/etcd_client.h"
#include "app/group/group_store.h"
#include "app/http/http.h"
#include "app/http/peer_link.h"
#include "ledger/block_store.h"

namespace app {

struct GroupMember {
  std::string id, url;
};

struct GroupConfig {
  std::string self;                  // this member's id (one of members)
  std::vector<GroupMember> members;  // the whole group, this member included
  std::vector<std::string> etcd;     // etcd client URLs
  std::string prefix;                // etcd key prefix, e.g. "/einvoice/<chain origin>/"
  int lease_s = 2;                   // the leader's lease; a lost leader stops within it
  int commit_timeout_ms = 5000;      // a proposal not held by a majority by then fails (503)
  std::string ca_file;               // for https member URLs
};

class Group {
 public:
  enum class Role { kFollower, kCandidate, kLeader };
  static const char* RoleName(Role r);

  // `on_applied`: called (on a thread of its own, no lock held) after blocks were written here
  // that this member did not seal: the authority folds them into its lifecycle. Not on the
  // path of an acknowledgement. `key`: the group's authority key.
  Group(GroupConfig config, ledger::BlockStore& store, const ledger::PrivateKey& key, const std::string& node_db,
        std::function<void()> on_applied);
  ~Group();
  void Start();
  void Stop();

  // The leader's sealing: the block of `entries` (see BlockStore::Propose), proposed to the
  // group, written here once a majority holds it. Throws ApiError 503 `not_leader` when this
  // member does not lead, or stopped leading before a majority held the block (then it was
  // not acknowledged; a later leader may still finish it, the same bytes).
  // `on`: the head the entries were checked against; if the chain moved meanwhile, 503
  // (the caller checks them again).
  ledger::Result<ledger::SealedBlock> Commit(const std::vector<ledger::Bytes>& entries, uint64_t time_ms,
                                             const ledger::BlockHeader& on);

  bool leading() EXCLUDES(mu_);
  // The leader's URL as far as this member knows ("" when none is known, or this member leads).
  std::string LeaderUrl() EXCLUDES(mu_);
  const std::string& self() const { return config_.self; }

  struct MemberState {
    std::string id;
    uint64_t height = 0;  // its chain's height, as it last answered (the leader's view)
    bool reachable = false;
    bool voter = true;
  };
  struct State {
    Role role = Role::kFollower;
    int64_t epoch = 0;  // the newest epoch this member follows (or leads)
    std::string leader;
    uint64_t height = 0, leader_height = 0;  // this member's chain; the leader's, as known
    int majority = 0, members = 0;
    bool voter = true;  // answers a new leader's prepare (a restored member: once it caught up)
    uint64_t failovers = 0;  // times this member became leader
    std::vector<MemberState> peers;
    // As leader: blocks committed, and the time from a proposal to a majority holding it
    // (its own durable copy included), p50 and p99 over the last 10,000 blocks, in ms.
    uint64_t commits = 0;
    double commit_p50_ms = 0, commit_p99_ms = 0;
  };
  State state() EXCLUDES(mu_);

  // POST /group/v1/prepare, POST /group/v1/append, GET /group/v1/blocks: member to member,
  // signed with the group's key.
  void Add(Router& r);

 private:
  struct Proposal {
    uint64_t height = 0;
    int64_t epoch = 0;
    std::string block;  // binary page of one block
    std::set<std::string> acks;
  };
  struct Peer {
    GroupMember member;
    std::unique_ptr<PeerLink> link;
    int64_t committed = -1;  // its chain's height as it last answered (-1: unknown)
    bool reachable = false;
    bool voter = true;  // as it last answered
    std::thread pusher;
  };

  // A member votes (answers a new leader's prepare) only while it holds every block it ever
  // acknowledged: one whose state was lost (a new node.group.db in a group that has sealed,
  // or a chain shorter than a block it held) recovers first: it catches up from a leader.
  enum class Standing { kUndecided, kRecovering, kVoter };
  void SetStanding(Standing s, const std::string& why) REQUIRES(mu_);
  void DecideStanding();  // a new node.group.db: asks etcd whether the group has sealed
  // Called on an append from a leader that leads (not a candidate still catching up):
  // a recovering member that now holds all the leader acknowledged votes again.
  void MaybeVote(uint64_t leader_height, uint64_t in_flight, int64_t epoch) REQUIRES(mu_);

  void RunElection();
  void Campaign();
  bool TakeOver(int64_t epoch);  // the new leader's first round; true when it may seal
  void KeepLease();
  void StepDown(const std::string& why) REQUIRES(mu_);
  // Proposes `block` (`bytes`, its binary page) at `epoch` and waits until a majority holds
  // it, then writes it here. False (and this member no longer leads) otherwise.
  bool ProposeAndWait(ledger::BlockStore::BlockWithLeaves block, const std::string& bytes, int64_t epoch) EXCLUDES(mu_);
  void RunPusher(Peer* peer);
  bool LeaseValid() REQUIRES(mu_);
  // Checks a message of (epoch, leader): refuses an older epoch (409 stale_epoch), checks a
  // newer one in etcd and promises to follow it.
  void CheckEpoch(int64_t epoch, const std::string& leader) REQUIRES(mu_);
  // Writes committed blocks; calls on_applied_ when any was written.
  ledger::Status ApplyCommitted(std::vector<ledger::BlockStore::BlockWithLeaves>& blocks);
  // Fetches committed blocks from `peer` until this member's chain reaches `height`.
  void CatchUpFrom(Peer& peer, uint64_t height);
  std::string SendTo(Peer& peer, const std::string& method, const std::string& uri, const std::string& body, int timeout_ms,
                     int* status);
  int majority() const { return static_cast<int>(config_.members.size()) / 2 + 1; }
  uint64_t Height();

  GroupConfig config_;
  ledger::BlockStore& store_;
  const ledger::PrivateKey& key_;
  std::function<void()> on_applied_;
  EtcdClient etcd_;
  NodeRequestSigner signer_;
  NodeRequestVerifier verifier_;

  Mutex mu_;
  CondVar changed_;  // role, proposal, acks, commits
  GroupStore store_state_ GUARDED_BY(mu_);
  Role role_ GUARDED_BY(mu_) = Role::kFollower;
  Standing standing_ GUARDED_BY(mu_) = Standing::kUndecided;
  int64_t epoch_ GUARDED_BY(mu_) = 0;        // the epoch this member leads (0: none)
  int64_t lease_id_ GUARDED_BY(mu_) = 0;
  int64_t revoke_ GUARDED_BY(mu_) = 0;  // a lease given up, to revoke in etcd
  std::chrono::steady_clock::time_point lease_deadline_ GUARDED_BY(mu_);
  std::string leader_ GUARDED_BY(mu_);       // the leader's id as known
  uint64_t leader_height_ GUARDED_BY(mu_) = 0;
  uint64_t failovers_ GUARDED_BY(mu_) = 0;
  std::optional<Proposal> proposal_ GUARDED_BY(mu_);
  uint64_t commits_ GUARDED_BY(mu_) = 0;
  std::vector<double> commit_ms_ GUARDED_BY(mu_);  // a ring of the last kCommitSamples
  static constexpr size_t kCommitSamples = 10000;
  std::vector<std::unique_ptr<Peer>> peers_;  // the other members; their fields under mu_
  Mutex apply_mu_;  // one writer of committed blocks at a time (pushes, catch-up, commits)
  std::atomic<bool> stop_{false};
  std::thread election_, lease_thread_, folder_;
  CondVar fold_wanted_cv_;
  bool fold_wanted_ GUARDED_BY(mu_) = false;  // blocks were written here: on_applied_ is due
  void RunFolder();
};

}  // namespace app
