// Signed requests between nodes (app/README.md "Node to node"): one mechanism, both sides.
//
// A taxpayer node signs every request it sends the authority with its node key. The
// signature covers the method, the path and query, the time, a random nonce and the body's
// SHA-256, so a captured request can be neither altered nor replayed: the authority accepts
// a time within 5 minutes of its own clock and, for requests that change state (POST),
// each nonce once. A request may carry the head of the sender's replica (X-Node-Head), so
// that an authority that lost blocks learns of it before it signs others at those heights.
#pragma once

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "app/base/mutex.h"
#include "ledger/block.h"
#include "ledger/keys.h"

namespace app {

inline constexpr uint64_t kNodeRequestWindowMs = 5 * 60 * 1000;  // either side of the receiver's clock

// The bytes a node signs: "EINODE2\n" method "\n" uri "\n" time "\n" nonce "\n" hex(SHA-256(body)).
std::string NodeRequestText(std::string_view method, std::string_view uri, std::string_view time, std::string_view nonce,
                            std::string_view body);

// X-Node-Head's value: hex(header bytes) followed by hex(signature), and back.
std::string EncodeHeadHeader(const ledger::SignedHeader& head);
std::optional<ledger::SignedHeader> DecodeHeadHeader(std::string_view value);

// The sending side. Thread-safe (const).
class NodeRequestSigner {
 public:
  using Clock = std::function<uint64_t()>;  // Unix ms
  using HeadSource = std::function<std::optional<ledger::SignedHeader>()>;
  NodeRequestSigner(std::string node_id, const ledger::PrivateKey& key, Clock clock, HeadSource head = {});
  // The X-Node-* headers for one request (a fresh time and nonce each call).
  std::map<std::string, std::string> Headers(std::string_view method, std::string_view uri, std::string_view body) const;
  // Sets them on `req` (its method and URI are what is signed).
  void Sign(Poco::Net::HTTPRequest& req, std::string_view body) const;
  const std::string& node_id() const { return node_id_; }

 private:
  std::string node_id_;
  const ledger::PrivateKey& key_;
  Clock clock_;
  HeadSource head_;
};

// One request signed by `signer`, sent over `session`, and the peer's whole answer. Throws
// Poco's exceptions when the network fails; any status is returned. The one place a node
// sends a signed request (replication, alarms, submitting entries).
struct NodeAnswer {
  int status = 0;
  std::string body;
};
NodeAnswer SendSigned(Poco::Net::HTTPClientSession& session, const NodeRequestSigner& signer, const std::string& method,
                      const std::string& uri, const std::string& body = "", bool keep_alive = false);

// Where a verifier keeps the nonces of state-changing requests while they are inside the
// window, so that a restart forgets none. Used under the verifier's lock.
class NonceJournal {
 public:
  virtual ~NonceJournal() = default;
  // Every nonce key still inside the window at `now_ms`, with its expiry.
  virtual std::vector<std::pair<std::string, uint64_t>> Load(uint64_t now_ms) = 0;
  // Records one before the request is acted on; throws if it cannot (the request is refused).
  virtual void Add(const std::string& key, uint64_t expires_ms) = 0;
  virtual void Expire(uint64_t now_ms) = 0;  // forgets those past their expiry
};

// The journal in a small SQLite file of its own (synchronous=NORMAL: it survives the
// process being killed; a replay after a power cut within five minutes is not covered).
std::unique_ptr<NonceJournal> OpenNonceJournal(const std::string& path);

// The receiving side (the authority). Thread-safe.
class NodeRequestVerifier {
 public:
  using Clock = std::function<uint64_t()>;
  // The registered key of a node, if it is registered.
  using KeyOf = std::function<std::optional<ledger::PublicKeyBytes>(const std::string& node_id)>;
  // Requests to remember at most (beyond that a state-changing request is refused with 503
  // until older ones leave the window).
  static constexpr size_t kMaxRemembered = 2'000'000;
  // `journal`: null keeps nonces in memory only (a restart then forgets them).
  NodeRequestVerifier(KeyOf key_of, Clock clock, std::unique_ptr<NonceJournal> journal = nullptr);

  struct Caller {
    std::string node_id;
    std::optional<ledger::SignedHeader> head;  // X-Node-Head, decoded (not yet verified)
  };
  // Checks the X-Node-* headers of a request with `body`. Throws ApiError: 401 when they are
  // missing, malformed, outside the window or do not verify; with `once` (a request that
  // changes state), 409 `replayed` for a nonce seen before (503 if it cannot be recorded).
  Caller Verify(std::string_view method, std::string_view uri, const Poco::Net::MessageHeader& headers,
                std::string_view body, bool once);
  // Whether the request claims to be a node's (carries X-Node-Id).
  static bool IsNodeRequest(const Poco::Net::MessageHeader& headers) { return headers.has("X-Node-Id"); }

 private:
  KeyOf key_of_;
  Clock clock_;
  Mutex mu_;  // taken alone
  std::unique_ptr<NonceJournal> journal_ PT_GUARDED_BY(mu_);
  uint64_t added_since_expiry_ GUARDED_BY(mu_) = 0;
  std::unordered_set<std::string> seen_ GUARDED_BY(mu_);  // nonces inside the window
  using Expiry = std::pair<uint64_t, std::string>;
  std::priority_queue<Expiry, std::vector<Expiry>, std::greater<>> expiry_ GUARDED_BY(mu_);
};

}  // namespace app
