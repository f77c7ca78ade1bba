// A small client of etcd's v3 API through its JSON gateway (POST <client-url>/v3/..., as
// etcd 3.4 serves it): leases, a key created only if absent (its create_revision is the
// fencing epoch), reads, conditional deletes and plain puts. Keys and values travel base64,
// int64 values as JSON strings, and fields that are zero are left out of the answers.
// Plain http only. Thread-safe: each call opens its own session; the only shared state is
// which endpoint answered last (Lock order: mu_ only).
//
// A call that times out may still have been applied (etcd answers a proposal lost to a
// leader change only after its request timeout, 5 s + 2 election timeouts, by default):
// CreateIfAbsent retried after a timeout may find its own key and return 0.
#pragma once

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "app/base/mutex.h"

namespace app {

// Thrown when no endpoint answers, or an answer is not what etcd sends.
struct EtcdError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class EtcdClient {
 public:
  // endpoints: "http://host:port" each (throws std::invalid_argument otherwise, or for none);
  // each call tries them in turn, starting with the one that answered last, each with
  // `timeout_ms` to connect and to read. An endpoint that does not answer, or answers that
  // it cannot serve now (no leader, a request timed out: gRPC code Unavailable), is passed
  // over; any other error etcd answers throws EtcdError naming the endpoint and etcd's message.
  explicit EtcdClient(std::vector<std::string> endpoints, int timeout_ms = 1000);

  struct Lease {
    int64_t id = 0;
    int64_t ttl_s = 0;  // as granted: etcd raises a TTL below its minimum (1.5 election timeouts, rounded up)
  };
  // A new lease of `ttl_s` seconds (POST /v3/lease/grant).
  Lease Grant(int64_t ttl_s);
  // Refreshes the lease (POST /v3/lease/keepalive); its remaining TTL in seconds, 0 if the
  // lease is gone (expired or revoked).
  int64_t KeepAlive(int64_t lease_id);
  // Revokes the lease and deletes its keys (POST /v3/lease/revoke); a gone lease is not an error.
  void Revoke(int64_t lease_id);

  // Creates key = value attached to `lease_id` (0: none) only if the key does not exist (a txn
  // comparing create_revision == 0). The revision of that put (it is the key's create_revision,
  // unique and increasing over the whole etcd cluster: the fencing epoch) or 0 if the key exists.
  // A lease that is gone throws.
  int64_t CreateIfAbsent(const std::string& key, const std::string& value, int64_t lease_id);

  struct KeyValue {
    std::string value;
    int64_t create_revision = 0, mod_revision = 0, lease = 0;
  };
  // The key's value and revisions (POST /v3/kv/range, linearizable); nullopt if absent.
  std::optional<KeyValue> Get(const std::string& key);
  // Deletes key only if its create_revision is `create_revision` (a txn); whether it did.
  bool DeleteIf(const std::string& key, int64_t create_revision);
  // key = value, no lease (POST /v3/kv/put).
  void Put(const std::string& key, const std::string& value);

 private:
  struct Endpoint {
    std::string url, host;
    uint16_t port = 0;
  };
  // POSTs `body` to `path` on each endpoint in turn and passes the answer to `read` (whatever
  // it throws becomes an EtcdError naming the endpoint). False, without `read`, if etcd
  // answered an error of gRPC code `tolerated_code` (non-zero).
  bool Call(const std::string& path, const Poco::JSON::Object& body,
            const std::function<void(const Poco::JSON::Object&)>& read, int tolerated_code = 0) EXCLUDES(mu_);

  std::vector<Endpoint> endpoints_;
  int timeout_ms_;
  Mutex mu_;
  size_t current_ GUARDED_BY(mu_) = 0;
};

}  // namespace app
