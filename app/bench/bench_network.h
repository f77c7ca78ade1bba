// The network `einvoice bench e2e` runs: an authority and two merchant nodes, each a real
// einvoiced process with its own folder, database and port on loopback, the merchants
// registered at the authority and set up for WeChat Pay notifications signed with a
// platform key made for the run. Not thread-safe.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "app/merchant/payment_sim.h"

namespace app::cli {

struct BenchNode {
  std::string name, tax_id, region, dir, config, db;
  uint16_t port = 0;
  pid_t pid = -1;
  std::string token;
};

class Network {
 public:
  Network(std::string root, int http_threads);  // writes the platform key pair under `root`
  ~Network() { Stop(); }

  static constexpr const char* kApiKey = "bench-api-v3-key-0123456789abcde";
  static constexpr const char* kSerial = "BENCHSERIAL";

  // Starts the authority, registers both merchants there and starts them; throws if a node
  // does not come up. With `witnesses` (1 or 2), that many merchants' witnesses are the
  // network's, all of them needed (witness.quorum): every node restarts with that policy.
  // With `group`, the authority is a group of three members (app/group) over a three-member
  // etcd cluster started for the run (Debian's etcd on PATH); authority() is its leader.
  void Start(int witnesses = 0, bool group = false);
  void Stop();

  payment::WechatSimKeys PlatformKeys() const { return {"1900000109", kSerial, platform_private_pem_, kApiKey}; }
  BenchNode& authority() { return authority_; }
  // The authority's other members (a group), whose work counts too.
  std::vector<BenchNode>& followers() { return followers_; }
  std::vector<BenchNode>& merchants() { return merchants_; }

 private:
  BenchNode Prepare(const std::string& name, const std::string& tax_id, const std::string& region);
  std::string Common(const BenchNode& n) const;
  void Launch(BenchNode& n);
  void AddWitnesses(int witnesses);
  void StartGroup();  // etcd, three members; authority_ becomes the leader

  std::string root_;
  int http_threads_;
  std::string platform_private_pem_;
  BenchNode authority_;
  std::vector<BenchNode> merchants_;
  std::vector<BenchNode> followers_;
  std::vector<pid_t> etcd_;
};

}  // namespace app::cli
